"""Shared by the tests of the briefing's sections: briefings made once per test process, the
data read straight from the CSV files (independently of the package), and checks of the text a
section prints."""
from __future__ import annotations

import csv
import functools
import html
import re

from conftest import ROOT

DATA = ROOT / "data"
SCOPES = ("national", "anhui", "guizhou", "henan", "hubei", "tibet", "shanghai", "beijing")
CJK = re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef]")
GLOSS = re.compile(r'<span lang="zh-CN"[^>]*>.*?</span>', re.S)


@functools.lru_cache(maxsize=None)
def dataset():
    import nrmc

    return nrmc.load(DATA)


@functools.lru_cache(maxsize=None)
def briefing(scope: str, lang: str, full: bool = False):
    from nrmc.context import Briefing

    return Briefing(scope, lang=lang, ds=dataset(), full=full)


@functools.lru_cache(maxsize=None)
def rows(name: str) -> tuple[dict, ...]:
    with open(DATA / name, encoding="utf-8", newline="") as f:
        return tuple(csv.DictReader(f))


def slugs() -> list[str]:
    return [r["slug"] for r in rows("provinces.csv")]


def slug_of(code: str) -> str:
    return next(r["slug"] for r in rows("provinces.csv") if r["code"] == code)


def section_html(section) -> str:
    """Everything a section prints (sentences, chart with its SVG text, table), as HTML."""
    return "\n".join(str(b.html) for b in section.blocks())


def visible_text(h: str, keep_svg: bool = True) -> str:
    """The reader's text of some HTML: tags dropped (SVG <title>, the alt text, too), entities decoded."""
    h = re.sub(r"<title>.*?</title>", " ", h, flags=re.S)
    if not keep_svg:
        h = re.sub(r"<svg\b.*?</svg>", " ", h, flags=re.S)
    return html.unescape(re.sub(r"<[^>]+>", " ", h))


def reader_problems(section, lang: str) -> list[str]:
    """Raw values, template braces, and (in English) Chinese outside a marked gloss."""
    h = section_html(section)
    text = visible_text(h)
    out = [w for w in ("NaN", "nan", "None", "NaT", "{", "}") if re.search(rf"(?<![A-Za-z]){re.escape(w)}(?![A-Za-z])", text)]
    if lang == "en":
        bare = visible_text(GLOSS.sub(" ", h))
        out += [f"Chinese outside a gloss: {m.group(0)!r} in …{bare[max(0, m.start() - 30):m.end() + 30]}…"
                for m in CJK.finditer(bare)]
    return out


# ---- dates printed -----------------------------------------------------------------------------
MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December"]
ZH_DATE = re.compile(r"(\d{4})年(?:(\d{1,2})月(?:(\d{1,2})日)?)?")
EN_DATE = re.compile(r"\b(?:(\d{1,2}) )?(" + "|".join(MONTHS + [m[:3] for m in MONTHS]) + r") (\d{4})\b")


def printed_dates(text: str, lang: str) -> list[str]:
    """Every date a text prints, as ISO at the precision printed ('2023', '2023-10', '2023-10-31');
    English years standing alone are not dates to this reader (they may be counts)."""
    out = []
    if lang == "zh":
        for y, m, d in ZH_DATE.findall(text):
            out.append(y + (f"-{int(m):02d}" if m else "") + (f"-{int(d):02d}" if d else ""))
    else:
        for d, mon, y in EN_DATE.findall(text):
            k = next(i for i, name in enumerate(MONTHS) if name.startswith(mon)) + 1
            out.append(f"{y}-{k:02d}" + (f"-{int(d):02d}" if d else ""))
    return out


@functools.lru_cache(maxsize=None)
def row_dates() -> frozenset:
    """Every date the data's rows give, at their own precision."""
    out = set()
    for name, cols in (("stages.csv", ("date",)), ("metrics.csv", ("as_of",)), ("sources.csv", ("date",)),
                       ("milestones.csv", ("date",)), ("centers.csv", ("first_reported",))):
        for r in rows(name):
            out.update(r[c] for c in cols if r[c])
    return frozenset(out)


def source_words() -> list[str]:
    """Words of the sources that hold dates which are not dates of a row ('预计2026年上半年建成开诊')."""
    return [r[k] for r in rows("stages.csv") for k in ("label_zh", "label_en", "quote") if r[k]]
