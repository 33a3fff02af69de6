"""NRMC Briefings: China's National Regional Medical Centres (国家区域医疗中心) as data and briefings.

    import nrmc
    ds = nrmc.load()                       # the validated dataset (pandas DataFrames)
    nrmc.explore.lead_hospitals(ds)        # analysis-ready tables, labels joined (see nrmc.explore)
    b = nrmc.Briefing("anhui", lang="zh")  # one briefing's context: a province or "national"
    nrmc.sections.coverage(b)              # a section: findings, chart, table, .data

The public names (`__all__`): `load`, `Dataset`, `DataValidationError`, `Briefing`,
`check_parameters`, and the modules `explore` (tables for your own questions), `sections` (the
briefing's sections), `coverage`, `performance`, `specialty` (the analysis behind them) and
`charts` (the briefings' SVG charts). `nrmc.load()` also sets matplotlib up for Chinese labels.

The heavy modules (pandas, matplotlib) are imported on first use, so that the command line can
decide that nothing needs rebuilding in a fraction of a second.
"""
from __future__ import annotations

import importlib as _importlib
import typing as _t

__version__ = "0.1.0"

# name -> module that defines it (imported when first used)
_LAZY = {
    "Dataset": "nrmc.data", "DataValidationError": "nrmc.data", "load": "nrmc.explore",
    "Briefing": "nrmc.context", "check_parameters": "nrmc.parameters",
}
_MODULES = ("sections", "coverage", "performance", "specialty", "charts", "explore")
__all__ = ["Briefing", "Dataset", "DataValidationError", "check_parameters", "load", "__version__", *_MODULES]

if _t.TYPE_CHECKING:  # what editors and type checkers see; at run time each is imported on first use
    from nrmc import charts, coverage, explore, performance, sections, specialty
    from nrmc.context import Briefing
    from nrmc.data import Dataset, DataValidationError
    from nrmc.explore import load
    from nrmc.parameters import check_injected as check_parameters


def __getattr__(name: str):
    if name == "check_parameters":
        from nrmc.parameters import check_injected

        return check_injected
    if name in _LAZY:
        return getattr(_importlib.import_module(_LAZY[name]), name)
    if name in _MODULES:
        module = _importlib.import_module(f"nrmc.{name}")
        if name == "charts":  # a chart drawn by hand after `from nrmc import charts` prints Chinese too
            _importlib.import_module("nrmc.explore")._use_cjk_font()
        return module
    raise AttributeError(f"module 'nrmc' has no attribute {name!r}")


def __dir__() -> list[str]:
    """The public API (and the module's dunders), not whatever submodule happens to be imported."""
    return sorted(set(__all__) | {n for n in globals() if n.startswith("__") and n.endswith("__")})
