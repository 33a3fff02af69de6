"""The sections of a briefing, in the order the notebooks show them.

    >>> from nrmc import Briefing, sections as s
    >>> b = Briefing("anhui", lang="zh")
    >>> s.key_messages(b)      # page 1: the key messages and key figures
    >>> s.page_two(b)          # page 2: the centres, dated results, caveats
    >>> cov = s.coverage(b)    # a Section: cov.findings, cov.text, cov.figure, cov.table, cov.data
    >>> s.annex(b)             # last: the evidence, every figure, the sources it cited

Each returns an object that displays itself in Jupyter and becomes part of the briefing when the
notebook is exported.
"""
import importlib as _importlib
import importlib.util as _util

# Every section module is imported here, before the functions below take the themes' names: a
# submodule imported for the first time later would rebind its name in this package to itself.
for _name in ("base", "text", "common", "maps", "coverage", "exports", "performance", "specialty", "progress",
              "note", "glossary", "summary", "annex"):
    if _util.find_spec(f"nrmc.sections.{_name}") is not None:
        _importlib.import_module(f"nrmc.sections.{_name}")

from nrmc.sections.annex import annex  # noqa: E402
from nrmc.sections.base import Block, Section  # noqa: E402
from nrmc.sections.coverage import section as coverage  # noqa: E402
from nrmc.sections.note import note  # noqa: E402
from nrmc.sections.summary import page_one as key_messages  # noqa: E402
from nrmc.sections.summary import page_two as _page_two  # noqa: E402

# Roles whose briefing is a short note: the sources name no centre in the province.
NOTE_ROLES = ("known", "unknown")


def _module(name: str):
    return _importlib.import_module(f"nrmc.sections.{name}")


def shows(b, theme: str) -> bool:
    """Whether the briefing `b` shows the section `theme` (its findings may then lead page 1)."""
    if theme == "exports":
        return b.national or not b.exported.empty
    if theme in ("performance", "specialty", "progress"):
        return b.role not in NOTE_ROLES + ("exporter",)
    return True


def page_two(b) -> Block | None:
    """Page 2: the centres (or those the province's hospitals lead), dated results, caveats. A
    province the sources name no centre in has its note instead."""
    return None if b.role in NOTE_ROLES else _page_two(b)


def exports(b) -> Section | None:
    """What the province's hospitals support elsewhere (nationally: where lead hospitals are);
    nothing for a province whose hospitals lead no named centre elsewhere."""
    return _module("exports").section(b) if shows(b, "exports") else None


def performance(b) -> Section | None:
    """The results the sources publish (nothing for a province with no centre of its own)."""
    return _module("performance").section(b) if shows(b, "performance") else None

__all__ = ["Block", "Section", "annex", "compose", "coverage", "exports", "key_messages", "note", "page_two", "performance"]


# The sections in the order the notebooks show them (a test checks the notebooks agree).
ORDER = ("key_messages", "page_two", "coverage", "exports", "performance", "specialty", "progress", "note",
         "glossary", "annex")


def compose(b) -> list:
    """Every section of the briefing `b`, shown in notebook order, as the objects a cell displays
    (for tests and scripts that compose a briefing without a kernel: see nrmc.assemble.compose_html)."""
    import sys

    here = sys.modules[__name__]
    out = []
    for name in ORDER:
        fn = getattr(here, name, None)
        if fn is None:
            continue
        shown = fn(b)
        if shown is not None:
            out.append(shown)
    return out
