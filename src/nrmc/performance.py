"""Performance: every figure known about a province (or the nation) and its centres, each with
value, unit, as-of date, period and source number; comparable figures side by side; what is not
known.

Figures of different dates or periods are never added together: `safe_total()` refuses, and the
charts show each bar with its own date.
"""
from __future__ import annotations

import pandas as pd

from nrmc import dates, i18n
from nrmc.coverage import province_code
from nrmc.data import Dataset, plain_text_columns
from nrmc.labels import FLAGS, fmt_breakdown, fmt_period, fmt_value, pick

__all__ = ["IncomparableFiguresError", "source_numbers", "subject_names", "figures", "figures_of", "figure_table", "latest",
           "comparable", "safe_total", "unknowns", "flagged", "peers", "trends"]


def __dir__() -> list[str]:  # the API, not the modules it imports (np, pd …)
    return sorted(__all__)


THEMES = {  # metric_definitions.csv `theme` → (中文, English), in the annex's order
    "coverage": ("覆盖与数量", "Coverage and counts"),
    "technology": ("技术平移", "Technologies"),
    "experts": ("专家与人才", "Experts and training"),
    "patients": ("患者与服务量", "Patients and activity"),
    "specialties": ("学科建设", "Specialties and recognition"),
    "policy": ("政策与保障", "Policy and support"),
    "provincial": ("省级区域医疗中心（另一项目）", "Provincial regional medical centres (another programme)"),
}

# Figures a reader expects for every centre; the "not known" table lists the gaps among these.
CORE_METRICS = (
    "new_technologies",
    "tech_province_firsts",
    "resident_experts",
    "visiting_experts",
    "expert_visits",
    "outpatient_visits",
    "inpatients",
    "surgeries_level4",
    "beds",
    "out_of_province_patients",
)


class IncomparableFiguresError(ValueError):
    """Raised when asked to add up figures of different dates, periods or units."""


def source_numbers(ds: Dataset) -> dict[str, int]:
    """Every source's number in the briefings: its position in sources.csv (stable across briefings)."""
    return {sid: i + 1 for i, sid in enumerate(ds.sources["source_id"])}


def subject_names(ds: Dataset) -> pd.DataFrame:
    """subject_id → kind, name_zh, name_en, province_code for every possible metric subject."""
    return ds.derived("subject_names", _subject_names, "centers", "provinces", "provincial_centers")


def _subject_names(ds: Dataset) -> pd.DataFrame:
    c = ds.centers
    p = ds.provinces
    pc = ds.provincial_centers
    parts = [
        pd.DataFrame({"subject_id": c["center_id"], "kind": "centre", "name_zh": c["name_zh"],
                      "name_en": c["name_en"].where(c["name_en"] != "", c["name_zh"]), "province_code": c["province_code"]}),
        pd.DataFrame({"subject_id": p["code"], "kind": "province", "name_zh": p["name_zh"], "name_en": p["name_en"],
                      "province_code": p["code"]}),
        pd.DataFrame({"subject_id": pc["prc_id"], "kind": "provincial_centre", "name_zh": pc["name_zh"],
                      "name_en": pc["name_en"].where(pc["name_en"] != "", pc["name_zh"]), "province_code": pc["province_code"]}),
        pd.DataFrame({"subject_id": ["national"], "kind": ["national"], "name_zh": ["全国"], "name_en": ["China"],
                      "province_code": [""]}),
    ]
    return pd.concat(parts, ignore_index=True)


TRAINING_METRICS = frozenset({"training_attendances", "advanced_training_visits"})


def _en_occasions(text: str, breakdown: str, metric: str) -> str:
    """An English figure whose unit is 人次 in the word of its measure: patients' are visits, an
    inpatient's admissions, a trainee's attendances (glossary: visits / attendances)."""
    if breakdown == "care=inpatient" or metric == "inpatients":
        return text.replace(" visits", " admissions").replace(" visit", " admission")
    if metric in TRAINING_METRICS:
        return text.replace(" visits", " attendances").replace(" visit", " attendance")
    return text


def figures(ds: Dataset, province: object | None = None, *, include_provincial_centres: bool = True) -> pd.DataFrame:
    """All figures about one province and its centres, or (province=None) about the nation.

    Adds: subject kind and names, metric labels, `display_zh`/`display_en` (value with unit and
    qualifier), `source_no`, `flag_zh`/`flag_en`. Sorted by subject (province first), metric, date.
    """
    subj = subject_names(ds)
    if province is None:
        keep = subj[subj["kind"] == "national"]
    else:
        code = province_code(ds, province)
        kinds = ["centre", "province"] + (["provincial_centre"] if include_provincial_centres else [])
        keep = subj[(subj["province_code"] == code) & subj["kind"].isin(kinds)]
    return _labelled_rows(ds, keep)


