"""Briefings composed in process (no kernel, no browser), cached for the session: the findings of
every section, and the HTML the sections show, for any scope and language.

ONE composition per (scope, language) and test process serves every test that reads a briefing:
`composed` (the context and the HTML, as nrmc.assemble.compose_html makes it) and
`briefing_texts.compose` (the same sections' blocks by name) are two views of one pass through the
sections in notebook order (a context records what it has spelled out and dated, so the sections
are called once on a fresh one: the result is what either view alone would give). Composing one
briefing takes 1–3 s and the fast suite reads all 64 from several modules: each process pays once."""
from __future__ import annotations

import functools

import nrmc
from nrmc import regions
from nrmc.context import Briefing

# The unusual ones first: national, a host with a stated total and a source's rank (anhui), one
# with a source's "全国最大" (guizhou), the most named centres (henan), batch 5 only (hubei),
# nothing known (tibet), exporters (shanghai, beijing).
UNUSUAL = ("national", "anhui", "guizhou", "henan", "hubei", "tibet", "shanghai", "beijing")
ALL = tuple(s.slug for s in regions.all_scopes())
LANGS = ("zh", "en")


@functools.lru_cache(maxsize=1)
def dataset():
    return nrmc.load()


@functools.lru_cache(maxsize=None)
def composition(scope: str, lang: str) -> tuple[Briefing, str, tuple[tuple[str, object], ...]]:
    """(context after composing, HTML of the parts, ((section name, Block), …) in reading order):
    what `nrmc.sections.compose` and `compose_html` do, once, keeping each section's name. An
    exception in a section is raised naming the scope and the section."""
    import nrmc.sections as s
    from nrmc.assemble import notebook_of, parts

    from briefing_texts import _blocks, section_names

    b = Briefing(scope, lang=lang, ds=dataset())
    shown: list = []
    named: list[tuple[str, object]] = []
    for name in section_names(scope):
        try:
            out = getattr(s, name)(b)
            blocks = _blocks(out)
        except Exception as err:
            raise RuntimeError(f"{scope} ({lang}): section {name} failed: {type(err).__name__}: {err}") from err
        if out is not None:
            shown.append(out)
        named += [(name, blk) for blk in blocks]
    return b, "".join(parts(notebook_of(shown, html_only=True))), tuple(named)


def composed(scope: str, lang: str) -> tuple[Briefing, str]:
    """The briefing's context after composing it, and its HTML (parts, in notebook order)."""
    b, html, _ = composition(scope, lang)
    return b, html
