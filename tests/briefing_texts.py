"""Every text a briefing's sections produce, composed in process (no kernel, no browser).

One place says which scopes there are and which section functions a briefing calls, so that a
test over "every English text" includes a new section as soon as the notebooks call it:

- `SCOPES`: every scope's slug (the 31 provinces and "national"), from the data.
- `section_names(scope)`: the functions of `nrmc.sections` in notebook order (`nrmc.sections.ORDER`;
  without it, the scope's notebook's calls `s.<name>(b)`, then any other function `nrmc.sections`
  exports, before the glossary and the annex, which come last: they list what came before them).
- `compose(scope, lang)`: [(section name, Block), …] in reading order (cached per scope and
  language; a Section gives its blocks, heading and text first). An exception in a section is
  raised, naming the scope and the section.
- `visible_text(html)`, `running_text(blocks)`: the reader's text of HTML, with what a reader does
  not read as prose left out (tables, charts, hidden popovers, the glossary).
"""
from __future__ import annotations

import functools
import json
import re
from html.parser import HTMLParser
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
LAST = ("glossary", "annex")  # called after every other section, in this order


def dataset():
    """The shipped dataset (the one tests/briefings.py composes from)."""
    from briefings import dataset

    return dataset()


@functools.lru_cache(maxsize=1)
def _scopes() -> tuple[str, ...]:
    from nrmc.regions import all_scopes

    return tuple(s.slug for s in all_scopes())


SCOPES = _scopes()


@functools.lru_cache(maxsize=2)
def _called(notebook: str) -> tuple[str, ...]:
    nb = json.loads((NOTEBOOKS / notebook).read_text(encoding="utf-8"))
    names: list[str] = []
    for cell in nb["cells"]:
        if cell["cell_type"] != "code":
            continue
        for name in re.findall(r"\bs\.(\w+)\(\s*b\s*\)", "".join(cell["source"])):
            if name not in names:
                names.append(name)
    return tuple(names)


def section_names(scope: str) -> list[str]:
    """The section functions a briefing of `scope` shows, in order (see the module docstring):
    `nrmc.sections.ORDER` (the notebooks' order, which a test of the lead's keeps in step) where
    it exists, else the notebook's calls and then the other exported section functions."""
    import nrmc.sections as s

    if hasattr(s, "ORDER"):
        return [n for n in s.ORDER if callable(getattr(s, n, None))]
    exported = [n for n in s.__all__ if callable(getattr(s, n)) and n[:1].islower() and n != "compose"]
    called = [n for n in _called("national.ipynb" if scope == "national" else "province.ipynb") if n in exported]
    extra = [n for n in exported if n not in called and n not in LAST]
    head = [n for n in called if n not in LAST]
    tail = [n for n in LAST if n in exported]
    return head + extra + tail


def _blocks(out) -> list:
    from nrmc.sections.base import Block, Section

    if out is None:
        return []
    if isinstance(out, Block):
        return [out]
    if isinstance(out, Section):
        return out.blocks()
    if isinstance(out, (list, tuple)):
        return [b for x in out for b in _blocks(x)]
    raise TypeError(f"a section returned {type(out).__name__}, not a Block or a Section")


def compose(scope: str, lang: str = "en") -> tuple[tuple[str, object], ...]:
    """The blocks of one briefing in reading order, each with the name of its section (composed
    once per test process together with the context and HTML of tests/briefings.py: one pass)."""
    from briefings import composition

    return composition(scope, lang)[2]


# ---------------------------------------------------------------------------------------------
# text as a reader reads it
VOID = {"br", "img", "input", "meta", "link", "hr", "col", "wbr", "path", "use", "rect", "line", "circle", "polygon",
        "polyline", "source", "area", "base", "embed", "param", "track"}
NOT_TEXT = {"style", "script", "title", "svg"}
BLOCKS = {"p", "li", "dt", "dd", "div", "h1", "h2", "h3", "h4", "tr", "caption", "figcaption", "section", "table",
          "ul", "ol", "dl", "figure", "aside", "header", "footer", "main", "nav", "blockquote", "td", "th"}


