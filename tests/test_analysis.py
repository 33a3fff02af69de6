"""Coverage, specialty mix and performance functions against hand-checked figures of the real data."""
from __future__ import annotations

import math

import pandas as pd
import pytest

from nrmc import coverage, performance, specialty
from nrmc.performance import IncomparableFiguresError


def test_centers_by_province_counts_and_rates(ds):
    t = coverage.centers_by_province(ds).set_index("code")
    assert len(t) == 31 and t.attrs["pop_year"] == 2024
    assert t["centers"].sum() == len(ds.counted_centers) == 99  # 75 in the seeds + 23 from the public record (issue 22) + GS-04 (P366)
    ah = t.loc["340000"]
    assert ah["centers"] == 7 and ah["population"] == 6123
    assert ah["stated"] == 9  # the Anhui article's total, reported beside the named count


def test_province_status_keeps_named_stated_and_programme_facts_apart(ds):
    t = coverage.province_status(ds).set_index("code")
    ah = t.loc["340000"]
    assert (ah["named"], ah["stated"], ah["count"], ah["count_basis"], ah["role"]) == (7, 9, 9, "stated", "host")
    assert ah["per_10m"] == pytest.approx(9 / 6123 * 1000) and ah["per_10m_named"] == pytest.approx(7 / 6123 * 1000)
    hn = t.loc["430000"]  # a batch-5 first with no centre named by the sources read
    assert hn["role"] == "known" and hn["first_batch"] == 5 and pd.isna(hn["count"]) and pd.isna(hn["rank"])
    hb = t.loc["420000"]  # batch-5 first: P305 states 3, all named (HB-01…HB-03)
    assert hb["role"] == "host" and hb["first_batch"] == 5 and hb["count"] == 3 and hb["count_basis"] == "stated"
    assert t.loc["310000", "role"] == "exporter" and t.loc["310000", "exported"] == 17  # + 龙华医院甘肃医院, + one in the south, + 市一医院酒泉医院 (P366)
    assert t.loc["540000", "role"] == "unknown"
    assert int(t["known"].sum()) == 27 and int((t["named"] > 0).sum()) == 25
    ranked = t[t["rank"].notna()]
    assert len(ranked) == 25 and t["n_ranked"].iloc[0] == 25
    assert ranked["rank"].min() == 1 and t.loc[t["per_10m"].idxmax(), "rank"] == 1


def test_national_count_is_the_official_total_with_the_named_lower_bound(ds):
    n = coverage.national_count(ds)
    assert (n.official_total, n.named, n.provinces_known, n.provinces_named) == (125, 99, 27, 25)
    assert n.per_10m_official == pytest.approx(125 / ds.provinces["pop_2024"].sum() * 1000)
    assert n.per_10m_named < n.per_10m_official


def test_city_spread_keeps_the_stated_split_beside_named_cities(ds):
    c = coverage.city_spread(ds, "安徽").set_index("city_zh")
    assert c.loc["合肥市", "stated"] == 5 and c.loc["合肥市", "named"] == 4 and c.loc["合肥市", "named_inferred"] == 1
    assert c.loc["芜湖市", "stated"] == 2 and c.loc["芜湖市", "named"] == 0 and c.loc["芜湖市", "city_en"] == "Wuhu"


def test_population_year_follows_as_of(ds):
    assert coverage.population_year(ds.as_of("2023-01-31")) == 2023
    assert coverage.population_year(ds.as_of("2022-12-31")) == 2022
    # before the list of 2023-01-12 only the eleven centres that earlier sources name are counted
    assert coverage.centers_by_province(ds.as_of("2022-12-31"))["centers"].sum() == 11
    assert coverage.province_status(ds.as_of("2022-12-31"))["count"].notna().sum() == 6
    assert coverage.centers_by_province(ds.as_of("2020-06-30"))["centers"].sum() == 0


