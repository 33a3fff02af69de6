"""Coverage: which provinces host which centres, per head of population, which planned
specialties are present or missing, where the output hospitals come from, and how complete the
list is against the official total.

Counts are of *named, approved* projects in centers.csv (status `planned` is excluded). Where a
source states a province's total without naming every centre (Anhui: nine, seven named), the
stated total is reported beside the named count, never mixed into it.
"""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from nrmc.data import Dataset
from nrmc.regions import resolve_province

COUNT_METRIC = "nrmc_count"  # metrics.csv: a province's (or the nation's) stated number of NRMC projects
POP_YEARS = (2022, 2023, 2024)


def province_code(ds: Dataset, province: object) -> str:
    """Any accepted province name → its 6-digit code (raises UnknownProvinceError)."""
    return resolve_province(province, ds.data_dir)["code"]


def population_year(ds: Dataset) -> int:
    """The population year used for per-head rates: the as-of year if the table has it, else the
    latest year available that is not after the as-of date."""
    ref = ds.as_of_date if ds.as_of_date is not None else ds.latest_date
    usable = [y for y in POP_YEARS if y <= ref.year]
    return max(usable) if usable else min(POP_YEARS)


def stated_totals(ds: Dataset) -> pd.DataFrame:
    """The latest stated number of NRMC projects per subject (province code or 'national'), from
    metrics.csv (no breakdown). Columns: subject_id, stated, as_of, source_id."""
    m = ds.metrics[(ds.metrics["metric"] == COUNT_METRIC) & (ds.metrics["breakdown"] == "")]
    if m.empty:
        return pd.DataFrame(columns=["subject_id", "stated", "as_of", "source_id"])
    m = m.sort_values("as_of_dt").groupby("subject_id").tail(1)
    return m.rename(columns={"value": "stated"})[["subject_id", "stated", "as_of", "source_id"]].reset_index(drop=True)


def centers_by_province(ds: Dataset, pop_year: int | None = None) -> pd.DataFrame:
    """One row per province (all 31): named centres, population, centres per 10 million residents,
    rank by that rate (1 = highest; ties share a rank), and any stated total from a source."""
    year = pop_year or population_year(ds)
    prov = ds.provinces[["code", "name_zh", "name_zh_short", "name_en", "slug", "region", "region_en",
                         "tile_row", "tile_col", f"pop_{year}"]].rename(columns={f"pop_{year}": "population"})
    counts = ds.counted_centers.groupby("province_code").size().rename("centers")
    out = prov.merge(counts, left_on="code", right_index=True, how="left")
    out["centers"] = out["centers"].fillna(0).astype(int)
    out["per_10m"] = out["centers"] / out["population"] * 1000  # population is in 10,000s
    out["rank"] = out["per_10m"].rank(ascending=False, method="min").astype(int)
    out["rank_count"] = out["centers"].rank(ascending=False, method="min").astype(int)
    st = stated_totals(ds)
    st = st[st["subject_id"] != "national"].rename(columns={"subject_id": "code", "as_of": "stated_as_of",
                                                            "source_id": "stated_source"})
    out = out.merge(st, on="code", how="left")
    out.attrs["pop_year"] = year
    return out.reset_index(drop=True)


@dataclass(frozen=True)
class Rate:
    label: str
    centers: int
    population: float
    per_10m: float


def per_head_comparison(ds: Dataset, province: object) -> pd.DataFrame:
    """The province's centres per 10 million residents against its NBS region and the nation.
    Columns: scope (province / region / national), name_zh, name_en, centers, population, per_10m."""
    code = province_code(ds, province)
    t = centers_by_province(ds)
    row = t.set_index("code").loc[code]
    reg = t[t["region"] == row["region"]]
    rows = [
        ("province", row["name_zh_short"], row["name_en"], row["centers"], row["population"]),
        ("region", f"{row['region']}地区", f"{row['region_en']} region", reg["centers"].sum(), reg["population"].sum()),
        ("national", "全国", "China", t["centers"].sum(), t["population"].sum()),
    ]
    out = pd.DataFrame(rows, columns=["scope", "name_zh", "name_en", "centers", "population"])
    out["per_10m"] = out["centers"] / out["population"] * 1000
    out.attrs["pop_year"] = t.attrs["pop_year"]
    return out


def province_centers(ds: Dataset, province: object, include_planned: bool = True) -> pd.DataFrame:
    """The centres in a province (planned ones last, if included), with specialty labels."""
    code = province_code(ds, province)
    c = ds.centers[ds.centers["province_code"] == code]
    if not include_planned:
        c = c[c["status"] != "planned"]
    sp = ds.specialties.set_index("code")
    c = c.assign(specialty_zh=c["specialty"].map(sp["name_zh"]), specialty_en=c["specialty"].map(sp["name_en"]),
                 _planned=c["status"] == "planned")
    return c.sort_values(["_planned", "center_id"]).drop(columns="_planned").reset_index(drop=True)


def stated_breakdown(ds: Dataset, province: object, key: str) -> pd.DataFrame:
    """Parts of a province's stated total (`key` = 'city' or 'specialty'), latest per part."""
    code = province_code(ds, province)
    m = ds.metrics[(ds.metrics["metric"] == COUNT_METRIC) & (ds.metrics["subject_id"] == code)
                   & ds.metrics["breakdown"].str.startswith(key + "=")]
    if m.empty:
        return pd.DataFrame(columns=[key, "stated", "as_of", "source_id"])
    m = m.assign(**{key: m["breakdown"].str.split("=", n=1).str[1]}).sort_values("as_of_dt").groupby(key).tail(1)
    return m.rename(columns={"value": "stated"})[[key, "stated", "as_of", "source_id"]].reset_index(drop=True)