class _Reader(HTMLParser):
    """Text nodes of HTML with what holds them: whether a reader reads them as prose, and whether
    they sit in an element marked Chinese (lang="zh…")."""

    def __init__(self, skip_classes=(), skip_tags=()):
        super().__init__(convert_charrefs=True)
        self.stack: list[tuple[str, bool, bool]] = []  # (tag, chinese, skipped)
        self.pieces: list[tuple[str, bool]] = []  # (text, chinese); "\n" between blocks
        self.skip_classes = set(skip_classes)
        self.skip_tags = set(skip_tags)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        parent_zh, parent_skip = (self.stack[-1][1], self.stack[-1][2]) if self.stack else (False, False)
        lang = (a.get("lang") or "").lower()
        zh = lang.startswith("zh") if lang else parent_zh
        classes = set((a.get("class") or "").split())
        skip = parent_skip or tag in NOT_TEXT or tag in self.skip_tags or bool(classes & self.skip_classes)
        if tag in BLOCKS or tag == "br":
            self.pieces.append(("\n", False))
        if tag not in VOID:
            self.stack.append((tag, zh, skip))

    def handle_startendtag(self, tag, attrs):
        if tag == "br":
            self.pieces.append(("\n", False))

    def handle_endtag(self, tag):
        for i in range(len(self.stack) - 1, -1, -1):
            if self.stack[i][0] == tag:
                del self.stack[i:]
                break
        if tag in BLOCKS:
            self.pieces.append(("\n", False))

    def handle_data(self, data):
        if self.stack and self.stack[-1][2]:
            return
        self.pieces.append((data, bool(self.stack and self.stack[-1][1])))


def _read(html: str, **kw) -> _Reader:
    r = _Reader(**kw)
    r.feed(str(html))
    r.close()
    return r


def _join(pieces) -> str:
    text = "".join(pieces)
    lines = (" ".join(line.split()) for line in text.split("\n"))
    return "\n".join(line for line in lines if line)


def visible_text(html: str, *, chinese: bool = True, quotes: bool = True) -> str:
    """What a reader sees of `html` (the hidden evidence popovers and charts' SVG left out); with
    `chinese=False`, without the elements marked Chinese (glosses, quotes); with `quotes=False`,
    without quotations (<q>: a source's words as published, whatever their English)."""
    r = _read(html, skip_classes=("ev-pop", "ev-print"), skip_tags=() if quotes else ("q",))
    return _join(t for t, zh in r.pieces if chinese or not zh)


def chart_text(html: str) -> str:
    """The text charts draw (SVG <text>, and their alt text), one line per text element."""
    out = []
    for svg in re.findall(r"<svg\b.*?</svg>", str(html), flags=re.S):
        for t in re.findall(r"<(text|title)\b[^>]*>(.*?)</\1>", svg, flags=re.S):
            import html as _h

            out.append(" ".join(_h.unescape(re.sub(r"<[^>]+>", "", t[1])).split()))
    return "\n".join(x for x in out if x)


def chinese_outside_glosses(html: str) -> list[str]:
    """Text nodes with a CJK character (or full-width punctuation) outside an element marked Chinese,
    charts' text included."""
    r = _read(html)
    return [t.strip() for t, zh in r.pieces if not zh and CJK.search(t)] + \
        [t for t in chart_text(html).splitlines() if CJK.search(t)]


CJK = re.compile(r"[\u2e80-\u2fdf\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef]")


def running_text(blocks) -> str:
    """The prose of a briefing's blocks in reading order: no tables, charts, hidden popovers,
    Chinese glosses, nor the glossary (which spells everything out by design), nor the annex's
    lists that work as tables (flagged figures by subject and measure, sources by title)."""
    out = []
    for name, blk in blocks:
        if name == "glossary":
            continue
        r = _read(blk.html, skip_classes=("ev-pop", "ev-print", "table-wrap", "chart-box", "flagged", "sources"),
                  skip_tags=("table",))
        out.append(_join(t for t, zh in r.pieces if not zh))
    return "\n".join(x for x in out if x)
