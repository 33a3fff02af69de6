"""What a notebook cell shows and the briefing prints: blocks, grouped into sections.

A `Block` is one output: its HTML (rendered by a template of templates/blocks/, data escaped by
Jinja2), a plain-text form for terminals, and where it goes in the briefing: its `page` (the
summary's first or second page, the analysis, a note, the annex) and its `group` (the section it
belongs to). The exporter wraps consecutive blocks of one group into one printed section; an
output without that information (a DataFrame or a chart a user adds in a cell of their own) joins
the section of the block before it.

A `Section` is one theme of the analysis: its findings, a chart, a table and `.data` (the
DataFrame behind the table). Shown whole in a cell, it is heading, sentences, chart and table;
`.text`, `.figure` and `.table` show its parts one cell each.
"""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from nrmc import i18n
from nrmc.findings import Finding

BLOCK_MIME = "application/vnd.nrmc.block+json"
META_MIME = "application/vnd.nrmc.meta+json"  # the report header's fields (nrmc.export reads them)
TEMPLATES = Path(__file__).resolve().parents[1] / "templates"
CSS_FILE = TEMPLATES / "nrmc_briefing" / "static" / "briefing.css"
PAGES = ("header", "summary-1", "summary-2", "analysis", "note", "annex")  # "header": Jupyter only


@functools.lru_cache(maxsize=1)
def env() -> Environment:
    return Environment(loader=FileSystemLoader(str(TEMPLATES / "blocks")), autoescape=select_autoescape(default=True),
                       undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True,
                       bytecode_cache=i18n.bytecode_cache())


def render(template: str, **params) -> Markup:
    """Render templates/blocks/<template> (autoescaped)."""
    return Markup(env().get_template(template).render(**params).strip())


@functools.lru_cache(maxsize=1)
def inline_css() -> str:
    """The stylesheet, carried by each output so that it looks right in JupyterLab (the report
    strips it: its own <head> has the same rules)."""
    return CSS_FILE.read_text(encoding="utf-8")


def plain_text(html: str) -> str:
    """The reader's text of some HTML, for a terminal (no CSS, no chart code)."""
    html = re.sub(r"<(style|svg|script)\b.*?</\1>", " ", html, flags=re.S | re.I)
    html = _drop_class(html, ("ev-pop", "ev-print"))
    html = re.sub(r"<(br|/p|/li|/h[1-6]|/tr|/caption|/figcaption)\b[^>]*>", "\n", html, flags=re.I)
    text = re.sub(r"<[^>]+>", "", html)
    import html as _h

    text = _h.unescape(text)
    lines = [" ".join(line.split()) for line in text.splitlines()]
    return "\n".join(line for line in lines if line)


_TAG = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)\b([^>]*)>")
_CLASS_ATTR = re.compile(r"""\bclass\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+))""", re.I)
_VOID = frozenset(("br", "img", "input", "meta", "hr", "wbr", "link", "col", "source"))


def _drop_class(html: str, classes: tuple[str, ...]) -> str:
    """`html` without the elements (and their content) of any of `classes`. The briefing's own HTML
    (attribute values escaped, no raw `>` inside a tag), tag by tag with one regular expression:
    the plain text of every output of a notebook took a tenth of its composition with html.parser
    (150 outputs of 14 briefings: 0.94 s, now 0.39 s, the same text)."""
    out: list[str] = []
    depth, pos = 0, 0
    for m in _TAG.finditer(html):
        if not depth:
            out.append(html[pos:m.start()])
        pos = m.end()
        closing, tag, attrs = m.groups()
        if closing:
            if depth:
                depth -= 1
            else:
                out.append(m.group(0))
        elif tag.lower() in _VOID or attrs.rstrip().endswith("/"):
            if not depth:
                out.append(m.group(0))
        elif depth:
            depth += 1
        else:
            c = _CLASS_ATTR.search(attrs)
            names = next((g for g in c.groups() if g is not None), "").split() if c else ()
            if any(k in names for k in classes):
                depth = 1
            else:
                out.append(m.group(0))
    if not depth:
        out.append(html[pos:])
    return "".join(out)


@dataclass
class Block:
    """One output of a cell that becomes part of the briefing."""

    html: Markup
    page: str
    group: str
    lang: str = "zh"
    data: pd.DataFrame | None = None
    meta: dict | None = None  # header fields for the report (title, data window …), merged by the exporter

    def __post_init__(self):
        if self.page not in PAGES:
            raise ValueError(f"page must be one of {PAGES}, not {self.page!r}")
        if self.lang == "en":
            self.html = i18n.articles(self.html)  # "the" before descriptive names, "The" at a sentence start

    def _repr_html_(self) -> str:
        return self._wrapped(style=True)

    def _wrapped(self, style: bool) -> str:
        css = Markup('<style data-nrmc-inline>{}</style>').format(Markup(inline_css())) if style else Markup("")
        return str(Markup('<div class="nrmc-block nrmc-{}" lang="{}">{}{}</div>').format(
            self.page, "zh-CN" if self.lang == "zh" else "en", css, self.html))

    def _repr_mimebundle_(self, include=None, exclude=None) -> dict:
        bundle = {"text/html": self._wrapped(style=True)}
        if not (exclude and "text/plain" in exclude):  # the plain text costs a tenth of composing
            bundle["text/plain"] = str(self)
        bundle[BLOCK_MIME] = {"page": self.page, "group": self.group, "lang": self.lang}
        if self.meta:
            bundle[META_MIME] = self.meta
        return bundle

    def __str__(self) -> str:
        return plain_text(str(self.html))

    __repr__ = __str__


@dataclass
class Section:
    """A section of the briefing: findings, a chart, a table, and the data behind the table."""

    key: str
    title: str
    lang: str
    findings: list[Finding]
    sentences: list[Markup]
    page: str = "analysis"
    chart: Any = None  # a nrmc chart (an inline SVG figure) or None
    chart_html: Markup | None = None
    table_html: Markup | None = None
    data: pd.DataFrame = field(default_factory=pd.DataFrame)
    extra: list[Markup] = field(default_factory=list)  # blocks shown after the table (notes, lists)

    def _block(self, html: Markup) -> Block:
        return Block(html, self.page, self.key, self.lang, self.data)

    @property
    def text(self) -> Block:
        """The heading and the section's sentences."""
        return self._block(render("section_text.html.j2", s=self))

    @property
    def figure(self) -> Block | None:
        return self._block(self.chart_html) if self.chart_html else None

    @property
    def table(self) -> Block | None:
        return self._block(self.table_html) if self.table_html else None

    def blocks(self) -> list[Block]:
        parts = [self.text, self.figure, self.table, *(self._block(e) for e in self.extra)]
        return [p for p in parts if p is not None]

    def _repr_mimebundle_(self, include=None, exclude=None) -> dict:
        whole = Block(Markup("").join(b.html for b in self.blocks()), self.page, self.key, self.lang, self.data)
        return whole._repr_mimebundle_(include, exclude)

    def __str__(self) -> str:
        return "\n".join(str(b) for b in self.blocks())

    __repr__ = __str__
