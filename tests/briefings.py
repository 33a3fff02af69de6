"""Briefings composed in process (no kernel, no browser), cached for the session: the findings of
every section, and the HTML the sections show, for any scope and language."""
from __future__ import annotations

import functools

import nrmc
from nrmc import regions
from nrmc.assemble import compose_html
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
def composed(scope: str, lang: str) -> tuple[Briefing, str]:
    """The briefing's context after composing it, and its HTML (parts, in notebook order)."""
    b = Briefing(scope, lang=lang, ds=dataset())
    return b, compose_html(b)
