"""Specialty mix: what the programme builds, nationally and in one province.

Shares are of named, approved centres. Each count is split into `stated` (a source names the
specialty) and `inferred` (deduced from the output hospital), so a chart can show how much of
the picture rests on inference.
"""
from __future__ import annotations

import pandas as pd

from nrmc.coverage import province_code
from nrmc.data import Dataset

__all__ = ["specialty_counts", "specialty_compare", "inferred_share"]


def __dir__() -> list[str]:  # the API, not the modules it imports (np, pd …)
    return sorted(__all__)


def specialty_counts(ds: Dataset, province: object | None = None) -> pd.DataFrame:
    """Centres by specialty (every specialty of specialties.csv, zero included), nationally or for
    one province. Columns: code, name_zh, name_en, plan_target, category, count, stated, inferred,
    share (% of the scope's centres)."""
    c = ds.counted_centers
    if province is not None:
        c = c[c["province_code"] == province_code(ds, province)]
    sp = ds.specialties.sort_values("sort_order")
    out = sp[["code", "name_zh", "name_en", "plan_target", "category"]].copy()
    by = c.groupby(["specialty", "specialty_basis"]).size().unstack(fill_value=0)
    for basis in ("stated", "inferred"):
        out[basis] = out["code"].map(by[basis] if basis in by else pd.Series(dtype=int)).fillna(0).astype(int)
    out["count"] = out["stated"] + out["inferred"]
    total = out["count"].sum()
    out["share"] = out["count"] / total * 100 if total else float("nan")
    return out.reset_index(drop=True)


def specialty_compare(ds: Dataset, province: object) -> pd.DataFrame:
    """The province's specialty shares against the nation's, for every specialty present in
    either. Columns: code, name_zh, name_en, province_count, province_share, national_count,
    national_share, difference (percentage points)."""
    here = specialty_counts(ds, province)
    nation = specialty_counts(ds)
    out = here[["code", "name_zh", "name_en"]].copy()
    out["province_count"] = here["count"]
    out["province_share"] = here["share"]
    out["national_count"] = nation["count"]
    out["national_share"] = nation["share"]
    out["difference"] = out["province_share"] - out["national_share"]
    keep = (out["province_count"] > 0) | (out["national_count"] > 0)
    return out[keep].sort_values(["national_count", "province_count"], ascending=False).reset_index(drop=True)


def inferred_share(ds: Dataset, province: object | None = None) -> float:
    """Percentage of the scope's centres whose specialty is inferred rather than stated."""
    s = specialty_counts(ds, province)
    total = s["count"].sum()
    return float(s["inferred"].sum() / total * 100) if total else float("nan")
