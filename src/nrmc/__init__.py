"""NRMC Briefings: China's National Regional Medical Centres (国家区域医疗中心) as data and briefings."""
from __future__ import annotations

__version__ = "0.1.0"

from nrmc.data import Dataset, DataValidationError, load  # noqa: E402

__all__ = ["Dataset", "DataValidationError", "load", "__version__"]