def figures_of(ds: Dataset, subject_ids) -> pd.DataFrame:
    """The figures of the given subjects (centres of any province, say), labelled as `figures`."""
    subj = subject_names(ds)
    return _labelled_rows(ds, subj[subj["subject_id"].isin(set(subject_ids))])


def _labelled_rows(ds: Dataset, keep: pd.DataFrame) -> pd.DataFrame:
    """`_labelled(ds, keep)` for rows `keep` of subject_names(ds), taken from every figure labelled
    once per dataset (a briefing asks for figures some ten times; labelling took a tenth of its
    time). The same rows in the same order: the labelled table is sorted by per-row keys, and the
    merge keeps the order of the figures."""
    full = ds.derived("performance.labelled",
                      lambda d: _labelled(d, subject_names(d).assign(_subject_row=lambda t: t.index)),
                      "metrics", "metric_definitions", "sources", "centers", "provinces", "provincial_centers")
    rows = full[full["_subject_row"].isin(keep.index)]
    return rows.drop(columns="_subject_row").reset_index(drop=True)


def _labelled(ds: Dataset, keep: pd.DataFrame) -> pd.DataFrame:
    m = ds.metrics.merge(keep, on="subject_id", how="inner")
    defs = ds.metric_definitions.set_index("code")
    src_basis = ds.sources.set_index("source_id")["date_basis"]
    m = m.assign(
        label_zh=m["metric"].map(defs["label_zh"]),
        label_en=m["metric"].map(defs["label_en"]),
        comparable=m["metric"].map(defs["comparable"]).astype(bool),
        theme=m["metric"].map(defs["theme"]),
        source_no=m["source_id"].map(source_numbers(ds)),
    )
    m["date_basis"] = [dates.effective_basis(b, src_basis.get(s)) for b, s in zip(m["as_of_basis"], m["source_id"])]
    m["date_zh"] = [dates.qualified(d, b, "zh") for d, b in zip(m["as_of"], m["date_basis"])]
    m["date_en"] = [dates.qualified(d, b, "en") for d, b in zip(m["as_of"], m["date_basis"])]
    m["display_zh"] = [fmt_value(v, u, q, "zh") for v, u, q in zip(m["value"], m["unit"], m["qualifier"])]
    # 人次 of inpatients are admissions, of training attendances, not visits
    m["display_en"] = [_en_occasions(fmt_value(v, u, q, "en"), b, met)
                       for v, u, q, b, met in zip(m["value"], m["unit"], m["qualifier"], m["breakdown"], m["metric"])]
    m["flag_zh"] = m["flag"].map(lambda f: pick(FLAGS[f], "zh") if f else "")
    m["flag_en"] = m["flag"].map(lambda f: pick(FLAGS[f], "en") if f else "")
    order = {"province": 0, "national": 0, "centre": 1, "provincial_centre": 2}
    m["_o"] = m["kind"].map(order)
    m = m.sort_values(["_o", "subject_id", "metric", "breakdown", "as_of_dt", "source_id"]).drop(columns="_o").reset_index(drop=True)
    return plain_text_columns(m)


def figure_table(fig: pd.DataFrame, lang: str = "zh", specialties: dict | None = None) -> pd.DataFrame:
    """The figures as a reader's table: subject, metric, value, as of, period, source, flag/note.
    `specialties` maps specialty codes to (zh, en) names for breakdowns by specialty."""
    zh = lang == "zh"
    out = pd.DataFrame({
        "subject": fig["name_zh" if zh else "name_en"],
        "metric": fig["label_zh" if zh else "label_en"] + fig["breakdown"].map(
            lambda b: (f"（{fmt_breakdown(b, lang, specialties)}）" if zh else f" ({fmt_breakdown(b, lang, specialties)})") if b else ""),
        "value": fig["display_zh" if zh else "display_en"],
        "as_of": fig["date_zh" if zh else "date_en"],
        "period": fig["period"].map(lambda p: fmt_period(p, lang)),
        "source": fig["source_no"].map(lambda n: f"[{n}]"),
        "flag": fig["flag_zh" if zh else "flag_en"],
    })
    return out