def test_per_head_comparison_region_and_nation(ds):
    c = coverage.per_head_comparison(ds, "皖").set_index("scope")
    prov = ds.provinces
    central = prov[prov["region"] == "中部"]["code"]
    n_central = ds.counted_centers["province_code"].isin(central).sum()
    assert c.loc["region", "centers"] == n_central
    assert c.loc["region", "per_10m"] == pytest.approx(n_central / prov[prov["region"] == "中部"]["pop_2024"].sum() * 1000)
    assert c.loc["national", "per_10m"] == pytest.approx(99 / prov["pop_2024"].sum() * 1000)


def test_planned_specialties_present_unnamed_and_missing(ds):
    ps = coverage.planned_specialties(ds, "anhui").set_index("code")
    assert len(ps) == 13  # 12 planned specialties + TCM
    assert ps.loc["pediatrics", "status"] == "has" and ps.loc["tcm", "status"] == "has"
    # the article states an oncology and a mental-health centre but names neither
    assert ps.loc["oncology", "status"] == "has_unnamed" and ps.loc["mental_health", "status"] == "has_unnamed"
    assert ps.loc["ophthalmology", "status"] == "lacks"
    gz = coverage.planned_specialties(ds, "贵州").set_index("code")
    assert gz.loc["oncology", "status"] == "has_focus" and gz.loc["pediatrics", "status"] == "has"
    tibet = coverage.planned_specialties(ds, "西藏")
    assert (tibet["status"] == "lacks").all()


def test_output_origins_and_matrix(ds):
    o = coverage.output_origins(ds, "安徽省").set_index("origin_code")["centers"].to_dict()
    assert o == {"310000": 4, "110000": 2, "330000": 1}
    m = coverage.origin_host_matrix(ds)
    assert m.values.sum() == len(ds.counted_centers) == 99
    assert m.loc["北京", "河南"] == (ds.counted_centers.query("province_code == '410000' and output_province_code == '110000'").shape[0])
    beijing_out = coverage.as_origin(ds, "北京")
    assert len(beijing_out) == int(m.loc["北京"].sum())


def test_completeness_against_official_total(ds):
    c = coverage.completeness(ds)
    assert (c.named, c.official_total, c.official_date) == (99, 125, "2024-05-07")  # NHC reconfirmed 125 (P039)
    assert c.share == pytest.approx(round(99 / 125 * 100, 1))  # 79.2
    early = coverage.completeness(ds.as_of("2023-01-31"))
    assert (early.named, early.official_total) == (73, 50)


def test_specialty_counts_and_shares(ds):
    s = specialty.specialty_counts(ds).set_index("code")
    assert s["count"].sum() == 99
    assert s["share"].sum() == pytest.approx(100)
    assert (s["stated"] + s["inferred"] == s["count"]).all()
    ah = specialty.specialty_counts(ds, "皖").set_index("code")
    assert ah["count"].sum() == 7 and ah.loc["pediatrics", "stated"] == 1
    cmp_ = specialty.specialty_compare(ds, "皖").set_index("code")
    assert cmp_.loc["pediatrics", "province_share"] == pytest.approx(100 / 7)
    assert cmp_.loc["pediatrics", "difference"] == pytest.approx(100 / 7 - s.loc["pediatrics", "share"])


def test_figures_of_a_province_include_its_centres(ds):
    f = performance.figures(ds, "贵州")
    assert set(f["kind"]) == {"province", "centre"}
    beds = f[f["metric"] == "beds"].iloc[0]
    assert beds["display_zh"] == "4,200张" and beds["display_en"] == "4,200 beds" and beds["as_of"] == "2024-08"
    assert beds["date_zh"] == "2024年8月" and beds["theme"] == "patients"
    out = f[(f["metric"] == "outpatient_visits") & (f["subject_id"] == "520000")].iloc[0]
    assert out["flag_zh"] == "疑似单位有误" and out["display_zh"] == "29,063万人次"


