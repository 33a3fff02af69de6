"""The sections of a briefing, in the order the notebooks show them.

    >>> from nrmc import Briefing, sections as s
    >>> b = Briefing("anhui", lang="zh")
    >>> s.key_messages(b)      # page 1: the key messages and key figures
    >>> s.page_two(b)          # page 2: the centres, dated results, caveats
    >>> cov = s.coverage(b)    # a Section: cov.findings, cov.text, cov.figure, cov.table, cov.data
    >>> s.glossary(b)          # English: the terms and short names, at the start of the annex
    >>> s.annex(b)             # last: the evidence, every figure, the sources it cited

Each returns an object that displays itself in Jupyter and becomes part of the briefing when the
notebook is exported.
"""
from nrmc.sections.annex import annex
from nrmc.sections.base import Block, Section
from nrmc.sections.coverage import section as coverage
from nrmc.sections.glossary import glossary
from nrmc.sections.summary import page_one as key_messages
from nrmc.sections.summary import page_two

__all__ = ["Block", "Section", "annex", "coverage", "glossary", "key_messages", "page_two"]
