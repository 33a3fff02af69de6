"""The national overview's page two: every province the sources say has centres, at a glance.

One row a province: its centres (a source's stated total where there is one, marked, else the
centres the sources name), per 10 million residents, how many are named, how many of the named
have opened (the progress section's classes) and how many report results (the performance
section's rule: a result measure, not a plan). Sorted by centres, then per head. A province known
to have centres but no number ('≥1') comes last. It answers the first question a national reader
asks of page two — where are the centres and how far have they got — in one table.
"""
from __future__ import annotations

import importlib
import math

import pandas as pd
from markupsafe import Markup

from nrmc import i18n
from nrmc.data import records
from nrmc.sections.base import render

STATED_MARK = "†"


def frame(b) -> pd.DataFrame:
    """The table's data: code, province, count, basis, per_10m, named, opened, reporting (centres with
    a result) and totals (the province has a result summed over its centres)."""
    performance = importlib.import_module("nrmc.sections.performance")
    progress = importlib.import_module("nrmc.sections.progress")
    st = b.status
    c = b.ds.counted_centers
    recs = b._cache.get("progress_standing") if b.national else None
    if not recs:
        recs = progress.standing(b, c)
    opened = pd.Series([r["c"]["province_code"] for r in recs if r["cls"] in progress.OPEN], dtype=object).value_counts()
    m = performance.result_rows(b.ds)  # the performance section's rule, so the two agree
    by_centre = c.set_index("center_id")["province_code"]
    reporting = m.loc[m["subject_id"].isin(by_centre.index), "subject_id"].drop_duplicates().map(by_centre).value_counts()
    t = st[st["known"]].copy()
    t["province"] = [b.pname(x) for x in t["code"]]
    t["opened"] = t["code"].map(opened).fillna(0).astype(int)
    t["reporting"] = t["code"].map(reporting).fillna(0).astype(int)
    t["totals"] = t["code"].isin(set(m["subject_id"]))  # a province-level total of a result (Henan's)
    t["_unknown"] = t["count"].isna()
    t = t.sort_values(["_unknown", "count", "per_10m", "code"], ascending=[True, False, False, True])
    return t[["code", "province", "count", "count_basis", "per_10m", "named", "opened", "reporting", "totals"]].reset_index(drop=True)


def table(b) -> Markup | None:
    """The table as HTML (national overview only)."""
    if not b.national:
        return None
    t = frame(b)
    if t.empty:
        return None
    rows = []
    for r in t.pipe(records):
        if r["count"] is None or (isinstance(r["count"], float) and math.isnan(r["count"])):
            count, per = "≥1", ""
        else:
            count = i18n.number(r["count"], b.lang) + (STATED_MARK if r["count_basis"] == "stated" else "")
            per = i18n.number(r["per_10m"], b.lang, 2)
        rows.append({"cells": [r["province"], count, per, i18n.number(r["named"], b.lang),
                               i18n.number(r["opened"], b.lang),
                               i18n.number(r["reporting"], b.lang) + (b.L("glance.with_totals") if r["totals"] else "")],
                     "mark": False})
    L = lambda k, **kw: b.L(f"glance.{k}", **kw)  # noqa: E731
    head = [L("province"), L("centres"), L("per_10m"), L("named"), L("opened"), L("reporting")]
    note = L("note", mark=STATED_MARK, year=b.status.attrs["pop_year"])
    return render("data_table.html.j2", caption=L("caption", n=len(rows)), head=head, rows=rows, note=note,
                  cls="glance", nowrap=[1, 2, 3, 4, 5])
