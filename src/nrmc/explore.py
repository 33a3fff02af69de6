"""Exploring the dataset: analysis-ready tables with names and labels joined.

Every function returns a tidy pandas DataFrame (one row per thing, one column per attribute) with
readable column names that stay the same in both languages; `lang` ('zh' or 'en') picks the
language of the text in the label columns. Codes (`province_code`, `specialty_code` …) are kept
beside the labels for joins and filters. Each function takes the dataset as `ds` (default:
`load()`, the whole dataset; `load(as_of="2023")` for what was known by then). A missing value is
missing (NA), never 0, and every figure keeps its date, its basis and its source.

    import nrmc
    from nrmc import explore

    ds = nrmc.load()                         # the dataset; matplotlib now draws Chinese labels
    explore.lead_hospitals(ds).head(3)       # which hospitals lead the most centres
    explore.planned_specialties(ds)          # centres per planned specialty, nationally
    explore.latest(ds, province="安徽")       # the latest figure of each measure, with its source
    explore.per_head(ds, by="region")        # centres per 10 million residents, by region
    explore.opened_before("2024", ds)        # centres open (开诊, not trial) before 2024

The functions: `centres`, `figures`, `latest`, `per_head`, `planned_specialties`,
`lead_hospitals`, `opened_before`, and `load` (also `nrmc.load`).
"""
from __future__ import annotations

import typing as _t
import warnings as _warnings

import pandas as _pd

if _t.TYPE_CHECKING:  # for annotations only: nothing of these becomes an attribute of the module
    import os
    from typing import Literal

    from nrmc.data import Dataset

__all__ = ["load", "centres", "figures", "latest", "per_head", "planned_specialties", "lead_hospitals",
           "opened_before"]

# Words of the tables (the briefings' sentences live in nrmc/i18n; these are column values).
_WORDS = {
    "china": ("全国", "China"),
    "official_total": ("官方公布的累计总数（截至{date}）", "official cumulative total (as of {date})"),
    "named": ("来源中具名的中心", "centres named in the sources"),
    "region": ("{region}地区", "{region} region"),
    "list_sep": ("、", ", "),
}
# The stages that count as open for `opened_before`: 开诊 and 正式运营, never trial operation.
_OPEN_STAGES = ("open", "operating")
# Date bases that put an event before the end of its stated period (an `about` date does not).
_CERTAIN = ("stated", "not_after")


def __dir__() -> list[str]:
    return sorted(__all__)


# ---------------------------------------------------------------------------------------------
# loading
_font_done = False


def load(data_dir: str | os.PathLike[str] | None = None, *, as_of: object = None) -> Dataset:
    """The validated dataset as pandas DataFrames (`nrmc.load`), ready for a notebook.

    `data_dir`: a data folder (default: $NRMC_DATA, else the checkout's or the installed package's
    data). `as_of`: only what was known by that date (a year, 'YYYY-MM' or a date). Raises
    `nrmc.DataValidationError` listing every problem (file, line, column, reason).

    It also sets matplotlib's font family so that a chart you draw yourself prints Chinese labels
    (the CJK font first, matplotlib's own family after it for anything it lacks); without a CJK
    font it warns once and names the package to install. `nrmc.charts.setup()` applies the
    briefings' whole chart style, if you want that too.

    >>> ds = load()
    >>> len(ds.provinces)
    31
    >>> load(as_of="2010").centers.empty        # the programme began in 2019
    True
    """
    from nrmc.data import load as load_data
    from nrmc.parameters import normalize_as_of

    ds = load_data(data_dir)
    _use_cjk_font()
    cut = normalize_as_of(as_of)
    return ds.as_of(cut) if cut else ds


def _use_cjk_font() -> str | None:
    """Put the CJK font first in matplotlib's `font.family` (once per process, and again if
    something reset it). Returns the family, or None (with a warning) when none is installed."""
    global _font_done
    try:
        import matplotlib
        from matplotlib import font_manager

        from nrmc import fonts
    except ImportError:  # pragma: no cover - matplotlib is a dependency
        return None
    try:
        font = fonts.cjk_font()
        if font.family not in {f.name for f in font_manager.fontManager.ttflist}:
            font_manager.fontManager.addfont(font.path)
    except (fonts.MissingCJKFontError, OSError, RuntimeError, ValueError) as err:  # never stops load()
        if not _font_done:
            _warnings.warn(f"Chinese labels in matplotlib charts will print as empty boxes: {err}", stacklevel=3)
            _font_done = True
        return None
    families = list(matplotlib.rcParams["font.family"])
    if not families or families[0] != font.family:
        matplotlib.rcParams["font.family"] = [font.family, *[f for f in families if f != font.family]]
    _font_done = True
    return font.family


