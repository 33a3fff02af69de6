"""The briefings: a province's and the national one, in Chinese (default) or English.

    >>> from nrmc.briefing import ProvinceBriefing
    >>> b = ProvinceBriefing("安徽")      # any name form: 安徽省, 皖, anhui, 340000, CN-AH
    >>> b.summary()                      # displays in Jupyter

A briefing is composed once, in reading order, when it is created: the leader's summary (exactly
two printed pages), the analysis (one page per point, each with one chart and its reading) and
the annex. Every sentence is generated from the data; sources are numbered in the order the
briefing first cites them. The Python side (`province.py`, `national.py`) computes what each part
shows; the HTML comes from the Jinja2 templates in `nrmc/templates/sections/`.
"""
from nrmc.briefing.national import NationalBriefing
from nrmc.briefing.province import ProvinceBriefing

__all__ = ["ProvinceBriefing", "NationalBriefing"]
