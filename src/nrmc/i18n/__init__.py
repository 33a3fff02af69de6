"""Each language writes its own sentences.

A briefing's words come from three places, all per language and none built in Python:
- `labels/<lang>.toml`: short labels (headings, table headers, units, stage names);
- `templates/<lang>/*.j2`: the sentences of findings, as Jinja2 macros fed by a finding's
  parameters (its numbers, names, dates and role), so English can put the subject first and the
  qualifier last while Chinese keeps the order of a 简报;
- Babel (the CLDR data): numbers, dates at the precision their source gives, lists and plurals.

Everything reaches HTML through Jinja2's autoescaping: data is text, never markup.
"""
from __future__ import annotations

import contextlib
import datetime as _dt
import functools
import html as _html
import re
import tomllib
from pathlib import Path
from typing import Any

from babel import Locale
from babel.dates import format_skeleton
from babel.lists import format_list
from babel.numbers import format_decimal
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup, escape

from nrmc import dates as _dates

HERE = Path(__file__).resolve().parent
LANGS = ("zh", "en")
LOCALES = {"zh": "zh_Hans_CN", "en": "en_GB"}  # British spelling: "centre", "programme"


def check_lang(lang: str) -> str:
    if lang not in LANGS:
        raise ValueError(f"lang must be one of {', '.join(LANGS)}, not {lang!r}")
    return lang


@functools.lru_cache(maxsize=None)
def labels(lang: str) -> dict[str, Any]:
    """The labels of a language: every labels/<lang>/*.toml (one file per theme) merged, as nested
    dicts. Two files may share a table but never a key (refused here, so a label is defined once)."""
    merged: dict[str, Any] = {}
    for path in sorted((HERE / "labels" / check_lang(lang)).glob("*.toml")):
        with open(path, "rb") as f:
            _merge(merged, tomllib.load(f), path.name)
    return merged


def _merge(into: dict, new: dict, where: str, prefix: str = "") -> None:
    for k, v in new.items():
        if isinstance(v, dict) and isinstance(into.get(k), dict):
            _merge(into[k], v, where, f"{prefix}{k}.")
        elif k in into:
            raise ValueError(f"label {prefix}{k} is defined twice (again in {where})")
        else:
            into[k] = v


def label(lang: str, key: str, **params) -> str:
    """A label by dotted key ('stage.trial'); `params` fill its {placeholders}."""
    node: Any = labels(lang)
    for part in key.split("."):
        node = node[part]
    return node.format(**params) if params else node


# ---------------------------------------------------------------------------------------------
# numbers, dates, lists, plurals (Babel)
def number(value: float, lang: str, decimals: int | None = None) -> str:
    """35000 → '35,000' (both languages use CLDR's grouping); 1.467 with decimals=2 → '1.47'."""
    v = float(value)
    if decimals is None:
        fmt = "#,##0.######"
    else:
        fmt = "#,##0" + ("." + "0" * decimals if decimals else "")
    return _decimal(v, fmt, LOCALES[lang])


# Babel's formatting, remembered: a briefing prints the same few hundred dates and numbers over and
# over (each annex row has its date), and CLDR formatting took a tenth of composing it.
@functools.lru_cache(maxsize=8192)
def _decimal(v: float, fmt: str, locale: str) -> str:
    return format_decimal(v, format=fmt, locale=locale)


@functools.lru_cache(maxsize=8192)
def _skeleton(skeleton: str, y: int, mo: int, d: int, locale: str) -> str:
    return format_skeleton(skeleton, _dt.date(y, mo, d), locale=locale)


def plural(n: float, lang: str) -> str:
    """CLDR plural category of n: 'one' or 'other' in English; Chinese has only 'other'."""
    return Locale.parse(LOCALES[lang]).plural_form(abs(n))


def listing(items, lang: str, style: str = "standard") -> str:
    """['a', 'b', 'c'] → 'a、b和c' / 'a, b and c' (plain text; see `mlisting` for markup)."""
    items = [str(i) for i in items if str(i)]
    if not items:
        return ""
    return format_list(items, style=style, locale=LOCALES[lang])