def _ds(ds: Dataset | None) -> Dataset:
    return load() if ds is None else ds


def _lang(lang: str) -> int:
    if lang not in ("zh", "en"):
        raise ValueError(f"lang must be 'zh' or 'en', not {lang!r}")
    return 0 if lang == "zh" else 1


def _word(key: str, lang: str, **params) -> str:
    return _WORDS[key][_lang(lang)].format(**params)


def _na(s: _pd.Series) -> _pd.Series:
    """Empty text is missing: '' → NA (the data files write an unknown as an empty cell)."""
    text = s.astype("string").str.strip()
    return s.mask(text.isna() | (text == "").fillna(False))


def _province_names(ds: Dataset, lang: str) -> dict[str, str]:
    p = ds.provinces
    return dict(zip(p["code"], p["name_zh_short"] if lang == "zh" else p["name_en"]))


def _hospital_names(ds: Dataset, lang: str) -> dict[str, str]:
    """Published Chinese name → name in `lang` (the English name of hospitals.csv)."""
    h = ds.hospitals
    if lang == "zh":
        return dict(zip(h["name_zh"], h["name_zh"]))
    return {z: (e or z) for z, e in zip(h["name_zh"], h["name_en"])}


def _specialty_names(ds: Dataset, lang: str) -> dict[str, str]:
    s = ds.specialties
    return dict(zip(s["code"], s["name_zh" if lang == "zh" else "name_en"]))


def _centre_names(c: _pd.DataFrame, lang: str) -> _pd.Series:
    if lang == "zh":
        return c["name_zh"]
    return c["name_en"].where(c["name_en"].fillna("") != "", c["name_zh"])