def planned_specialties(ds: Dataset, province: object) -> pd.DataFrame:
    """The specialties the national expansion plan targets (plus TCM, its own category): how many
    centres the province and the nation have of each, and whether the province has it.

    status: 'has' (a named centre), 'has_unnamed' (a source states the province has one but names
    no centre), 'lacks'."""
    code = province_code(ds, province)
    sp = ds.specialties[(ds.specialties["plan_target"]) | (ds.specialties["category"] == "tcm")]
    c = ds.counted_centers
    here = c[c["province_code"] == code].groupby("specialty").size()
    nation = c.groupby("specialty").size()
    stated = stated_breakdown(ds, code, "specialty").set_index("specialty")["stated"]
    out = sp[["code", "name_zh", "name_en", "plan_target", "category", "sort_order"]].copy()
    out["province_count"] = out["code"].map(here).fillna(0).astype(int)
    out["national_count"] = out["code"].map(nation).fillna(0).astype(int)
    out["stated_count"] = out["code"].map(stated)
    out["status"] = "lacks"
    out.loc[out["stated_count"].fillna(0) > 0, "status"] = "has_unnamed"
    out.loc[out["province_count"] > 0, "status"] = "has"
    return out.sort_values("sort_order").reset_index(drop=True)


def output_origins(ds: Dataset, province: object) -> pd.DataFrame:
    """Where the output hospitals of a province's centres come from: one row per origin province
    with the number of centres and the hospitals' names."""
    code = province_code(ds, province)
    c = ds.counted_centers[ds.counted_centers["province_code"] == code]
    names = ds.provinces.set_index("code")
    g = c.groupby("output_province_code").agg(centers=("center_id", "size"),
                                              hospitals=("output_hospital_zh", lambda s: "；".join(dict.fromkeys(s))))
    g = g.reset_index().rename(columns={"output_province_code": "origin_code"})
    g["origin_zh"] = g["origin_code"].map(names["name_zh_short"])
    g["origin_en"] = g["origin_code"].map(names["name_en"])
    return g.sort_values(["centers", "origin_code"], ascending=[False, True]).reset_index(drop=True)


def as_origin(ds: Dataset, province: object) -> pd.DataFrame:
    """Centres in other provinces whose output hospital is in this province (its role as a
    source of expertise)."""
    code = province_code(ds, province)
    c = ds.counted_centers
    out = c[(c["output_province_code"] == code) & (c["province_code"] != code)]
    names = ds.provinces.set_index("code")
    return out.assign(host_zh=out["province_code"].map(names["name_zh_short"]),
                      host_en=out["province_code"].map(names["name_en"])).reset_index(drop=True)


def origin_host_matrix(ds: Dataset, lang: str = "zh") -> pd.DataFrame:
    """Number of centres by origin province (rows, where the output hospital is) × host province
    (columns). Only provinces with at least one centre appear; rows and columns sorted by total."""
    c = ds.counted_centers
    names = ds.provinces.set_index("code")["name_zh_short" if lang == "zh" else "name_en"]
    m = pd.crosstab(c["output_province_code"], c["province_code"])
    m = m.loc[m.sum(axis=1).sort_values(ascending=False).index, m.sum(axis=0).sort_values(ascending=False).index]
    m.index = [names[i] for i in m.index]
    m.columns = [names[i] for i in m.columns]
    m.index.name, m.columns.name = "origin", "host"
    return m


def region_peers(ds: Dataset, province: object) -> pd.DataFrame:
    """The other provinces of the same NBS region, by named centres (for a province with none)."""
    code = province_code(ds, province)
    t = centers_by_province(ds)
    region = t.set_index("code").loc[code, "region"]
    return t[(t["region"] == region)].sort_values(["centers", "code"], ascending=[False, True]).reset_index(drop=True)


@dataclass(frozen=True)
class Completeness:
    named: int  # approved centres named in our sources (as of the dataset's date)
    planned: int
    official_total: int | None  # official cumulative total at the latest milestone ≤ as-of
    official_date: str
    official_source: str
    share: float | None  # named / official_total, in %


def completeness(ds: Dataset) -> Completeness:
    """How many centres our sources name against the latest official national total available at
    the dataset's as-of date (the milestone table)."""
    ms = ds.milestones[ds.milestones["projects_total"].notna()].sort_values("date_dt")
    named = len(ds.counted_centers)
    planned = int((ds.centers["status"] == "planned").sum())
    if ms.empty:
        return Completeness(named, planned, None, "", "", None)
    last = ms.iloc[-1]
    total = int(last["projects_total"])
    return Completeness(named, planned, total, last["date"], last["source_id"], named / total * 100)


def openings(ds: Dataset) -> pd.DataFrame:
    """Centres with a known opening (开诊) date, in date order: one row per centre, its earliest
    `open` stage (trial operation is not an opening)."""
    s = ds.stages[ds.stages["stage"] == "open"].sort_values("date_dt").drop_duplicates("center_id")
    c = ds.counted_centers.merge(s[["center_id", "date", "date_dt", "date_basis"]].rename(
        columns={"date": "open_date", "date_dt": "open_date_dt", "date_basis": "open_date_basis"}), on="center_id")
    return c.sort_values(["open_date_dt", "center_id"]).reset_index(drop=True)
