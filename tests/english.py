"""Checks of the English edition, shared by the in-process and the end-to-end tests."""
from __future__ import annotations

import re
from html.parser import HTMLParser

CJK = re.compile(r"[\u2e80-\u2fdf\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef]")
# What a reader must never see: file names, column names and source ids of the data.
PLUMBING = re.compile(r"\b(?:[SR]\d{2}|\w+\.csv|as_of(?:_basis)?|source_ids?|center_id|subject_id|flag_reason\w*|"
                      r"specialty_basis|city_basis|metric_definitions|provincial_centers|shared/\S+)\b")
SKIP = {"style", "script", "title"}


class _Text(HTMLParser):
    """Text nodes with whether they sit inside an element marked lang="zh-CN"."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack: list[tuple[str, bool, bool]] = []
        self.outside: list[str] = []
        self.glosses: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        zh = (a.get("lang") or "").lower().startswith("zh") or (bool(self.stack) and self.stack[-1][1])
        skip = tag in SKIP or (bool(self.stack) and self.stack[-1][2])
        if tag not in ("br", "img", "input", "meta", "link", "hr", "col", "wbr", "path", "use", "rect", "line", "circle", "polygon", "polyline"):
            self.stack.append((tag, zh, skip))
        if tag == "html":  # the document's own language is not a gloss
            self.stack[-1] = (tag, False, False)

    def handle_endtag(self, tag):
        for i in range(len(self.stack) - 1, -1, -1):
            if self.stack[i][0] == tag:
                del self.stack[i:]
                break

    def handle_data(self, data):
        if not data.strip() or (self.stack and self.stack[-1][2]):
            return
        (self.glosses if self.stack and self.stack[-1][1] else self.outside).append(data)


def english_problems(html: str) -> list[str]:
    """Every reader-visible problem of an English page: Chinese outside a marked gloss, 万 units
    written as ×10,000, plumbing (file, column, id names), chart text cut with '…'."""
    p = _Text()
    p.feed(html)
    out = []
    for t in p.outside:
        if CJK.search(t):
            out.append(f"Chinese outside a zh-CN element: {t.strip()[:80]!r}")
        if "×10,000" in t or "x10,000" in t:
            out.append(f"10,000s unit: {t.strip()[:80]!r}")
        m = PLUMBING.search(t)
        if m:
            out.append(f"plumbing {m.group(0)!r} in {t.strip()[:80]!r}")
        if t.strip().endswith("…"):
            out.append(f"cut text: {t.strip()[:80]!r}")
    return out


def glosses(html: str) -> list[str]:
    p = _Text()
    p.feed(html)
    return p.glosses


def pdf_text_problems(pdf_text: str, html: str) -> list[str]:
    """The PDF of an English page: once the Chinese glosses of its HTML are taken out, no Chinese
    character is left."""
    flat = re.sub(r"\s+", "", pdf_text)
    for g in sorted({re.sub(r"\s+", "", g) for g in glosses(html)}, key=len, reverse=True):
        if g:
            flat = flat.replace(g, "")
    left = CJK.findall(flat)
    return [f"{len(left)} Chinese characters outside glosses, e.g. {''.join(left[:20])!r}"] if left else []
