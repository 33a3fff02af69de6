"""NRMC Briefings: China's National Regional Medical Centres (国家区域医疗中心) as data and briefings.

`nrmc.load()` returns the validated dataset. The heavy modules (pandas, pandera) are imported on
first use, so that the command line can decide that nothing needs rebuilding in a fraction of a
second.
"""
from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["Dataset", "DataValidationError", "load", "__version__"]


def __getattr__(name: str):
    if name in ("Dataset", "DataValidationError", "load"):
        from nrmc import data

        return getattr(data, name)
    raise AttributeError(f"module 'nrmc' has no attribute {name!r}")
