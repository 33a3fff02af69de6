"""The glossary of an English briefing: the programme's terms in plain English with their Chinese
originals, the abbreviations, and the short names of hospitals and centres the briefing used.

It is printed at the start of the annex (page "annex", section "glossary"): call it after every
section and before `annex(b)`, so that it lists every short name the briefing printed. A Chinese
briefing has no glossary (an empty block). The terms are data, in i18n/labels/en/glossary.toml;
`glossary_page(lang)` renders the same terms as a page of their own, which the English front page
links to.
"""
from __future__ import annotations

import pandas as pd

from markupsafe import Markup

from nrmc import i18n
from nrmc.sections.base import Block, render



def terms(lang: str = "en") -> list[dict]:
    """The glossary's terms in order: key, en, zh, text (i18n/labels/<lang>/glossary.toml)."""
    g = i18n.labels(lang).get("glossary") or {}
    return [dict(t) for t in g.get("terms", [])]


def short_names(b) -> list[dict]:
    """The short names of hospitals (and of centres not named after a listed hospital) that the
    briefing handed out so far, with their full English and Chinese names, by short name."""
    hospitals = {k: v for k, v in b.short_names.items() if k[0] == "hospital"}
    listed = {v[0] for v in hospitals.values()}
    centres = {k: v for k, v in b.short_names.items()
               if k[0] == "centre" and not any(v[0].startswith(s) for s in listed)}
    rows = [{"short": s, "full": full, "zh": zh} for s, full, zh in [*hospitals.values(), *centres.values()]]
    # one entry per short name: a hospital the sources spell two ways in Chinese (华中科技大学同济医学院
    # 附属同济医院 / 华中科技大学附属同济医院) has one English name and one short name
    rows = list({r["short"]: r for r in reversed(rows)}.values())
    return sorted(rows, key=lambda r: r["short"].casefold())


def glossary(b) -> Block:
    """The glossary block (English briefings; empty for Chinese ones)."""
    if b.zh:
        return Block(Markup(""), "annex", "glossary", b.lang)
    # the annex's tables come after the glossary: their lead hospitals are listed already
    shown = b.ds.counted_centers if b.national else pd.concat([b.centres, b.exported])
    for lead in shown["output_hospital_zh"].dropna().unique():
        if lead:
            b.hospital(lead, short=True, spell=False)
    html = render("glossary.html.j2", L=b.L, terms=terms(b.lang), names=short_names(b), standalone=False)
    return Block(html, "annex", "glossary", b.lang)


def glossary_page(lang: str = "en", *, home_href: str = "index.html") -> str:
    """The glossary as a stand-alone HTML page (the English front page links to it); "" for a
    language that has no glossary."""
    if not terms(lang):
        return ""
    from nrmc.sections.base import inline_css

    L = lambda key: i18n.label(lang, key)  # noqa: E731
    body = render("glossary.html.j2", L=L, terms=terms(lang), names=[], standalone=True)
    return str(render("glossary_page.html.j2", L=L, body=body, css=Markup(inline_css()), home_href=home_href,
                      lang="en" if lang == "en" else "zh-CN"))