# ---------------------------------------------------------------------------------------------
# centres
def centres(ds: Dataset | None = None, lang: Literal["zh", "en"] = "zh", *, province: object = None,
            include_planned: bool = False) -> _pd.DataFrame:
    """Every approved centre, one row each, with its names and labels joined.

    Columns: `centre_id`, `centre` (name as published; in English its English name),
    `province_zh`, `province_en`, `region`, `city` (NA when no source places it) and `city_basis`,
    `specialty` and `specialty_basis` ('stated' by a source or 'inferred' from the lead hospital),
    `focus` (specialties a source names as a focus besides its own), `lead_hospital` (输出医院)
    and `lead_province`, `batch` (NA when no source states it, or when sources disagree:
    `batch_conflict` is then True and `batch_sources` names them), `stage` (the furthest stage
    reached: 获批, 列入项目清单, 试运行, 开诊 …), `stage_date` as published ('2023-12') and
    `stage_date_basis` ('stated', 'not_after' …), `status`, `sources`; then the codes
    `province_code`, `specialty_code`, `lead_province_code`, `stage_code`.

    `province` (any name form: 安徽, 皖, anhui, 340000) keeps one province's centres;
    `include_planned` adds projects that are only agreed or planned (status 'planned': not
    approved NRMCs, never counted).

    >>> t = centres(province="安徽")
    >>> t.loc[t["centre_id"] == "AH-01", ["province_zh", "region", "lead_province"]].values.tolist()
    [['安徽', '中部', '上海']]
    """
    from nrmc import lifecycle

    ds = _ds(ds)
    i = _lang(lang)
    c = ds.centers if include_planned else ds.counted_centers
    if province is not None:
        from nrmc.coverage import province_code

        c = c[c["province_code"] == province_code(ds, province)]
    prov = ds.provinces.set_index("code")
    pnames = _province_names(ds, lang)
    spec = _specialty_names(ds, lang)
    cities = dict(zip(ds.cities["name_zh"], ds.cities["name_en"]))
    hosp = _hospital_names(ds, lang)
    sep = _word("list_sep", lang)

    b = ds.center_batches
    batch = _pd.DataFrame(index=_pd.Index([], name="center_id"), columns=["batch", "batch_conflict", "batch_sources"])
    if len(b):
        g = b.groupby("center_id")
        stated = g["batch"].agg(lambda s: sorted(set(int(x) for x in s)))
        conflict = g["flag"].agg(lambda s: (s == "conflict").any()) | stated.map(len).gt(1)
        batch = _pd.DataFrame({
            "batch": [v[0] if len(v) == 1 and not k else _pd.NA for v, k in zip(stated, conflict)],
            "batch_conflict": conflict.astype(bool),
            "batch_sources": g["source_id"].agg(lambda s: ";".join(dict.fromkeys(s))),
        }, index=stated.index)

    life = lifecycle.lifecycles(ds)
    cur = {cid: life[cid].current for cid in c["center_id"]}
    out = _pd.DataFrame({
        "centre_id": c["center_id"].to_numpy(),
        "centre": _centre_names(c, lang).to_numpy(),
        "province_zh": c["province_code"].map(prov["name_zh_short"]).to_numpy(),
        "province_en": c["province_code"].map(prov["name_en"]).to_numpy(),
        "region": c["province_code"].map(prov["region" if i == 0 else "region_en"]).to_numpy(),
        "city": (c["city_zh"] if i == 0 else c["city_zh"].map(lambda z: cities.get(z) or z)).to_numpy(),
        "city_basis": c["city_basis"].to_numpy(),
        "specialty": c["specialty"].map(spec).to_numpy(),
        "specialty_basis": c["specialty_basis"].to_numpy(),
        "focus": c["focus_specialties"].fillna("").map(
            lambda f: sep.join(spec.get(x, x) for x in f.split(";") if x)).to_numpy(),
        "lead_hospital": c["output_hospital_zh"].map(lambda z: hosp.get(z) or z).to_numpy(),
        "lead_province": c["output_province_code"].map(pnames).to_numpy(),
        "batch": c["center_id"].map(batch["batch"]).astype("Int64").to_numpy(),
        "batch_conflict": c["center_id"].isin(batch.index[batch["batch_conflict"].astype(bool)]).to_numpy(),
        "batch_sources": c["center_id"].map(batch["batch_sources"]).to_numpy(),
        "stage": [lifecycle.label(cur[x].stage, lang, short=True) if cur[x] else None for x in c["center_id"]],
        "stage_date": [cur[x].date if cur[x] else None for x in c["center_id"]],
        "stage_date_basis": [cur[x].basis if cur[x] else None for x in c["center_id"]],
        "status": c["status"].to_numpy(),
        "sources": c["source_ids"].to_numpy(),
        "province_code": c["province_code"].to_numpy(),
        "specialty_code": c["specialty"].to_numpy(),
        "lead_province_code": c["output_province_code"].to_numpy(),
        "stage_code": [cur[x].stage if cur[x] else None for x in c["center_id"]],
    })
    for col in ("city", "city_basis", "focus", "batch_sources", "stage", "stage_date", "stage_date_basis",
                "stage_code"):
        out[col] = _na(out[col])
    return out.sort_values("centre_id").reset_index(drop=True)


# ---------------------------------------------------------------------------------------------
# figures
def figures(ds: Dataset | None = None, lang: Literal["zh", "en"] = "zh", *, province: object = None) -> _pd.DataFrame:
    """Every figure of the dataset, one row each, with its subject, measure and source in words.

    Columns: `subject_id`, `subject` (a centre's, province's or provincial centre's name, or
    全国/China), `subject_kind` ('centre', 'province', 'national', 'provincial_centre': the
    provincial programme, another programme), `province`, `metric` and `breakdown` (codes),
    `measure` (the metric's label, with the part of the total it gives), `period` (code: a year,
    'cumulative', 'snapshot' …) and `period_label`, `value` and `unit` exactly as published
    (`value` 3.5, `unit` 万例), `qualifier` (more_than: 余/超; about: 约; nearly: 近),
    `value_base` and `base_unit` (35000 例: for comparing), `as_of` at the source's precision,
    `as_of_basis` ('stated', 'about', 'not_before' …: for a figure dated by its source's
    publication, that date's basis), `flag` and `flag_reason` (a figure kept as published but
    doubtful), `source_id`, `source_title`, `source_publisher`, `source_kind` (official,
    state_media, media …), `source_date`, `quote` (the source's words).

    `province` keeps the figures about one province, its centres and its provincial centres.

    >>> f = figures(lang="en", province="guizhou")
    >>> f.loc[0, "province"]
    'Guizhou'
    >>> bool(f["as_of"].notna().all() and f["source_title"].notna().all())   # dated and sourced
    True
    """
    return _figures(_ds(ds), lang, province).drop(columns="_date")


