"""The real dataset holds what the sources say, with provenance."""
from __future__ import annotations

import re

import pandas as pd
import pytest

from conftest import SEEDS, SEEDS_MISSING


def test_every_table_loads_with_types(ds):
    assert len(ds.provinces) == 31
    assert ds.metrics["value"].dtype == "float64"
    assert pd.api.types.is_datetime64_any_dtype(ds.metrics["as_of_dt"])
    assert ds.provinces["pop_2024"].dtype == "Int64"
    assert ds.specialties["plan_target"].sum() == 12  # the expansion plan's 12 specialties


def test_text_is_plain_strings_in_one_block_and_empty_is_an_empty_string(ds):
    """Text columns are object columns of str (pandas 3's `str` dtype puts each column in a block of
    its own, and every filter of a briefing took them one by one); an empty cell is "", never NaN,
    and the tables carry no attrs (pandas deep-copies them on every operation)."""
    from nrmc.data import TABLES

    for name in TABLES:
        df = getattr(ds, name)
        assert not any(isinstance(t, pd.StringDtype) for t in df.dtypes), name
        assert df.attrs == {}, name
    text = ds.metrics.select_dtypes("object")
    assert len(text.columns) >= 10 and ds.metrics._mgr.nblocks <= 6
    assert text.map(lambda v: isinstance(v, str)).all().all()
    assert (ds.metrics["flag"] == "").any() and not ds.metrics["flag"].isna().any()


def _same_records(a: list[dict], b: list[dict]) -> None:
    assert len(a) == len(b)
    for x, y in zip(a, b):
        assert list(x) == list(y)
        for k in x:
            assert type(x[k]) is type(y[k]), (k, x[k], y[k])
            assert x[k] == y[k] or (pd.isna(x[k]) and pd.isna(y[k])), (k, x[k], y[k])


def test_records_are_what_to_dict_gives(ds):
    """`records` stands in for `to_dict("records")` on every table a briefing reads: the same keys in
    the same order, the same values of the same Python types (numpy scalars as Python ones, a missing
    value of a text or extension column as None, NaT and Timestamps as pandas gives them)."""
    import numpy as np
    from dataclasses import fields

    from nrmc.data import records

    for f in fields(ds):
        df = getattr(ds, f.name)
        if isinstance(df, pd.DataFrame):
            _same_records(records(df), df.to_dict("records"))
            _same_records(df.iloc[:0].pipe(records), [])
    odd = pd.DataFrame({"int": [1, 2], "float": [1.5, np.nan], "Int64": pd.array([1, None], dtype="Int64"),
                        "mixed": ["x", np.int64(3)], "when": pd.to_datetime(["2024-01-01", None]),
                        "flag": [True, False], "string": pd.array(["s", None], dtype="string"),
                        "np_float": pd.Series([np.float64(2.5), "y"], dtype=object)})
    got = records(odd)
    _same_records(got, odd.to_dict("records"))
    assert got[1]["Int64"] is None and got[1]["string"] is None and type(got[1]["mixed"]) is int


def test_counted_centres_are_derived_once_and_again_when_the_table_changes(ds):
    ds = ds.copy()  # the session's dataset is shared: this one's table is replaced below
    first = ds.counted_centers
    assert ds.counted_centers is first
    assert set(first["status"]) and "planned" not in set(first["status"])
    ds.centers = ds.centers[ds.centers["province_code"] == "340000"]
    again = ds.counted_centers
    assert again is not first and set(again["province_code"]) == {"340000"}


def test_71_projects_of_the_2023_list_are_all_there(ds):
    from_list = ds.centers[ds.centers["source_ids"].str.split(";").map(lambda s: "S02" in s)]
    assert len(from_list) == 71
    assert from_list["center_id"].is_unique


def test_anhui_nine_stated_seven_named(ds):
    ah = ds.centers[ds.centers["province_code"] == "340000"]
    assert len(ah) == 7
    assert "上海交通大学医学院附属仁济医院安徽医院" in set(ah["name_zh"])  # named only by the Anhui article
    stated = ds.metrics[(ds.metrics["subject_id"] == "340000") & (ds.metrics["metric"] == "nrmc_count")]
    total = stated[stated["breakdown"] == ""]
    assert total["value"].tolist() == [9.0] and total["source_id"].tolist() == ["S01"]
    cities = stated[stated["breakdown"].str.startswith("city=")].set_index("breakdown")["value"].to_dict()
    assert cities == {"city=合肥市": 5.0, "city=蚌埠市": 2.0, "city=芜湖市": 2.0}


