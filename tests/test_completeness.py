"""Completeness stays honest (issue 22, point 6): named centres against the official total of a
date, overall and per batch where a source states the batch."""
from __future__ import annotations

from dataclasses import replace

import pandas as pd

from nrmc.coverage import completeness_by_batch


def with_batches(ds, rows):
    cb = pd.DataFrame(rows, columns=["center_id", "batch", "source_id", "quote", "flag", "note"])
    return replace(ds, center_batches=cb)


def test_completeness_overall_and_per_batch(ds):
    t = completeness_by_batch(ds).set_index("group", append=True)
    all_ = completeness_by_batch(ds).query("group == 'all'").iloc[0]
    assert all_["named"] == len(ds.counted_centers) and all_["official"] == 125 and all_["official_source"] == "P039"  # the NHC reconfirmed 125 on 2024-05-07
    batches = completeness_by_batch(ds).query("group == 'batch'").set_index("batch")
    assert batches.loc[1, "official"] == 10 and batches.loc[3, "official"] == 24 and batches.loc[5, "official"] == 49
    # batch 2 is sized by a source (16: Xinhua 2021-07-24, P040); batch 4 has named centres but no source
    # sizes it, so its official size stays unknown: never derived from the totals (76 - 50)
    assert batches.loc[2, "official"] == 16 and batches.loc[2, "official_source"] == "P040"
    assert pd.isna(batches.loc[4, "official"]) and batches.loc[4, "named"] >= 1
    assert len(t) >= 4


def test_named_centres_per_batch_where_a_source_states_it(ds):
    d = with_batches(ds, [("AH-01", 1, "S03", "q", "", ""), ("GZ-01", 3, "S05", "q", "", ""),
                          ("GZ-02", 3, "S05", "q", "conflict", ""), ("GZ-02", 4, "S02", "q", "conflict", "")])
    t = completeness_by_batch(d)
    b = t[t["group"] == "batch"].set_index("batch")
    assert b.loc[1, "named"] == 1 and b.loc[3, "named"] == 1 and b.loc[1, "share"] == 10
    assert 4 in b.index and pd.isna(b.loc[4, "official"]) and b.loc[4, "named"] == 0  # GZ-02's batch is disputed
    g = t.set_index("group")
    assert g.loc["conflict", "named"] == 1 and g.loc["unknown", "named"] == len(ds.counted_centers) - 3
    assert b["lower_bound"].all() and not g.loc["all", "lower_bound"]
    assert g.loc["all", "named"] == b["named"].sum() + g.loc["conflict", "named"] + g.loc["unknown", "named"]


def test_completeness_at_a_date(ds):
    t = completeness_by_batch(ds, "2023-06").set_index("group")
    assert t.loc["all", "official"] == 76 and t.loc["all", "official_as_of"] == "2023-04-13"
    assert t.loc["all", "named"] == len(ds.as_of("2023-06").counted_centers)
    assert 5 not in set(completeness_by_batch(ds, "2023-06")["batch"].dropna())  # batch 5 came about 2023-07