def _figures(ds: Dataset, lang: str, province: object) -> _pd.DataFrame:
    """figures() with `_date`: the end of each figure's as-of period (for ordering)."""
    from nrmc import dates, i18n
    from nrmc.labels import fmt_breakdown, fmt_period
    from nrmc.performance import subject_names

    i = _lang(lang)
    subj = subject_names(ds).rename(columns={"kind": "subject_kind"})
    if province is not None:
        from nrmc.coverage import province_code

        code = province_code(ds, province)
        subj = subj[subj["province_code"] == code]
    m = ds.metrics.merge(subj, on="subject_id", how="inner")
    defs = ds.metric_definitions.set_index("code")
    src = ds.sources.set_index("source_id")
    spec = {r["code"]: (r["name_zh"], r["name_en"]) for r in ds.specialties.to_dict("records")}
    cities = dict(zip(ds.cities["name_zh"], ds.cities["name_en"]))
    label = m["metric"].map(defs["label_zh" if i == 0 else "label_en"])
    def part_of(b: str) -> str:  # 'of=transferred_technologies': a part of another measure
        if b.startswith("of=") and b[3:] in defs.index:
            other = defs.loc[b[3:], "label_zh" if i == 0 else "label_en"]
            return f"{other}中" if i == 0 else f"of {i18n.lower_first(other)}"
        return fmt_breakdown(b, lang, spec, cities) if b else ""

    part = m["breakdown"].map(part_of)
    measure = [f"{a}（{p}）" if p and i == 0 else (f"{a} ({p})" if p else a) for a, p in zip(label, part)]
    basis = [dates.effective_basis(b, src["date_basis"].get(s)) for b, s in zip(m["as_of_basis"], m["source_id"])]
    title = src["title"] if i == 0 else src["title_en"].where(src["title_en"] != "", src["title"])
    publisher = src["publisher"] if i == 0 else src["publisher_en"].where(src["publisher_en"] != "", src["publisher"])
    out = _pd.DataFrame({
        "subject_id": m["subject_id"],
        "subject": m["name_zh" if i == 0 else "name_en"],
        "subject_kind": m["subject_kind"],
        "province": m["province_code"].map(_province_names(ds, lang)),
        "metric": m["metric"],
        "breakdown": m["breakdown"],
        "measure": measure,
        "period": m["period"],
        "period_label": m["period"].map(lambda p: fmt_period(p, lang)),
        "value": m["value"],
        "unit": m["unit"],
        "qualifier": m["qualifier"],
        "value_base": m["value_base"],
        "base_unit": m["base_unit"],
        "as_of": m["as_of"],
        "as_of_basis": basis,
        "flag": m["flag"],
        "flag_reason": m["flag_reason_zh" if i == 0 else "flag_reason_en"],
        "source_id": m["source_id"],
        "source_title": m["source_id"].map(title),
        "source_publisher": m["source_id"].map(publisher),
        "source_kind": m["source_id"].map(src["kind"]),
        "source_date": m["source_id"].map(src["date"]),
        "quote": m["quote"],
        "_order": m["subject_kind"].map({"national": 0, "province": 0, "centre": 1, "provincial_centre": 2}),
        "_date": m["as_of_dt"],
    })
    out["flag_reason"] = out["flag_reason"].where(out["flag"] != "", "")
    for col in ("breakdown", "qualifier", "flag", "flag_reason", "source_date", "province"):
        out[col] = _na(out[col])
    out = out.sort_values(["_order", "subject_id", "metric", "breakdown", "_date", "source_id"], na_position="first")
    return out.drop(columns="_order").reset_index(drop=True)


def latest(ds: Dataset | None = None, province: object = None, *, lang: Literal["zh", "en"] = "zh") -> _pd.DataFrame:
    """The latest figure of each subject and measure, with its date and source.

    A measure is one metric, breakdown, period and base unit (so 3.5万例 and 35000例 are the same
    measure, a yearly figure and a cumulative one are not). The columns are those of `figures()`,
    plus `n_figures`: how many figures the subject has for that measure in all (older ones, or
    from other sources). When two sources give a figure for the same latest date, both rows are
    kept: neither is picked silently. The latest date is the end of each figure's stated period
    ('2024' counts as the end of 2024).

    `province` (any name form) keeps one province: its own figures, its centres' and its
    provincial centres'. For its centres with their figures, join on the centre id:

    >>> c = centres(province="安徽")
    >>> f = latest(province="安徽")
    >>> both = c.merge(f, left_on="centre_id", right_on="subject_id", how="left")
    >>> both["centre_id"].unique().tolist() == c["centre_id"].tolist()   # a centre with no figure too
    True
    """
    f = _figures(_ds(ds), lang, province)
    key = [f["subject_id"], f["metric"], f["breakdown"].fillna(""), f["period"], f["base_unit"]]
    n = f.groupby(key)["subject_id"].transform("size")
    last = f.groupby(key)["_date"].transform("max")
    out = f.assign(n_figures=n)[f["_date"] == last]
    return out.drop(columns="_date").reset_index(drop=True)


