"""NRMC Briefings: China's National Regional Medical Centres (国家区域医疗中心) as data and briefings.

    import nrmc
    ds = nrmc.load()                      # the validated dataset (pandas DataFrames)
    b = nrmc.Briefing("anhui", lang="zh")  # one briefing's context: a province or "national"
    nrmc.sections.coverage(b)             # a section: findings, chart, table, .data

The heavy modules (pandas, matplotlib) are imported on first use, so that the command line can
decide that nothing needs rebuilding in a fraction of a second.
"""
from __future__ import annotations

import importlib

__version__ = "0.1.0"

# name -> module that defines it (imported when first used)
_LAZY = {
    "Dataset": "nrmc.data", "DataValidationError": "nrmc.data", "load": "nrmc.data",
    "Briefing": "nrmc.context", "check_parameters": "nrmc.parameters",
}
_MODULES = ("sections", "coverage", "performance", "specialty", "charts", "explore")
__all__ = ["Briefing", "Dataset", "DataValidationError", "check_parameters", "load", "__version__", *_MODULES]


def __getattr__(name: str):
    if name == "check_parameters":
        from nrmc.parameters import check_injected

        return check_injected
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    if name in _MODULES:
        return importlib.import_module(f"nrmc.{name}")
    raise AttributeError(f"module 'nrmc' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(__all__) | set(globals()))
