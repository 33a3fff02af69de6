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
from nrmc.sections.annex import annex
from nrmc.sections.base import Block, Section
from nrmc.sections.coverage import section as coverage
from nrmc.sections.note import note
from nrmc.sections.summary import page_one as key_messages
from nrmc.sections.summary import page_two

__all__ = ["Block", "Section", "annex", "compose", "coverage", "key_messages", "note", "page_two"]


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