# ---------------------------------------------------------------------------------------------
# per head
def per_head(ds: Dataset | None = None, by: Literal["province", "region", "national"] = "province", *, lang: Literal["zh", "en"] = "zh") -> _pd.DataFrame:
    """Centres per 10 million residents, by province, by NBS region, or for the nation.

    Every form has `name`, `basis` (what `centres` counts), `centres`, `population` (万人, year-end
    `pop_year`: the as-of year, else the latest year before it) and `per_10m`. Rates compare like
    with like: a count of named centres against the national named rate, a stated total against
    the official total.

    - by="province" (31 rows): `centres` is the best number the sources support — a source's
      stated total (basis 'stated') when there is one, else the named centres ('named'); NA for a
      province known to have centres but not how many, and for one the sources do not mention
      (`role` says which: 'host', 'known', 'exporter', 'unknown'), so its rate and `rank` are NA,
      never 0. `named` and `per_10m_named` give the named centres alone; `region`, `province_code`.
    - by="region" (the NBS regions): named centres only (basis 'named': stated totals exist for a
      few provinces and cannot be summed with named counts); `provinces`, and what the sum leaves
      out: `stated_unnamed` (centres a source counts in a province beyond those it names) and
      `provinces_count_unknown` (provinces known to have centres, none named).
    - by="national" (2 rows): the national benchmark — the official cumulative total (basis
      'official_total', with its `as_of` and `source_id`) — and the named-only rate ('named'); a
      `label` says which is which.

    >>> r = per_head(by="region")
    >>> int(r["centres"].sum()) == int(per_head(by="national").set_index("basis").loc["named", "centres"])
    True
    """
    from nrmc import coverage

    ds = _ds(ds)
    i = _lang(lang)
    st = coverage.province_status(ds)
    year = st.attrs["pop_year"]
    if by == "province":
        out = _pd.DataFrame({
            "name": st["name_zh_short" if i == 0 else "name_en"],
            "region": st["region" if i == 0 else "region_en"],
            "basis": _na(st["count_basis"]),
            "centres": st["count"].astype("Int64"),
            "population": st["population"],
            "pop_year": year,
            "per_10m": st["per_10m"],
            "rank": st["rank"].astype("Int64"),
            "named": st["named"].astype(int),
            "per_10m_named": st["per_10m_named"],
            "role": st["role"],
            "province_code": st["code"],
        })
        return out.sort_values(["rank", "province_code"], na_position="last").reset_index(drop=True)
    if by == "region":
        st = st.assign(_beyond=(st["stated"] - st["named"]).clip(lower=0).fillna(0),
                       _unknown=(st["role"] == "known") & (st["named"] == 0))
        g = st.groupby(["region", "region_en"], sort=False).agg(
            provinces=("code", "size"), centres=("named", "sum"), population=("population", "sum"),
            stated_unnamed=("_beyond", "sum"), provinces_count_unknown=("_unknown", "sum")).reset_index()
        out = _pd.DataFrame({
            "name": [_word("region", lang, region=r) for r in g["region" if i == 0 else "region_en"]],
            "basis": "named",
            "centres": g["centres"].astype(int),
            "population": g["population"],
            "pop_year": year,
            "per_10m": g["centres"] / g["population"] * 1000,  # population is in 10,000s
            "provinces": g["provinces"].astype(int),
            "stated_unnamed": g["stated_unnamed"].astype(int),
            "provinces_count_unknown": g["provinces_count_unknown"].astype(int),
        })
        return out.sort_values("per_10m", ascending=False).reset_index(drop=True)
    if by == "national":
        nat = coverage.national_count(ds)
        rows = [{"basis": "official_total", "centres": nat.official_total,
                 "label": _word("official_total", lang, date=nat.official_date) if nat.official_total else None,
                 "as_of": nat.official_date or None, "source_id": nat.official_source or None},
                {"basis": "named", "centres": nat.named, "label": _word("named", lang), "as_of": None,
                 "source_id": None}]
        out = _pd.DataFrame(rows)
        out.insert(0, "name", _word("china", lang))
        out["centres"] = out["centres"].astype("Int64")
        out["population"] = nat.population
        out["pop_year"] = nat.pop_year
        out["per_10m"] = out["centres"].astype("Float64") / nat.population * 1000
        return out[["name", "basis", "label", "centres", "population", "pop_year", "per_10m", "as_of", "source_id"]]
    raise ValueError(f"by must be 'province', 'region' or 'national', not {by!r}")