def latest(fig: pd.DataFrame, metric: str) -> pd.DataFrame:
    """Per subject, the most recent figure for `metric` (whole-subject figures, no breakdown).
    Ties at the same date keep every source. Adds `n_figures`: how many figures the subject has for
    the metric in all, so a chart can say that older or other-source figures exist."""
    m = fig[(fig["metric"] == metric) & (fig["breakdown"] == "")]
    if m.empty:
        return m.assign(n_figures=pd.Series(dtype=int))
    n = m.groupby("subject_id").size().rename("n_figures")
    last = m.groupby("subject_id")["as_of_dt"].transform("max")
    out = m[m["as_of_dt"] == last].drop_duplicates(["subject_id", "as_of", "source_id"])
    return out.merge(n, left_on="subject_id", right_index=True).reset_index(drop=True)


def comparable(fig: pd.DataFrame, metric: str, kind: str = "centre") -> pd.DataFrame:
    """The latest figure of `metric` for each subject of `kind`, one row per subject (the first
    source when two agree in date), for side-by-side charts. Flagged figures are kept and marked."""
    m = latest(fig[fig["kind"] == kind], metric)
    return m.drop_duplicates("subject_id").sort_values("value_base", ascending=False).reset_index(drop=True)


def safe_total(rows: pd.DataFrame) -> float:
    """Sum figures only when they share unit, as-of date and period; otherwise raise
    IncomparableFiguresError naming what differs. A missing value anywhere also refuses."""
    if rows.empty:
        raise IncomparableFiguresError("no figures to add up")
    for col, what in (("base_unit", "units"), ("as_of", "dates"), ("period", "periods")):
        vals = rows[col].unique()
        if len(vals) > 1:
            raise IncomparableFiguresError(f"figures have different {what}: {', '.join(map(str, vals))}")
    if rows["value_base"].isna().any():
        raise IncomparableFiguresError("a figure is missing")
    return float(rows["value_base"].sum())


def unknowns(ds: Dataset, province: object, metrics: tuple[str, ...] = CORE_METRICS, lang: str = "zh") -> pd.DataFrame:
    """For each approved centre of the province: which of the core figures no source gives.
    Columns: centre, known (n of core), missing (labels of the missing figures)."""
    code = province_code(ds, province)
    defs = ds.metric_definitions.set_index("code")
    core = [m for m in metrics if m in defs.index]
    c = ds.counted_centers[ds.counted_centers["province_code"] == code]
    have = ds.metrics[ds.metrics["subject_id"].isin(c["center_id"])].groupby("subject_id")["metric"].agg(set)
    rows = []
    label = "label_zh" if lang == "zh" else "label_en"
    for _, r in c.iterrows():
        got = have.get(r["center_id"], set())
        missing = [defs.loc[m, label] for m in core if m not in got]
        rows.append({"center_id": r["center_id"], "name_zh": r["name_zh"], "name_en": r["name_en"] or r["name_zh"],
                     "known": len(core) - len(missing), "of": len(core),
                     "missing": "、".join(missing) if lang == "zh" else ", ".join(
                         m if i == 0 else i18n.lower_first(m) for i, m in enumerate(missing))})
    return pd.DataFrame(rows, columns=["center_id", "name_zh", "name_en", "known", "of", "missing"])


def flagged(fig: pd.DataFrame) -> pd.DataFrame:
    """The flagged figures among `fig`, with their reasons."""
    return fig[fig["flag"] != ""].reset_index(drop=True)


def peers(ds: Dataset, code: str, metric: str, period: str, base_unit: str) -> pd.DataFrame:
    """Other provinces' whole-province figures (totals over their centres) of the same metric,
    period and base unit, unflagged, latest per province: the only fair peer comparison."""
    m = ds.metrics
    m = m[(m["metric"] == metric) & (m["breakdown"] == "") & (m["period"] == period) & (m["base_unit"] == base_unit)
          & (m["flag"] == "") & m["subject_id"].str.fullmatch(r"\d{6}") & (m["subject_id"] != code)]
    if m.empty:
        return m
    return m.sort_values("as_of_dt").groupby("subject_id").tail(1).sort_values("value_base", ascending=False)


def trends(fig: pd.DataFrame) -> list[pd.DataFrame]:
    """Figures of one subject, metric, breakdown and period reported at two or more dates (e.g.
    复旦儿科安徽: 412 → 453 new technologies), unflagged, oldest first; one frame per series."""
    f = fig[(fig["flag"] == "") & (fig["period"] == "cumulative")]
    out = []
    for _, g in f.groupby(["subject_id", "metric", "breakdown", "base_unit"], sort=False):
        g = g.sort_values("as_of_dt").drop_duplicates("as_of")
        if len(g) >= 2:
            out.append(g)
    return out