def test_latest_and_comparable_take_the_newest_figure(ds):
    f = performance.figures(ds, "安徽")
    tech = performance.comparable(f, "leading_technologies")  # 复旦儿科安徽: 19 (S03, Jan 2025), 20 (S01, 安徽日报 29 Dec 2025)
    fudan = tech.set_index("name_zh").loc["复旦大学附属儿科医院安徽医院"]
    assert fudan["value"] == 20 and fudan["as_of"] == "2025-12-29" and fudan["n_figures"] == 2
    # figures transferred from the output hospital are another measure, never the newest of the hospital's own
    own = performance.comparable(f, "new_technologies").set_index("name_zh").loc["复旦大学附属儿科医院安徽医院"]
    assert own["value"] == 412 and own["n_figures"] == 1
    assert tech["subject_id"].is_unique


def test_figures_are_taken_from_every_figure_labelled_once_in_the_same_rows_and_order(ds):
    """figures / figures_of filter a table labelled once per dataset; each equals labelling its own
    subjects' figures (rows, order, columns, values), for the nation, a host, an exporter, a province
    without centres and a mixed set of subjects, and again after the figures change."""
    from dataclasses import replace

    subj = performance.subject_names(ds)
    keeps = [subj[subj["kind"] == "national"],
             *(subj[(subj["province_code"] == code) & subj["kind"].isin(["centre", "province", "provincial_centre"])]
               for code in ("340000", "310000", "540000", "110000")),
             subj[subj["subject_id"].isin({"340000", "national", *subj["subject_id"].iloc[::7]})]]
    def same(d, keep):
        got, expected = performance._labelled_rows(d, keep), performance._labelled(d, keep)
        if expected.empty:  # (labelling no rows gives some columns another dtype; nothing is shown)
            assert got.empty and list(got.columns) == list(expected.columns)
        else:
            pd.testing.assert_frame_equal(got, expected)

    assert sum(len(performance._labelled(ds, keep)) > 0 for keep in keeps) >= 3
    for keep in keeps:
        same(ds, keep)
    later = replace(ds, metrics=ds.metrics.iloc[::2].copy())
    keep = keeps[1]
    same(later, keep)
    assert len(performance._labelled_rows(later, keep)) < len(performance._labelled_rows(ds, keep))


def test_figures_of_different_dates_are_never_summed(ds):
    f = performance.figures(ds, "安徽")
    tech = f[(f["metric"] == "new_technologies") & (f["kind"] == "centre")]
    with pytest.raises(IncomparableFiguresError, match="different dates"):
        performance.safe_total(tech)
    same = tech[tech["as_of"] == "2025-12-29"].drop_duplicates("subject_id")
    assert performance.safe_total(same) == same["value_base"].sum()


def test_safe_total_refuses_mixed_units(ds):
    f = performance.figures(ds, "贵州")
    rows = f[f["metric"].isin(["beds", "outpatient_visits"]) & (f["subject_id"] == "520000")]
    with pytest.raises(IncomparableFiguresError):
        performance.safe_total(rows)


def test_unknowns_lists_missing_core_figures(ds):
    u = performance.unknowns(ds, "anhui").set_index("center_id")
    assert len(u) == 7
    # the Tiantan Anhui centre has no figure at all in the sources
    tiantan = ds.centers.set_index("name_zh").loc["首都医科大学附属北京天坛医院安徽医院", "center_id"]
    assert u.loc[tiantan, "known"] == 0 and "新技术" in u.loc[tiantan, "missing"]
    fudan = ds.centers.set_index("name_zh").loc["复旦大学附属儿科医院安徽医院", "center_id"]
    assert u.loc[fudan, "known"] >= 3


def test_wan_units_are_scaled_for_comparison(ds):
    m = ds.metrics[(ds.metrics["subject_id"] == "520000") & (ds.metrics["metric"] == "surgeries_level4")].iloc[0]
    assert m["unit"] == "万例" and m["base_unit"] == "例" and m["value_base"] == pytest.approx(22200)
    assert not math.isnan(m["value_base"])