# ---------------------------------------------------------------------------------------------
# specialties
def planned_specialties(ds: Dataset | None = None, province: object = None, *, lang: Literal["zh", "en"] = "zh") -> _pd.DataFrame:
    """Centres of each specialty the national expansion plan targets (plus TCM, a category of its
    own), nationally (province=None) or in one province.

    Columns: `specialty`, `plan_target`, `category`; `centres` (approved centres whose own
    specialty it is) = `stated` (a source names it) + `inferred` (deduced from the lead hospital);
    `focus` (centres of another specialty that a source says focus on it: not counted in
    `centres`); `provinces` (provinces with a centre of it); `specialty_code`.
    For one province also: `stated_total` (how many the province has by a source's own count,
    which may include centres it does not name; NA when no source breaks its total down),
    `status` ('has', 'has_unnamed', 'has_focus' or 'lacks': none in the sources, which is not the
    same as none), and `national_centres`.

    >>> t = planned_specialties(lang="en").set_index("specialty_code")
    >>> bool((t["centres"] == t["stated"] + t["inferred"]).all())
    True
    """
    from nrmc import coverage

    ds = _ds(ds)
    i = _lang(lang)
    sp = ds.specialties[ds.specialties["plan_target"] | (ds.specialties["category"] == "tcm")].sort_values("sort_order")
    c = ds.counted_centers
    everywhere = c
    code = None
    if province is not None:
        code = coverage.province_code(ds, province)
        c = c[c["province_code"] == code]
    by_basis = c.groupby(["specialty", "specialty_basis"]).size()

    def basis(b: str) -> _pd.Series:
        return sp["code"].map(lambda s: int(by_basis.get((s, b), 0)))

    focus = coverage.stated_focus(c).groupby("focus").size()
    out = _pd.DataFrame({
        "specialty": sp["name_zh" if i == 0 else "name_en"],
        "plan_target": sp["plan_target"].astype(bool),
        "category": sp["category"],
        "stated": basis("stated"),
        "inferred": basis("inferred"),
        "focus": sp["code"].map(focus).fillna(0).astype(int),
        "provinces": sp["code"].map(c.groupby("specialty")["province_code"].nunique()).fillna(0).astype(int),
        "specialty_code": sp["code"],
    })
    out.insert(3, "centres", out["stated"] + out["inferred"])
    if code is not None:
        cov = coverage.planned_specialties(ds, code).set_index("code")
        out["stated_total"] = out["specialty_code"].map(cov["stated_count"]).astype("Int64")
        out["status"] = out["specialty_code"].map(cov["status"])
        out["national_centres"] = out["specialty_code"].map(everywhere.groupby("specialty").size()).fillna(0).astype(int)
        out = out.drop(columns="provinces")
    return out.reset_index(drop=True)


