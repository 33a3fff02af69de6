"""Coverage: which provinces host which centres, per head of population, which planned
specialties are present or missing, where the output hospitals come from, and how complete the
list is against the official total.

What the sources support about a province is kept in three kinds, never mixed silently
(`province_status`):
- *named*: approved projects named in centers.csv (status `planned` excluded);
- *stated*: a province's total stated by a source without naming every centre (Anhui: nine,
  seven named);
- *programme facts*: e.g. "first projects approved in the fifth batch" (R10), which say that a
  province has centres but not how many.
A province that a source says has centres never reads 0: its count is the best supported one
(stated, else named) or unknown ("—"), and per-head rates and ranks say what they count.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from nrmc.data import Dataset
from nrmc.regions import resolve_province

__all__ = ["province_code", "population_year", "stated_totals", "centers_by_province", "province_status",
           "NationalCount", "national_count", "city_spread", "Rate", "per_head_comparison", "province_centers",
           "stated_breakdown", "stated_focus", "planned_specialties", "output_origins", "as_origin",
           "origin_host_matrix", "region_peers", "Completeness", "completeness", "openings", "completeness_by_batch"]


def __dir__() -> list[str]:  # the API, not the modules it imports (np, pd …)
    return sorted(__all__)


COUNT_METRIC = "nrmc_count"  # metrics.csv: a province's (or the nation's) stated number of NRMC projects
FIRST_BATCH_METRIC = "first_approval_batch"  # metrics.csv: the batch of a province's first approval
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


def _latest_per_subject(ds: Dataset, metric: str, value_name: str) -> pd.DataFrame:
    m = ds.metrics[(ds.metrics["metric"] == metric) & (ds.metrics["breakdown"] == "")]
    cols = ["subject_id", value_name, "as_of", "as_of_basis", "source_id"]
    if m.empty:
        return pd.DataFrame(columns=cols)
    m = m.sort_values("as_of_dt").groupby("subject_id").tail(1)
    return m.rename(columns={"value": value_name})[cols].reset_index(drop=True)


def stated_totals(ds: Dataset) -> pd.DataFrame:
    """The latest stated number of NRMC projects per subject (province code or 'national'), from
    metrics.csv (no breakdown). Columns: subject_id, stated, as_of, as_of_basis, source_id."""
    return _latest_per_subject(ds, COUNT_METRIC, "stated")


def centers_by_province(ds: Dataset, pop_year: int | None = None) -> pd.DataFrame:
    """One row per province (all 31): named centres, population, centres per 10 million residents,
    rank by that rate (1 = highest; ties share a rank), and any stated total from a source."""
    year = pop_year or population_year(ds)
    prov = ds.provinces[["code", "name_zh", "name_zh_short", "name_en", "slug", "iso", "region", "region_en",
                         "tile_row", "tile_col", f"pop_{year}"]].rename(columns={f"pop_{year}": "population"})
    counts = ds.counted_centers.groupby("province_code").size()
    out = prov.reset_index(drop=True)
    out["centers"] = out["code"].map(counts).fillna(0).astype(int)
    out["per_10m"] = out["centers"] / out["population"] * 1000  # population is in 10,000s
    out["rank"] = out["per_10m"].rank(ascending=False, method="min").astype(int)
    out["rank_count"] = out["centers"].rank(ascending=False, method="min").astype(int)
    st = stated_totals(ds)
    _by_code(out, st[st["subject_id"] != "national"].set_index("subject_id"), "stated",
             {"stated": "stated", "as_of": "stated_as_of", "as_of_basis": "as_of_basis", "source_id": "stated_source"})
    out.attrs["pop_year"] = year
    return out


def _by_code(out: pd.DataFrame, table: pd.DataFrame, number: str, columns: dict[str, str]) -> None:
    """Add `table`'s columns (keys of `columns`, as their values) to `out`, looked up by `out["code"]`
    in `table`'s index: what a left merge on the code gave, the same values and dtypes (`number`
    keeps its own dtype: float64, or object when the table is empty; texts are object, NaN where
    none), in a third of the time (this runs once a briefing)."""
    for col, name in columns.items():
        out[name] = out["code"].map(table[col]).astype(table[col].dtype if col == number else object)


def province_status(ds: Dataset, pop_year: int | None = None) -> pd.DataFrame:
    """One row per province (all 31) with what the sources support about its centres.

    Columns: the province's names, region, tile position and `population` (万人, year-end
    `pop_year`); `named` (approved centres named in centers.csv); `stated`, `stated_as_of`,
    `stated_basis`, `stated_source` (a source's total, NaN if none); `first_batch`,
    `first_batch_as_of`, `first_batch_source` (a programme fact, NaN if none); `exported` (centres
    in other provinces whose output hospital is here); `known` (a source says it has centres);
    `count` (the best supported number: the stated total when it is at least the named count,
    else the named count; NaN when only a programme fact says it has centres or nothing is
    known); `count_basis` ('stated', 'named' or ''); `per_10m` (count per 10 million residents, NaN
    without a count) and `per_10m_named` (named only; NaN when none are named); `rank` (by
    `per_10m`, 1 = highest, among the `n_ranked` provinces with a count; ties share a rank; NaN
    otherwise); `role`: 'host' (has a count), 'known' (has centres, number unknown), 'exporter'
    (none known here, but its hospitals lead centres elsewhere) or 'unknown'."""
    t = centers_by_province(ds, pop_year)
    year = t.attrs["pop_year"]
    t = t.rename(columns={"centers": "named"}).drop(columns=["per_10m", "rank", "rank_count"])
    _by_code(t, _latest_per_subject(ds, FIRST_BATCH_METRIC, "first_batch").set_index("subject_id"), "first_batch",
             {"first_batch": "first_batch", "as_of": "first_batch_as_of", "source_id": "first_batch_source"})
    c = ds.counted_centers
    exported = c[c["output_province_code"] != c["province_code"]].groupby("output_province_code").size()
    t["exported"] = t["code"].map(exported).fillna(0).astype(int)
    stated = t["stated"]
    t["count"] = np.where(stated.notna() & (stated >= t["named"]), stated,
                          np.where(t["named"] > 0, t["named"], np.nan))
    t["count_basis"] = np.where(stated.notna() & (stated >= t["named"]), "stated", np.where(t["named"] > 0, "named", ""))
    t["known"] = t["count"].notna() | t["first_batch"].notna()
    t["per_10m"] = t["count"] / t["population"] * 1000  # population is in 10,000s
    t["per_10m_named"] = np.where(t["named"] > 0, t["named"] / t["population"] * 1000, np.nan)
    t["rank"] = t["per_10m"].rank(ascending=False, method="min")
    t["n_ranked"] = int(t["per_10m"].notna().sum())
    t["role"] = np.where(t["count"].notna(), "host", np.where(t["known"], "known",
                         np.where(t["exported"] > 0, "exporter", "unknown")))
    t.attrs["pop_year"] = year
    return t


@dataclass(frozen=True)
class NationalCount:
    official_total: int | None  # latest official cumulative total at the as-of date
    official_date: str
    official_source: str
    named: int  # approved centres named in our sources
    provinces_named: int  # provinces with a named centre
    provinces_known: int  # provinces a source says have centres (named, stated or programme fact)
    population: float  # 万人, year-end pop_year, sum of the 31 provinces
    pop_year: int

    @property
    def per_10m_official(self) -> float | None:
        return self.official_total / self.population * 1000 if self.official_total else None

    @property
    def per_10m_named(self) -> float:
        return self.named / self.population * 1000


def national_count(ds: Dataset, status: pd.DataFrame | None = None) -> NationalCount:
    """The national picture: the official total (per head, the national rate), the named lower
    bound, and how many provinces the sources say have centres (`status`: province_status(ds),
    when the caller has it already)."""
    st = province_status(ds) if status is None else status
    comp = completeness(ds)
    return NationalCount(comp.official_total, comp.official_date, comp.official_source, comp.named,
                         int((st["named"] > 0).sum()), int(st["known"].sum()), float(st["population"].sum()),
                         st.attrs["pop_year"])


def city_spread(ds: Dataset, province: object) -> pd.DataFrame:
    """Where a province's centres are, by city: a source's stated split (city, stated) beside the
    cities of the named centres (named, and how many of those cities are inferred). One row per
    city, stated cities first. Columns: city_zh, city_en, stated, stated_source, named,
    named_inferred."""
    code = province_code(ds, province)
    named = ds.counted_centers[ds.counted_centers["province_code"] == code]
    named = named[named["city_zh"] != ""]
    g = named.assign(_inferred=named["city_basis"] == "inferred").groupby("city_zh").agg(
        named=("center_id", "size"), named_inferred=("_inferred", "sum"))
    st = stated_breakdown(ds, code, "city").rename(columns={"city": "city_zh", "source_id": "stated_source"})
    out = st[["city_zh", "stated", "stated_source"]].merge(g, left_on="city_zh", right_index=True, how="outer")
    # an empty groupby (no named centre with a city) gives object columns: make them numbers first
    for col in ("named", "named_inferred"):
        out[col] = pd.to_numeric(out[col]).fillna(0).astype(int)
    en = dict(zip(ds.cities["name_zh"], ds.cities["name_en"]))
    out["city_en"] = out["city_zh"].map(lambda z: en.get(z) or "")
    out["_o"] = out["stated"].isna()
    return out.sort_values(["_o", "stated", "named"], ascending=[True, False, False]).drop(columns="_o").reset_index(drop=True)


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


def stated_focus(centres: pd.DataFrame) -> pd.DataFrame:
    """One row per centre and stated focus specialty (`focus`) that is not the centre's own
    specialty (GZ-02 积水潭贵州: trauma, with orthopedics as its focus)."""
    f = centres.assign(focus=centres["focus_specialties"].str.split(";")).explode("focus")
    return f[(f["focus"].fillna("") != "") & (f["focus"] != f["specialty"])]


def planned_specialties(ds: Dataset, province: object) -> pd.DataFrame:
    """The specialties the national expansion plan targets (plus TCM, its own category): how many
    centres the province and the nation have of each, and whether the province has it.

    status: 'has' (a named centre of that specialty), 'has_unnamed' (a source states the province
    has one but names no centre), 'has_focus' (a source names it as the focus of a centre of
    another specialty, e.g. S05's 恶性肿瘤、心脑血管病 for two Guizhou centres), 'lacks' (none of
    these in the sources: not the same as none at all). national_focus: centres elsewhere whose
    stated focus it is (not their specialty); province_inferred: the province's centres of it whose
    specialty is inferred, not stated."""
    code = province_code(ds, province)
    sp = ds.specialties[(ds.specialties["plan_target"]) | (ds.specialties["category"] == "tcm")]
    c = ds.counted_centers
    mine = c[c["province_code"] == code]
    here = mine.groupby("specialty").size()
    nation = c.groupby("specialty").size()
    focus = mine["focus_specialties"].str.split(";").explode()
    focus = focus[focus.fillna("") != ""].value_counts()
    # centres anywhere with the specialty as a stated focus but another specialty (GZ-02: orthopedics)
    national_focus = stated_focus(c).groupby("focus").size()
    inferred_here = mine[mine["specialty_basis"] == "inferred"].groupby("specialty").size()
    stated = stated_breakdown(ds, code, "specialty").set_index("specialty")["stated"]
    out = sp[["code", "name_zh", "name_en", "plan_target", "category", "sort_order"]].copy()
    out["province_count"] = out["code"].map(here).fillna(0).astype(int)
    out["national_count"] = out["code"].map(nation).fillna(0).astype(int)
    out["focus_count"] = out["code"].map(focus).fillna(0).astype(int)
    out["national_focus"] = out["code"].map(national_focus).fillna(0).astype(int)
    out["province_inferred"] = out["code"].map(inferred_here).fillna(0).astype(int)
    out["stated_count"] = out["code"].map(stated)
    out["status"] = "lacks"
    out.loc[out["focus_count"] > 0, "status"] = "has_focus"
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


BATCH_METRIC = "batch_projects"  # metrics.csv: projects approved in one national batch (breakdown batch=N)


def _centre_batches(ds: Dataset) -> dict[str, int | str]:
    """center_id → its batch where its sources agree (center_batches.csv), 'conflict' where they
    give different batches; centres no source places in a batch are absent."""
    out: dict[str, int | str] = {}
    for cid, batches in ds.center_batches.groupby("center_id")["batch"]:
        found = {int(b) for b in batches}
        out[cid] = found.pop() if len(found) == 1 else "conflict"
    return out


def _official_batch_sizes(ds: Dataset) -> pd.DataFrame:
    """Per batch, the latest stated number of its projects (national `batch_projects`, batch=N):
    batch, official, official_as_of, official_source. Batches no source sizes are absent (never
    derived by subtracting totals)."""
    m = ds.metrics[(ds.metrics["metric"] == BATCH_METRIC) & (ds.metrics["subject_id"] == "national")
                   & ds.metrics["breakdown"].str.fullmatch(r"batch=[0-9]+")]
    m = m.assign(batch=m["breakdown"].str[len("batch="):].astype(int)).sort_values("as_of_dt").groupby("batch").tail(1)
    return m.rename(columns={"value": "official", "as_of": "official_as_of", "source_id": "official_source"})[
        ["batch", "official", "official_as_of", "official_source"]]


def completeness_by_batch(ds: Dataset, date: object = None) -> pd.DataFrame:
    """How complete the list of named centres is at `date` (default: the dataset's own as-of date):
    one row for all batches (`group` 'all': the named approved centres against the latest official
    total, milestones.csv), one per batch (`group` 'batch': the named centres whose sources state
    that batch, against the batch's stated size, metrics.csv batch_projects), and the named centres
    of no known batch (`group` 'unknown') or of batches their sources disagree on ('conflict').

    Columns: group, batch (Int64; NA but for batch rows), named, official (NaN where no source
    states it), official_as_of, official_source, share (named / official in %, NaN without both),
    lower_bound (a batch row's count misses the named centres of unknown batch, so it is at least
    what it says, never "the others are not named")."""
    d = ds.as_of(date) if date is not None else ds
    comp = completeness(d)
    named = d.counted_centers["center_id"]
    per = _centre_batches(d)
    batch_of = pd.Series([per.get(c, "unknown") for c in named], index=named, dtype=object)
    sizes = _official_batch_sizes(d).set_index("batch")
    known = sorted({int(b) for b in d.center_batches["batch"]} | set(sizes.index))  # every batch a source names
    rows = [{"group": "all", "batch": pd.NA, "named": len(named), "official": comp.official_total,
             "official_as_of": comp.official_date, "official_source": comp.official_source}]
    for b in known:
        s = sizes.loc[b] if b in sizes.index else None
        rows.append({"group": "batch", "batch": b, "named": int((batch_of == b).sum()),
                     "official": None if s is None else s["official"],
                     "official_as_of": "" if s is None else s["official_as_of"],
                     "official_source": "" if s is None else s["official_source"]})
    for group in ("conflict", "unknown"):
        rows.append({"group": group, "batch": pd.NA, "named": int((batch_of == group).sum()), "official": None,
                     "official_as_of": "", "official_source": ""})
    out = pd.DataFrame(rows)
    out["batch"] = out["batch"].astype("Int64")
    out["official"] = pd.to_numeric(out["official"], errors="coerce")
    out["share"] = out["named"] / out["official"] * 100
    out["lower_bound"] = (out["group"] == "batch") & bool((batch_of != "unknown").sum() < len(batch_of))
    return out
