"""HTML pieces of a briefing: sections, paragraphs, tables and notes.

Everything that comes from the data goes through MarkupSafe's escaping (a centre named
`<script>` is shown as text). A `Section` displays itself in Jupyter (`_repr_html_`) and is what
the notebooks show; its HTML is what nbconvert puts into the report.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence

import pandas as pd
from markupsafe import Markup, escape

from nrmc.labels import is_missing

META_MIME = "application/vnd.nrmc.meta+json"


class Section:
    """A piece of a briefing: HTML for the report, plain text for a terminal."""

    def __init__(self, parts: Iterable[Markup | str], *, plain: str = "", meta: dict | None = None):
        self.html = Markup("").join(p if isinstance(p, Markup) else Markup(escape(p)) for p in parts)
        self.plain = plain
        self.meta = meta

    def _repr_html_(self) -> str:
        return str(self.html)

    def _repr_mimebundle_(self, include=None, exclude=None) -> dict:
        bundle = {"text/html": str(self.html), "text/plain": str(self)}
        if self.meta:
            bundle[META_MIME] = self.meta
        return bundle

    def __str__(self) -> str:
        return self.plain or _strip_tags(str(self.html))

    def __repr__(self) -> str:
        return str(self)

    def __add__(self, other: "Section") -> "Section":
        return Section([self.html, other.html], plain="\n".join(x for x in (self.plain, other.plain) if x),
                       meta=self.meta or other.meta)


def _strip_tags(html: str) -> str:
    import re

    return re.sub(r"\s+\n", "\n", re.sub(r"<[^>]+>", " ", html)).strip()


def h(level: int, text: str, anchor: str | None = None) -> Markup:
    ident = Markup(' id="{}"').format(anchor) if anchor else Markup("")
    return Markup("<h{0}{1}>{2}</h{0}>").format(Markup(str(level)), ident, text)


def p(text: str | Markup, cls: str | None = None) -> Markup:
    c = Markup(' class="{}"').format(cls) if cls else Markup("")
    return Markup("<p{}>{}</p>").format(c, text)


def ul(items: Sequence[str | Markup], cls: str | None = None) -> Markup:
    c = Markup(' class="{}"').format(cls) if cls else Markup("")
    return Markup("<ul{}>{}</ul>").format(c, Markup("").join(Markup("<li>{}</li>").format(i) for i in items))


def key_figures(items: Sequence[tuple[str, str, str]]) -> Markup:
    """Headline tiles: (big figure, label, small print)."""
    cells = [Markup('<div class="kf"><div class="kf-value">{}</div><div class="kf-label">{}</div>'
                    '<div class="kf-note">{}</div></div>').format(v, lab, note) for v, lab, note in items]
    return Markup('<div class="key-figures">{}</div>').format(Markup("").join(cells))


def cell(value) -> str:
    return "—" if is_missing(value) else str(value)


def table(df: pd.DataFrame, caption: str | Markup, *, numeric: Sequence[str] = (), note: str | Markup | None = None,
          cls: str = "data", nowrap: Sequence[str] = ()) -> Markup:
    """An accessible HTML table: caption, header cells with scope, '—' for missing values.
    `numeric` columns are right-aligned; `nowrap` columns (short values: dates, flags) never break
    inside a value. Cells that are already Markup are not escaped again."""
    def attrs(c):
        classes = " ".join(k for k, cols in (("num", numeric), ("nowrap", nowrap)) if c in cols)
        return Markup(' class="{}"').format(classes) if classes else Markup("")

    head = Markup("").join(Markup('<th scope="col"{}>{}</th>').format(attrs(c), c) for c in df.columns)
    rows = []
    for r in df.to_dict("records"):
        tds = []
        for c in df.columns:
            v = r[c]
            content = v if isinstance(v, Markup) else cell(v)
            # data-label: on a phone each row becomes a card whose cells show their column's name
            tds.append(Markup('<td{} data-label="{}">{}</td>').format(attrs(c), c, content))
        rows.append(Markup("<tr>{}</tr>").format(Markup("").join(tds)))
    body = Markup("").join(rows)
    foot = Markup('<p class="table-note">{}</p>').format(note) if note else Markup("")
    # A wide table scrolls inside its wrapper on a phone: keyboard users must be able to reach it
    # (focusable, a named region), else axe's scrollable-region-focusable fails.
    label = caption.striptags() if isinstance(caption, Markup) else str(caption)
    return Markup('<div class="table-wrap" tabindex="0" role="region" aria-label="{}"><table class="{}">'
                  '<caption>{}</caption><thead><tr>{}</tr></thead>'
                  "<tbody>{}</tbody></table></div>{}").format(label, cls, caption, head, body, foot)


def source_refs(numbers: Iterable[int]) -> Markup:
    nums = sorted(set(numbers))
    if not nums:
        return Markup("")
    return Markup('<sup class="src">[{}]</sup>').format(",".join(str(n) for n in nums))


def note(text: str | Markup) -> Markup:
    return Markup('<p class="note">{}</p>').format(text)