def mlisting(items, lang: str, style: str = "standard") -> Markup:
    """A list of Markup (or text, escaped) joined as the language joins lists; `style` "or" for
    alternatives ('none in Tianjin or Tibet')."""
    items = [i if isinstance(i, Markup) else Markup(escape(i)) for i in items if str(i)]
    if not items:
        return Markup("")
    if lang == "en" and len(items) > 2 and any("," in re.sub(r"<[^>]+>", "", str(i)) for i in items):
        # an item with a comma of its own ('Shanghai Sixth People's Hospital, Anhui Hospital'):
        # the items are parted by semicolons, so that the reader sees where each one ends
        last = Markup("; or ") if style == "or" else Markup("; and ")
        return Markup("; ").join(items[:-1]) + last + items[-1]
    marks = [f"\ue000{k}\ue001" for k in range(len(items))]  # private-use sentinels, never in data
    joined = escape(format_list(marks, style=style, locale=LOCALES[lang]))
    for k, item in enumerate(items):
        joined = Markup(str(joined).replace(f"\ue000{k}\ue001", str(item)))
    return Markup(joined)


def lower_first(text: str) -> str:
    """An English label inside a sentence or a list: its first letter in lower case ('Level IV
    operations' → 'level IV operations'), unless the label opens with an abbreviation ('TCM')."""
    return text[:1].lower() + text[1:] if text[1:2].islower() else text


def date(text: str, lang: str) -> str:
    """A partial ISO date at its own precision: '2024' → '2024年' / '2024'; '2024-08' →
    '2024年8月' / 'August 2024'; '2024-08-31' → '2024年8月31日' / '31 August 2024'. Never more
    precise than the text."""
    p = _dates.parse(text)
    if not p:
        return "—" if not str(text or "").strip() else str(text)
    y, mo, d = p
    if mo is None:
        return f"{y}年" if lang == "zh" else str(y)
    return _skeleton("yMMMM" if d is None else "yMMMMd", y, mo, d or 1, LOCALES[lang])


def date_short(text: str, lang: str) -> str:
    """As `date`, abbreviated for tables and charts in English ('Aug 2024', '31 Aug 2024')."""
    p = _dates.parse(text)
    if not p or lang == "zh" or p[1] is None:
        return date(text, lang)
    y, mo, d = p
    return _skeleton("yMMM" if d is None else "yMMMd", y, mo, d or 1, LOCALES[lang])


def qualified_date(text: str, basis: str, lang: str, short: bool = False, in_range: bool = False) -> str:
    """A date with its basis in words: ('2024-10', 'about') → '约2024年10月' / 'about October 2024'.
    `in_range`: as one end of a range ('from … to …'), where English puts the qualifier after the
    date ('30 November 2025 or later', labels date_basis_range)."""
    s = date_short(text, lang) if short else date(text, lang)
    if s == "—":
        return s
    L = labels(lang)
    # a day-precise date known only approximately (a publication date read off a page's address):
    # Chinese writes 2025年1月22日前后, not 约2025年1月22日
    day = not short and basis == "about" and len(str(text)) == 10 and L.get("date_basis_day", {}).get(basis)
    form = (L.get("date_basis_range", {}).get(basis) if in_range else None) or day or L["date_basis"].get(basis)
    return form.format(s) if form else s


def duration(months: int, lang: str) -> str:
    """27 months → '2年3个月' / '2 years 3 months'."""
    y, m = divmod(max(0, int(months)), 12)
    L = labels(lang)["duration"]
    parts = []
    if y:
        parts.append(L["years_" + plural(y, lang)].format(n=y))
    if m or not y:
        parts.append(L["months_" + plural(m, lang)].format(n=m))
    return L["join"].join(parts)