def test_guizhou_five_centres_and_beds(ds):
    gz = ds.counted_centers[ds.counted_centers["province_code"] == "520000"]
    assert len(gz) == 5
    planned = ds.centers[(ds.centers["province_code"] == "520000") & (ds.centers["status"] == "planned")]
    assert planned["name_zh"].tolist() == ["北京协和医院贵州医院"]
    beds = ds.metrics[(ds.metrics["subject_id"] == "520000") & (ds.metrics["metric"] == "beds")]
    assert beds[["value", "unit", "as_of", "source_id"]].values.tolist() == [[4200.0, "张", "2024-08", "S05"]]


def test_guizhou_outpatient_figure_is_kept_as_published_and_flagged(ds):
    row = ds.metrics[(ds.metrics["subject_id"] == "520000") & (ds.metrics["metric"] == "outpatient_visits")]
    assert len(row) == 1
    r = row.iloc[0]
    assert (r["value"], r["unit"], r["flag"]) == (29063.0, "万人次", "suspect_unit")
    assert "29063" in r["quote"] and len(r["note"]) > 40


def test_fudan_childrens_anhui_two_dates_two_rows(ds):
    fudan = ds.centers.set_index("name_zh").loc["复旦大学附属儿科医院安徽医院", "center_id"]
    tech = ds.metrics[(ds.metrics["subject_id"] == fudan) & ds.metrics["metric"].isin(["new_technologies", "transferred_technologies"])]
    # the hospital's own count (S03) and the count transferred from Shanghai (S01): two measures
    assert sorted(zip(tech["value"], tech["metric"], tech["source_id"])) == [
        (412.0, "new_technologies", "S03"), (453.0, "transferred_technologies", "S01")]
    assert tech["as_of"].nunique() == 2


def test_published_errors_are_kept_with_a_corrected_reading(ds):
    r = ds.centers.set_index("name_zh").loc["复旦大学华西医院厦门医院"]
    assert r["name_zh_corrected"] == "四川大学华西医院厦门医院"
    assert r["note"]
    blank_host = ds.centers.set_index("name_zh").loc["北京大学口腔医院三亚分院"]
    assert blank_host["host_hospital_zh"] == ""


def test_every_figure_has_source_and_date_and_every_source_is_listed(ds):
    m = ds.metrics
    assert (m["source_id"] != "").all() and m["as_of_dt"].notna().all()
    assert set(m["source_id"]) <= set(ds.sources["source_id"])
    for ids in ds.centers["source_ids"]:
        assert set(ids.split(";")) <= set(ds.sources["source_id"])


def _normalise(text: str) -> str:
    return re.sub(r"\s+", "", text)


@pytest.mark.skipif(not SEEDS.exists(), reason=SEEDS_MISSING)
def test_quotes_of_seed_figures_appear_in_their_seed(ds):
    """No number that no source states: each seed figure's quote is in its seed article and
    contains the number as published (in digits or as the quote prints it)."""
    seeds = {r["source_id"]: _normalise((SEEDS / r["seed_file"]).read_text(encoding="utf-8"))
             for _, r in ds.sources.iterrows() if r["seed_file"]}
    m = ds.metrics[ds.metrics["source_id"].isin(seeds)]
    assert len(m) > 100
    missing = [(r["_line"], r["quote"]) for _, r in m.iterrows() if _normalise(r["quote"]) not in seeds[r["source_id"]]]
    assert missing == []


def test_specialty_basis_and_reasoning(ds):
    inferred = ds.centers[ds.centers["specialty_basis"] == "inferred"]
    assert (inferred["note"].str.len() > 10).all()
    stated = ds.centers[ds.centers["specialty_basis"] == "stated"].set_index("name_zh")["specialty"]
    assert stated["上海市第六人民医院安徽医院"] == "trauma"
    assert stated["复旦大学附属儿科医院安徽医院"] == "pediatrics"


def test_official_totals_for_completeness(ds):
    totals = ds.milestones.dropna(subset=["projects_total"]).set_index("date")["projects_total"].to_dict()
    assert totals["2023-04-13"] == 76 and totals["2023-11-08"] == 125


def test_provincial_centres_are_a_separate_table(ds):
    assert set(ds.provincial_centers["name_zh"]) >= {"十堰市太和医院", "雅安市中医医院"}
    assert not set(ds.provincial_centers["name_zh"]) & set(ds.centers["name_zh"])


def test_as_of_filters_centres_and_figures(ds):
    early = ds.as_of("2023-01-31")
    # the list of 2023-01-12 (71) and two centres sources named before it: SC-01 (2022-12-20), GX-03 (2023-01-10)
    assert len(early.counted_centers) == 73
    assert early.metrics["as_of_dt"].max() <= pd.Timestamp("2023-01-31")
    assert early.milestones["date_dt"].max() <= pd.Timestamp("2023-01-31")
