"""A chart's arguments as the cache key: cleaned, checked and JSON-ready, so that the key is
exactly what the drawing reads."""
from __future__ import annotations

import math
import re
from typing import Any

import pandas as pd

from nrmc.charts.text import _clean, _is_cjk


def _num(v) -> float | None:
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(f) or math.isinf(f) else f


def _bools(v, n: int, name: str) -> list[bool]:
    if v is None:
        return [False] * n
    out = [bool(x) for x in v]
    if len(out) != n:
        raise ValueError(f"{name}: {len(out)} values for {n} bars")
    return out


def _strs(v, n: int, name: str) -> list[str]:
    out = [_clean(x) for x in v]
    if len(out) != n:
        raise ValueError(f"{name}: {len(out)} values for {n} items")
    return out


def _date(v) -> str:
    ts = pd.Timestamp(v)
    if pd.isna(ts):
        raise ValueError(f"not a date: {v!r}")
    return ts.strftime("%Y-%m-%d")


def _year(iso: str) -> float:
    ts = pd.Timestamp(iso)
    start = pd.Timestamp(year=ts.year, month=1, day=1)
    days = 366 if ts.is_leap_year else 365
    return ts.year + (ts - start).days / days


def _is_zh(*texts: str) -> bool:
    return any(_is_cjk(t) for t in texts)


def _sep(zh: bool) -> str:
    return "；" if zh else "; "


_SAFE_HREF = re.compile(r"^(?![a-zA-Z][a-zA-Z0-9+.-]*:)|^(https?|mailto):", re.I)


def _href(h: Any) -> str:
    h = _clean(h)
    if not _SAFE_HREF.match(h):
        raise ValueError(f"refusing link {h!r}: only relative, http(s) and mailto links")
    return h