# ---------------------------------------------------------------------------------------------
# sentences
@functools.lru_cache(maxsize=1)
def bytecode_cache():
    """Compiled templates kept between processes: every kernel, test worker and preview compiled
    the sentence templates again (1.5 s of a kernel's warm-up). Jinja's own per-user cache in the
    temporary folder (created private, refused when another user owns it; an entry is used only
    for the exact template source it was compiled from). None when there is no such folder; a
    cache that cannot be read or written (a full disk) only means compiling again."""
    from jinja2 import FileSystemBytecodeCache

    class Quiet(FileSystemBytecodeCache):
        def load_bytecode(self, bucket):
            with contextlib.suppress(OSError, EOFError, ValueError):
                super().load_bytecode(bucket)

        def dump_bytecode(self, bucket):
            with contextlib.suppress(OSError):
                super().dump_bytecode(bucket)

    try:
        return Quiet()
    except (OSError, RuntimeError):
        return None


@functools.lru_cache(maxsize=None)
def environment() -> Environment:
    """The Jinja2 environment of the sentence templates (autoescaping on, undefined names fail)."""
    env = Environment(loader=FileSystemLoader(str(HERE / "templates")), autoescape=select_autoescape(default=True),
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True,
                      bytecode_cache=bytecode_cache())
    env.filters["number"] = lambda v, lang, decimals=None: number(v, lang, decimals)
    return env


def module(lang: str, name: str):
    """The macros of templates/<lang>/<name>.j2 (one module per theme)."""
    return environment().get_template(f"{check_lang(lang)}/{name}.j2").module


def sentence(lang: str, name: str, macro: str, **params) -> Markup:
    """Render macro `macro` of templates/<lang>/<name>.j2 with `params`, whitespace collapsed."""
    out = getattr(module(lang, name), macro)(**params)
    return Markup(re.sub(r"\s*\n\s*", "" if lang == "zh" else " ", str(out)).strip())


def warm() -> None:
    """Compile every sentence template and read every label file (a warm kernel does this once,
    before its first briefing)."""
    for lang in LANGS:
        labels(lang)
        for path in sorted((HERE / "templates" / lang).glob("*.j2")):
            module(lang, path.stem)


# ---------------------------------------------------------------------------------------------
# the definite article before descriptive hospital names (English)
ARTICLE = Markup('<span class="nrmc-the">the</span> ')  # what a name prints before itself
_ARTICLE_RE = re.compile(re.escape(str(ARTICLE)))
_BOUNDARY = re.compile(r"</?(p|li|td|th|h[1-6]|caption|figcaption|dd|dt|div|section|blockquote|br)\b[^>]*>", re.I)
_SENTENCE_END = re.compile(r"[.!?][”’\"')]*(\s*\[[^\]]*\])*$")


def takes_article(name: str) -> bool:
    """Whether an English hospital or centre name is a description that takes "the" in running
    text ("the First Affiliated Hospital of …"): its first word is one of the glossary's
    `article_words`. Proper names ("Peking Union Medical College Hospital") take none."""
    words = name.split(maxsplit=1)
    return bool(words) and words[0] in label("en", "glossary.article_words")


def articles(html: str) -> Markup:
    """A block's HTML with each ARTICLE resolved by where it stands: "The" at the start of a
    sentence or of a paragraph, nothing at the start of a table cell (a cell is a label), "the"
    elsewhere. Names print the mark because only the whole block knows where a sentence starts."""
    html = str(html)
    if str(ARTICLE) not in html:
        return Markup(html)
    out, pos = [], 0
    for m in _ARTICLE_RE.finditer(html):
        before = html[pos:m.start()]
        out.append(before)
        pos = m.end()
        done = "".join(out)
        edge = None
        for edge in _BOUNDARY.finditer(done):
            pass
        since = done[edge.end():] if edge else done
        text = _html.unescape(re.sub(r"<[^>]+>", "", since)).strip()
        if not text:
            cell = edge is not None and edge.group(0)[1:3].lower() in ("td", "th")
            out.append("" if cell else "The ")
        else:
            out.append("The " if _SENTENCE_END.search(text) else "the ")
    out.append(html[pos:])
    return Markup("".join(out))