# ---------------------------------------------------------------------------------------------
# hospitals
def lead_hospitals(ds: Dataset | None = None, *, lang: Literal["zh", "en"] = "zh") -> _pd.DataFrame:
    """The hospitals that lead centres (输出医院), most centres first.

    Columns: `lead_hospital`, `lead_province` (where the hospital is), `centres` (approved centres
    it leads), `in_own_province` and `elsewhere`, `host_provinces` (where its centres are, most
    first), `centre_ids`, `lead_province_code`. Hospitals are counted under the name the sources
    publish (data/hospitals.csv holds one row per name).

    >>> t = lead_hospitals()
    >>> bool((t["centres"] == t["in_own_province"] + t["elsewhere"]).all())
    True
    """
    ds = _ds(ds)
    c = ds.counted_centers
    pnames = _province_names(ds, lang)
    hosp = _hospital_names(ds, lang)
    sep = _word("list_sep", lang)
    rows = []
    for (name, prov), g in c.groupby(["output_hospital_zh", "output_province_code"], sort=False):
        hosts = g["province_code"].value_counts(sort=False)
        hosts = hosts.sort_index().sort_values(ascending=False, kind="stable")
        own = int((g["province_code"] == prov).sum())
        rows.append({
            "lead_hospital": hosp.get(name) or name,
            "lead_province": pnames.get(prov),
            "centres": len(g),
            "in_own_province": own,
            "elsewhere": len(g) - own,
            "host_provinces": sep.join(pnames.get(p, p) for p in hosts.index),
            "centre_ids": ";".join(sorted(g["center_id"])),
            "lead_province_code": prov,
            "_zh": name,
        })
    cols = ["lead_hospital", "lead_province", "centres", "in_own_province", "elsewhere", "host_provinces",
            "centre_ids", "lead_province_code"]
    out = _pd.DataFrame(rows, columns=[*cols, "_zh"])
    out = out.sort_values(["centres", "lead_province_code", "_zh"], ascending=[False, True, True])
    return out[cols].reset_index(drop=True)


# ---------------------------------------------------------------------------------------------
# openings
def opened_before(date: object, ds: Dataset | None = None, *, lang: Literal["zh", "en"] = "zh") -> _pd.DataFrame:
    """The centres known to have opened (开诊, or 正式运营) before `date`; trial operation
    (试运行/过渡期运营, an outpatients-only opening) never counts as opening.

    `date`: a year ('2024': before 1 January 2024), a month ('2023-07') or a day. A centre counts
    when its opening is before that day whatever the precision of its date: 'no later than
    2023-12' is before 2024 but not known to be before 2023-12-15; an approximate date ('about')
    does not count. Columns: `centre_id`, `centre`, `province`, `specialty`, `lead_hospital`,
    `opened` (the earliest such 开诊/正式运营 date, as published), `opened_basis`, `opened_stage`
    ('open' or 'operating'), `source_id`, `quote`; by the last day each opening can have been
    (an opening 'no later than 2023-12' comes after one on 2023-05-01).

    >>> opened_before("2020-12-25").empty       # the first opening on record: 25 December 2020 (Fujian)
    True
    >>> opened_before("2021").centre_id.tolist()
    ['FJ-03']
    """
    from nrmc import dates
    from nrmc.parameters import normalize_as_of

    ds = _ds(ds)
    text = normalize_as_of(date) if hasattr(date, "isoformat") else str(date).strip()
    try:
        start = dates.start(text)
    except ValueError:  # 2023-02-30
        start = None
    if start is None:
        raise ValueError(f"date {date!r} is not a date: use a year (2024), a month (2023-07) or a day (2023-12-15)")
    counted = ds.counted_centers.set_index("center_id")
    s = ds.stages
    # events that certainly happened before the day: the whole stated period ends before it
    s = s[s["stage"].isin(_OPEN_STAGES) & s["center_id"].isin(counted.index) & s["date_basis"].isin(_CERTAIN)
          & (s["date_dt"] < _pd.Timestamp(start))]
    s = s.assign(_start=[dates.sort_key(d) for d in s["date"]]).sort_values(["center_id", "_start", "date_dt"])
    first = s.drop_duplicates("center_id")  # each centre's earliest such opening
    c = counted.loc[first["center_id"]]
    hosp = _hospital_names(ds, lang)
    out = _pd.DataFrame({
        "centre_id": first["center_id"].to_numpy(),
        "centre": _centre_names(c, lang).to_numpy(),
        "province": c["province_code"].map(_province_names(ds, lang)).to_numpy(),
        "specialty": c["specialty"].map(_specialty_names(ds, lang)).to_numpy(),
        "lead_hospital": c["output_hospital_zh"].map(lambda z: hosp.get(z) or z).to_numpy(),
        "opened": first["date"].to_numpy(),
        "opened_basis": first["date_basis"].to_numpy(),
        "opened_stage": first["stage"].to_numpy(),
        "source_id": first["source_id"].to_numpy(),
        "quote": first["quote"].to_numpy(),
        "_end": first["date_dt"].to_numpy(),
        "_start": first["_start"].to_numpy(),
    })
    # by the latest day each opening can have been ('by the end of 2023' after 1 May 2023)
    return out.sort_values(["_end", "_start", "centre_id"]).drop(columns=["_end", "_start"]).reset_index(drop=True)
