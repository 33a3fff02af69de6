"""Results: what the sources publish about the centres' work — technologies transferred and
introduced, experts sent, visits, operations, patients from other provinces — each figure with its
date and source.

Findings, most salient first:
(a) the sources' own headline claims: a rank (贵州 跨省流出住院患者下降幅度全国最大; a centre's
    national rank among hospitals of its kind) — `headline=True`;
(b) the province's totals over its centres (said as totals over N centres, never as a province-wide
    statistic), by theme, each the latest of its own measure, with its trend where the same measure
    was reported at two dates and a peer province's figure of the same measure;
(c) the centres' results: per measure, the centre that reports most among those that report it;
(d) patients from other provinces, with the national context (NHC: patients leaving their region
    down about 30%; the 7.9% baseline) said as national, never as the province's figure;
(e) what to watch: a measure not reported since a date (the briefing's own reading).
Nationally: the programme's published results, the national fall in patients leaving their region,
which provinces have results at all, and the province totals of the same measure side by side.

The rules (issue 18, point 8): a *measure* is metric + breakdown + period + unit; "latest" and
"largest" are only ever taken within one measure; a province total is never ranked and never set
beside a centre's count (a transferred count, `transferred_technologies`, is a part of what a
centre carries out; `new_technologies` is a total); a flagged figure is never a headline and is
always said to be flagged; "not given by the sources" only when no source gives it.
"""
from __future__ import annotations

import pandas as pd
from markupsafe import Markup

from datetime import date

from nrmc import charts, i18n, inputs, performance as perf
from nrmc.data import records
from nrmc.findings import Finding, Num, count, figure, rankable, when
from nrmc.sections import common
from nrmc.sections.base import Section
from nrmc.sections.text import sentence, watch as watch_text

THEME = "performance"
MEASURE = ["metric", "breakdown", "period", "base_unit"]

# Metrics by group, in the order a reader expects them; a metric of a known theme that is not
# listed here joins its theme's group (technology, experts → training, patients → activity …).
GROUPS: dict[str, tuple[str, ...]] = {
    "technology": ("new_technologies", "transferred_technologies", "tech_national_firsts", "tech_southwest_firsts",
                   "tech_province_firsts", "leading_technologies", "disease_coverage_rate", "core_technology_coverage_rate",
                   "price_items"),
    "experts": ("resident_experts", "visiting_experts", "dispatched_experts", "experts_present", "expert_visits",
                "academic_director_teams", "expert_studios", "expert_clinics", "departments_transferred"),
    "training": ("advanced_trainees", "advanced_training_visits", "training_courses", "training_attendances",
                 "teaching_rounds", "consultations", "remote_surgeries", "academic_exchanges", "mentees",
                 "talents_selected", "talents_recruited"),
    "activity": ("surgeries_level4", "surgeries_level3", "surgeries", "expert_surgeries", "critical_patient_surgeries",
                 "critical_cases_treated", "patients_seen_by_experts", "surgeries_total", "outpatient_visits",
                 "inpatients", "inpatient_visits", "referrals_received", "beds", "outpatient_growth", "discharges_growth",
                 "surgery_growth", "surgery_level3_4_share", "outreach_clinic_sessions", "outreach_beneficiaries"),
    "specialties": ("national_key_specialties", "national_tcm_specialties", "provincial_key_specialties",
                    "tcm_flagship_departments", "specialty_alliances", "alliance_members", "subspecialties_opened",
                    "specialties_covered", "provincial_designations", "alliance_chairs"),
    "policy": ("support_policies", "policy_lists", "local_support_policies", "national_reviews_passed"),
}
THEME_GROUP = {"technology": "technology", "experts": "training", "patients": "activity", "specialties": "specialties",
               "policy": "policy"}
# salience of a province-total finding by group (a trend adds a little)
GROUP_SALIENCE = {"technology": 80, "experts": 77, "activity": 72, "training": 60, "specialties": 58, "policy": 50}
GROUP_ORDER = list(GROUP_SALIENCE)
# patients from other provinces (the province's own figures) and the national context
FLOW_METRICS = ("out_of_province_patients", "out_of_province_patients_growth", "out_of_area_patients")
NATIONAL_OUTFLOW = "patient_outflow_decline"
NATIONAL_BASELINE = "outside_region_treatment_share"
# national programme figures that are results although coded under coverage
NATIONAL_RESULTS_EXTRA = ("specialties_built",)
# not results of the centres' work
NOT_RESULTS = ("party_branches", "party_brands", "planned_beds")  # party work; a plan is not a result
RESULT_THEMES = ("technology", "experts", "patients", "specialties", "policy")
TOTALS_PER_FINDING = 4
PERIOD_PREFERENCE = {"cumulative": 0, "snapshot": 1}  # then a year or span (2), a first-months period, a change
CENTRE_FINDINGS = 4
STALE_DAYS = 365


def result_rows(ds) -> pd.DataFrame:
    """The metrics.csv rows that are results (a result theme, not party work or a plan)."""
    m = ds.metrics
    theme = m["metric"].map(ds.metric_definitions.set_index("code")["theme"])
    return m[theme.isin(RESULT_THEMES) & ~m["metric"].isin(NOT_RESULTS)]


# ---------------------------------------------------------------------------------------------
# the figures
def group_of(metric: str, theme: str) -> str:
    for g, ms in GROUPS.items():
        if metric in ms:
            return g
    return THEME_GROUP.get(theme, "other")


def results(fig: pd.DataFrame) -> pd.DataFrame:
    """The figures that are results (not counts of centres, not the provincial programme, not
    party work), with their group and measure key. Ranks are kept (they are headline claims)."""
    if fig.empty:
        return fig.assign(group=pd.Series(dtype=str), measure=pd.Series(dtype=object))
    f = fig[fig["theme"].isin(RESULT_THEMES) & ~fig["metric"].isin(NOT_RESULTS)
            & ~fig["metric"].isin((NATIONAL_OUTFLOW, NATIONAL_BASELINE))]
    f = f[f["kind"].isin(("province", "centre", "national"))].copy()
    f["group"] = [("rank" if u == "位" else group_of(m, t)) for m, t, u in zip(f["metric"], f["theme"], f["base_unit"])]
    f["measure"] = list(zip(*(f[c] for c in MEASURE))) if len(f) else []
    return f


def _order(metric: str, group: str) -> int:
    ms = GROUPS.get(group, ())
    return ms.index(metric) if metric in ms else len(ms)


def latest(rows: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    """The newest row of each `by` group (within one measure: `by` includes the measure), the
    first source on a tie of dates."""
    if rows.empty:
        return rows
    return rows.sort_values(["as_of_dt", "_line"]).groupby(by, sort=False).tail(1)


def history(rows: pd.DataFrame) -> dict:
    """The oldest unflagged report of each subject and measure (for trends): key -> (the reports
    oldest first, the oldest's position among them, its date). One pass over the rows: no
    DataFrame per group."""
    ok = rows[rows["flag"] == ""]
    if ok.empty:
        return {}
    ok = ok.sort_values(["as_of_dt", "_line"])
    oldest: dict = {}
    for pos, (key, when) in enumerate(zip(zip(ok["subject_id"], *(ok[c] for c in MEASURE)), ok["as_of_dt"])):
        if key not in oldest and not any(pd.isna(k) for k in key):  # as groupby: no group for a missing key
            oldest[key] = (ok, pos, when)
    return oldest


def earlier(hist: dict, r) -> pd.Series | None:
    """The oldest report of the same subject and measure at an earlier date (for a trend), unflagged.
    The reports are oldest first (an undated one last): if the oldest is not earlier, none is."""
    h = hist.get((r["subject_id"], *(r[c] for c in MEASURE)))
    if h is None:
        return None
    ok, pos, when = h
    return ok.iloc[pos] if when < r["as_of_dt"] else None


# ---------------------------------------------------------------------------------------------
# words for a measure (labels/<lang>/performance.toml, else the metric's own label)
def noun(b, r) -> dict:
    """How the briefing's language names a figure's measure: {'noun', 'before', 'part'} — English
    puts a rate's or a score's noun before the number ('growth in outpatient visits of 4.72%');
    `part` names a sub-measure right after its whole ('41 of them firsts in the province')."""
    L = i18n.labels(b.lang).get("performance", {}).get("noun", {})
    key = r["metric"] + (("__" + r["breakdown"].replace("=", "_")) if r["breakdown"] else "")
    # a national total has a noun of its own where the province's would mislead ("firsts in their
    # provinces", not "in the province")
    entry = (L.get(key + "__national") if b.national else None) or L.get(key) or L.get(r["metric"])
    # a source's own noun where one measure groups several wordings (1400余项诊疗技术平移至输入省份
    # is a transferred count, but not of 新技术新项目): labels performance.noun_quote
    for words, own in i18n.labels(b.lang).get("performance", {}).get("noun_quote", {}).get(key, {}).items():
        if words in str(r.get("quote", "")):
            entry = own
            break
    breakdown_extra = ""
    if not L.get(key) and r["breakdown"]:
        from nrmc.labels import fmt_breakdown

        bd = fmt_breakdown(r["breakdown"], b.lang)
        breakdown_extra = f"（{bd}）" if b.zh else f" ({bd})"
    if isinstance(entry, dict):
        one = not b.zh and float(r["value"]) == 1 and not r["qualifier"]
        text = entry.get("one") if one and entry.get("one") else entry["noun"]
        # `wrap`: the whole phrase with {n} where the number goes ("an increase of {n} in discharges")
        return {"noun": text + breakdown_extra, "before": bool(entry.get("before")), "part": entry.get("part", ""),
                "wrap": entry.get("wrap", "")}
    if isinstance(entry, str):
        return {"noun": entry + breakdown_extra, "before": False, "part": ""}
    # a metric without words of its own (new in the data): its label; a rate or score before its number
    label = r["label_zh"] if b.zh else i18n.lower_first(r["label_en"])
    before = not b.zh and r["base_unit"] in ("%", "分")
    return {"noun": label + breakdown_extra + (" of" if before else ""), "before": before, "part": ""}


def group_noun(b, rows: list[dict], items: list[dict]) -> dict:
    """The noun of several figures of one measure: their own words when they share them, else the
    measure's (Anhui's 巡回专家 44, 常规坐诊专家 18 and 7 are 'short-term, rotating or regular-clinic
    experts' together)."""
    if len({x["noun"] for x in items}) <= 1:
        return {"noun": items[0]["noun"], "before": items[0]["before"]}
    return noun(b, {**rows[0], "quote": ""})


def period_words(b, period: str, as_of: str) -> str:
    """The period of a figure in words; '' where the date says it (a snapshot, a year that is its
    own date, a change whose base the flag or note gives)."""
    P = i18n.labels(b.lang)["performance"]["period"]
    if period == "cumulative":
        return P["cumulative"]
    if period in ("snapshot", "change"):
        return ""
    if period.isdigit():
        return "" if as_of == period else P["year"].format(y=period)
    if "/" in period:
        a, z = period.split("/")
        return P["span"].format(a=a, z=z)
    if period.startswith("first_") and period.endswith("_months"):
        n = period[len("first_"):-len("_months")]
        return P["first_half_year"] if n == "6" else P["first_months"].format(n=n)
    return ""


def flag_words(b, flag: str) -> str:
    return i18n.labels(b.lang)["performance"]["flag"].get(flag, i18n.labels(b.lang)["performance"]["flag"]["other"]) if flag else ""


def item(b, r, hist: dict | None = None) -> dict:
    """One figure as a sentence prints it: the measure's words, the number, its period and date,
    its flag, and (when the same measure was reported earlier) the earlier report."""
    row = common.metric_row_of(r)
    words = noun(b, r)
    prev = earlier(hist, r) if hist else None
    prev_item = None
    if prev is not None:
        pr = common.metric_row_of(prev)
        d = float(r["value_base"]) - float(prev["value_base"])
        prev_item = {"n": figure(pr), "when": when(pr), "dir": "up" if d > 0 else "down" if d < 0 else "same"}
    return {"noun": words["noun"], "before": words["before"], "wrap": words.get("wrap", ""), "n": figure(row), "when": when(row),
            "period": period_words(b, r["period"], r["as_of"]), "flag": flag_words(b, r["flag"]),
            "earlier": prev_item, "show_when": True, "show_period": True, "metric": r["metric"],
            "subject": r["subject_id"], "breakdown": r["breakdown"], "part_noun": words["part"], "part": False,
            "of": r["breakdown"][3:] if r["breakdown"].startswith("of=") else ""}


def attach_parts(items: list[dict]) -> list[dict]:
    """A sub-measure (breakdown of=<metric>) of one subject goes right after its whole and is named
    as a part of it ('99 transferred, 41 of them firsts in the province'); without its whole it
    keeps its own name."""
    def whole_of(x):
        return next((y for y in items if y is not x and y["subject"] == x["subject"] and y["metric"] == x["of"]
                     and not y["breakdown"]), None) if x["of"] else None

    parts = [x for x in items if whole_of(x) is not None]
    out = [x for x in items if x not in parts]
    for x in parts:
        w = whole_of(x)
        x["noun"] = x["part_noun"] or x["noun"]
        x["part"] = True
        out.insert(out.index(w) + 1, x)
    return out


def share_when(items: list[dict]) -> dict:
    """Say a date (and a period) once when every item has the same one."""
    out = {"when": None, "period": None}
    if any(x["flag"] for x in items):  # a flagged figure keeps its date beside its flag
        return out
    # shared only when date and period are the same for all (else a date at the end would read
    # as the last item's)
    if len(items) > 1 and len({(x["when"].text, x["when"].basis, x["period"]) for x in items}) == 1:
        out["when"], out["period"] = items[0]["when"], items[0]["period"]
        for x in items:
            x["show_when"] = x["show_period"] = False
    return out


# ---------------------------------------------------------------------------------------------
# evidence helpers
def rest(rows) -> Num | None:
    """How many more there are than a sentence lists ('and 2 more'): a count of the rows it leaves
    out, as evidence; None when it leaves none out."""
    rows = list(rows)
    return count(rows) if rows else None


def centre_label(b, cid: str) -> str:
    return b.centre(b.centres_by_id[cid], short=True)


def centres_covered(b, code: str, source_id: str) -> Num | None:
    """How many centres a province's totals cover: the province's stated number of centres (from
    the same source when it states one), as evidence."""
    m = b.ds.metrics
    m = m[(m["metric"] == "nrmc_count") & (m["subject_id"] == code) & (m["breakdown"] == "")]
    if m.empty:
        return None
    same = m[m["source_id"] == source_id]
    r = (same if len(same) else m).sort_values(["as_of_dt", "_line"]).iloc[-1]
    return figure(common.metric_from_metrics(b, r))


def peer(b, r) -> dict | None:
    """Another province's total of the same measure (metric, breakdown, period, unit), unflagged,
    its latest; among the metrics every briefing may compare (inputs.PEER_METRICS)."""
    if r["metric"] not in inputs.PEER_METRICS:
        return None
    m = b.ds.metrics
    m = m[(m["metric"] == r["metric"]) & (m["breakdown"] == r["breakdown"]) & (m["period"] == r["period"])
          & (m["base_unit"] == r["base_unit"]) & (m["flag"] == "") & m["subject_id"].str.fullmatch(r"\d{6}")
          & (m["subject_id"] != r["subject_id"])]
    if m.empty:
        return None
    p = m.sort_values(["as_of_dt", "_line"]).groupby("subject_id").tail(1).sort_values("subject_id").iloc[0]
    row = common.metric_from_metrics(b, p)
    return {"province": b.pname(p["subject_id"]), "n": figure(row), "when": when(row),
            "centres": centres_covered(b, p["subject_id"], p["source_id"]),
            "same_date": p["as_of"] == r["as_of"]}


# ---------------------------------------------------------------------------------------------
# findings
def findings(b) -> list[Finding]:
    if THEME not in b._cache:
        fs = _national(b) if b.national else _province(b)
        b._cache[THEME] = sorted(fs, key=lambda f: -f.salience)
    return b._cache[THEME]


def _province(b) -> list[Finding]:
    fig = results(b.figures)
    fig = fig[fig["kind"].isin(("province", "centre"))]
    out: list[Finding] = []
    out += _headlines(b, fig)
    out += _totals(b, fig)
    out += _centres(b, fig)
    pat = _patients(b, fig, headline_outflow=any(f.name == "rank_outflow" for f in out))
    if pat is not None and (b.role == "host" or pat.params["parts"]):
        out.append(pat)
    out += _flagged(b, fig)
    w = _watch(b, fig)
    if w is not None:
        out.append(w)
    if fig.empty:  # said only when no source gives any result for the scope's centres
        out.append(_none(b))
    return out


# The group a source ranks a hospital in, as its quote words it (全国儿科医院第16位, 专科组全国第十名).
PEER_GROUPS = {"儿科医院": ("儿科医院", "children's hospitals"),
               "专科组": ("专科组", "specialist hospitals")}


# Who published a rank, as its quote says it (由国家七部委联合发布的…监测分析情况显示).
RANK_BASES = {"国家七部委联合发布的全国三级公立医院绩效考核国家监测分析":
              ("国家七部委联合发布的全国三级公立医院绩效考核国家监测分析",
               "the national monitoring report of the performance assessment of tertiary public hospitals, issued jointly by seven national government departments")}


def rank_basis(quote: str, lang: str) -> str | None:
    """The publication a rank rests on, when its quote names it (None: the quote does not)."""
    for key, (zh, en) in RANK_BASES.items():
        if key in str(quote):
            return zh if lang == "zh" else en
    return None


def peers(quote: str, lang: str) -> str | None:
    """The peer group a rank's quote names, in the briefing's language (None: the quote names none)."""
    for key, (zh, en) in PEER_GROUPS.items():
        if key in str(quote):
            return zh if lang == "zh" else en
    return None


def _headlines(b, fig: pd.DataFrame) -> list[Finding]:
    """A source's own rank of the province or of a centre (never a flagged one)."""
    out = []
    ranks = latest(fig[(fig["group"] == "rank") & (fig["flag"] == "")], ["subject_id", "measure"])
    for r in ranks.pipe(records):
        row = common.metric_row_of(r)
        v = float(r["value"])
        subject = b.name if r["kind"] == "province" else centre_label(b, r["subject_id"])
        p = {"subject": subject, "metric": r["metric"], "rank": figure(row), "when": when(row), "first": v == 1,
             "label": noun(b, r)["noun"], "province": r["kind"] == "province", "peers": peers(row.quote, b.lang)}
        salience = 100 if v == 1 else 95 if v <= 3 else 92 if v <= 20 else 86
        name = "rank_outflow" if r["metric"] == "outflow_decline_rank" else "rank"
        if name == "rank_outflow":
            p["context"] = _national_context(b)
            p["basis"] = rank_basis(row.quote, b.lang)
        out.append(Finding(f"rank:{r['subject_id']}:{r['metric']}", THEME, name, p, salience, headline=True))
    return out


def _totals(b, fig: pd.DataFrame) -> list[Finding]:
    """The province's totals over its centres, one finding per group, each measure its latest."""
    prov = fig[(fig["kind"] == "province") & (fig["group"].isin(GROUP_ORDER)) & ~fig["metric"].isin(FLOW_METRICS)]
    ok = prov[prov["flag"] == ""]
    hist = history(prov)
    out = []
    said_peer = False
    first = True
    for g in GROUP_ORDER:
        x = latest(ok[ok["group"] == g], ["measure"])
        if x.empty:
            continue
        # one measure per metric: the whole figure before its parts, cumulative before other periods
        x = x.assign(_o=[_order(m, g) for m in x["metric"]], _b=x["breakdown"] != "",
                     _p=x["period"].map(lambda v: PERIOD_PREFERENCE.get(v, 2)))
        x = x.sort_values(["_o", "_b", "_p", "breakdown"]).drop_duplicates("metric")
        shown = x.head(TOTALS_PER_FINDING)
        items = [item(b, r, hist) for r in shown.pipe(records)]
        common_when = share_when(items)
        lead = shown.iloc[0]
        pr = None
        if not said_peer:
            pr = peer(b, lead)
        p = {"name": b.name, "group": g, "items": items, **common_when, "full": first,
             "centres": centres_covered(b, b.code, lead["source_id"]),
             "peer": pr, "lead": items[0],
             "first": first, "more": rest(common.metric_row_of(r) for r in x.iloc[len(shown):].pipe(records))}
        said_peer = said_peer or pr is not None
        trend = any(i["earlier"] for i in items)
        out.append(Finding(f"totals:{g}", THEME, "totals", p, GROUP_SALIENCE[g] + (4 if trend else 0)))
        first = False
    return out


def _centres(b, fig: pd.DataFrame) -> list[Finding]:
    """The centres' results. A measure reported by two or more centres: the centre that reports
    most (one measure, one period), the others beside it. The rest, centre by centre: what each
    reports (a sub-measure after its whole). Measures reported by more centres first."""
    cen = fig[(fig["kind"] == "centre") & fig["group"].isin(GROUP_ORDER) & (fig["flag"] == "")
              & ~fig["metric"].isin(FLOW_METRICS)]
    if cen.empty:
        return []
    per = latest(cen, ["subject_id", "measure"])
    hist = history(cen)
    shared, single = [], []
    for key, g in per.groupby("measure", sort=False):
        metric, grp = key[0], g["group"].iloc[0]
        sort = (GROUP_ORDER.index(grp), _order(metric, grp), key[1] != "", str(key))
        (shared if g["subject_id"].nunique() >= 2 else single).append((-g["subject_id"].nunique(), *sort, g))
    shared.sort(key=lambda t: t[:5])
    out = []
    for rank, (_, _, _, _, _, g) in enumerate(shared[:CENTRE_FINDINGS]):
        g = g.sort_values(["value_base", "subject_id"], ascending=[False, True])
        items = []
        for r in g.pipe(records):
            it = item(b, r, hist)
            it["centre"] = centre_label(b, r["subject_id"])
            items.append(it)
        ev_rows = [x["n"].rows[0] for x in items]
        ranked = rankable(ev_rows)
        if not ranked:  # listed side by side, newest first: no order by value across dates or kinds
            items.sort(key=lambda x: x["when"].end or date.min, reverse=True)
            ev_rows = [x["n"].rows[0] for x in items]
        top, others = items[0], items[1:]
        same_date = len({(x["when"].text, x["when"].basis) for x in items}) == 1
        tie = len(items) > 1 and g["value_base"].iloc[0] == g["value_base"].iloc[1]
        p = {"name": b.name, "top": top, "others": others[:3], "more": rest(x["n"].rows[0] for x in others[3:]),
             "of": count(ev_rows), "same_date": same_date, "tie": tie and ranked,
             **group_noun(b, g.pipe(records), items),
             "period": top["period"], "ranked": ranked}
        out.append(Finding(f"centre:{g['metric'].iloc[0]}:{g['breakdown'].iloc[0]}:{g['period'].iloc[0]}", THEME,
                           "centre_top", p, 62 - rank, ranks=tuple(ev_rows) if ranked else ()))
    # one finding per centre for the measures only it reports, while there is room
    room = max(0, CENTRE_FINDINGS + 1 - len(out))
    if room and single:
        single.sort(key=lambda t: t[1:5])
        by_centre: dict[str, list] = {}
        for t in single:
            by_centre.setdefault(t[-1]["subject_id"].iloc[0], []).append(t[-1].iloc[0])
        order = sorted(by_centre, key=lambda c: (-len(by_centre[c]), c))
        for k, cid in enumerate(order[:room]):
            # one measure per metric (cumulative before a snapshot or a year), as for the totals
            own = sorted(by_centre[cid], key=lambda r: (GROUP_ORDER.index(r["group"]), _order(r["metric"], r["group"]),
                                                        r["breakdown"] != "", PERIOD_PREFERENCE.get(r["period"], 2)))
            seen: set = set()
            kept = [r for r in own if not ((r["metric"], r["breakdown"]) in seen or seen.add((r["metric"], r["breakdown"])))]
            rows = kept[:TOTALS_PER_FINDING]
            items = attach_parts([item(b, r, hist) for r in rows])
            p = {"name": b.name, "centre": centre_label(b, cid), "items": items, **share_when(items),
                 "more": rest(common.metric_row_of(r) for r in kept[len(rows):])}
            out.append(Finding(f"centre_own:{cid}", THEME, "centre_own", p, 52 - k))
    return out


def _national_context(b) -> dict:
    """The NHC's national fall in patients leaving their region and the baseline, as context (a
    copy: three findings ask for it)."""
    if "national_context" not in b._cache:
        b._cache["national_context"] = _national_context_of(b)
    return dict(b._cache["national_context"])


def _national_context_of(b) -> dict:
    nat = b.national_figures
    out = {"decline": None, "decline_when": None, "baseline": None, "baseline_when": None}
    for metric, key in ((NATIONAL_OUTFLOW, "decline"), (NATIONAL_BASELINE, "baseline")):
        x = nat[(nat["metric"] == metric) & (nat["breakdown"] == "") & (nat["flag"] == "")]
        if len(x):
            r = common.metric_row_of(x.sort_values(["as_of_dt", "_line"]).iloc[-1])
            out[key] = figure(r)
            out[key + "_when"] = when(r)
            # the baseline is attributed in words: the plan's own title (sources.csv), not "来源"
            src = b.sources.get(r.source_id) or {}
            out[key + "_title"] = src.get("title_en" if b.lang == "en" else "title", "") or ""
            out[key + "_year"] = str(src.get("date", "") or "")[:4]
    return out


def _patients(b, fig: pd.DataFrame, headline_outflow: bool) -> Finding | None:
    """Patients from other provinces (arrivals: flagged ones say so), with the national context."""
    # a flagged rank of the outflow is never a headline: it is said here, flagged
    flows = fig[fig["metric"].isin(FLOW_METRICS) | ((fig["metric"] == "outflow_decline_rank") & (fig["flag"] != ""))]
    ctx = _national_context(b)
    if flows.empty and headline_outflow:
        return None
    if flows.empty and ctx["decline"] is None:
        return None
    per = latest(flows, ["subject_id", "measure"])
    per = per.assign(_k=per["kind"].map({"province": 0, "centre": 1}), _f=per["flag"] != "").sort_values(
        ["_k", "_f", "subject_id", "metric", "breakdown"])
    parts: list[dict] = []
    fhist = history(flows)
    for r in per.pipe(records):
        it = item(b, r, fhist)
        if not parts or parts[-1]["subject_id"] != r["subject_id"]:
            parts.append({"subject_id": r["subject_id"], "items": [],
                          "centre": centre_label(b, r["subject_id"]) if r["kind"] == "centre" else "",
                          "centres": centres_covered(b, b.code, r["source_id"]) if r["kind"] == "province" else None})
        parts[-1]["items"].append(it)
    for part in parts:
        part.update(share_when(part["items"]))
    items = [x for part in parts for x in part["items"]]
    nothing = {"decline": None, "decline_when": None, "baseline": None, "baseline_when": None}
    p = {"name": b.name, "parts": parts, "metrics": sorted({x["metric"] for x in items}),
         "context": ctx if not headline_outflow else nothing, "host": b.role == "host"}
    sal = 70 if any(not x["flag"] for x in items) else 45 if items else 30
    if not items and not ctx["decline"]:
        return None
    return Finding("patients", THEME, "patients", p, sal)


def _flagged(b, fig: pd.DataFrame) -> list[Finding]:
    """The flagged figures not said elsewhere: kept as published, said to be flagged; the
    province's totals and the centres' figures in findings of their own (a list of doubtful
    figures still never sets a total beside a centre's count)."""
    fl = fig[(fig["flag"] != "") & ~fig["metric"].isin(FLOW_METRICS) & (fig["metric"] != "outflow_decline_rank")]
    out = []
    for kind, sal in (("province", 20), ("centre", 18)):
        x = fl[fl["kind"] == kind].sort_values(["subject_id", "_line"])
        if x.empty:
            continue
        items = []
        for r in x.pipe(records):
            it = item(b, r)
            it["centre"] = centre_label(b, r["subject_id"]) if kind == "centre" else ""
            items.append(it)
        rows = [i["n"].rows[0] for i in items]
        out.append(Finding(f"flagged:{kind}", THEME, "flagged", {"name": b.name, "items": items[:4], "kind": kind,
                                                                 "more": rest(rows[4:]), "n": count(rows)}, sal))
    return out


def _watch(b, fig: pd.DataFrame) -> Finding | None:
    """What to watch: the newest date of the province's results, and measures not reported since a
    date a year or more before it (the briefing's reading, never a source's)."""
    ok = fig[(fig["flag"] == "") & (fig["group"] != "rank")]
    if ok.empty:
        return None
    newest = ok.sort_values(["as_of_dt", "_line"]).iloc[-1]
    nrow = common.metric_row_of(newest)
    per = latest(ok, ["subject_id", "measure"])
    stale = per[(newest["as_of_dt"] - per["as_of_dt"]).dt.days >= STALE_DAYS]
    stale = stale.assign(_k=stale["kind"].map({"province": 0, "centre": 1}),
                         _o=[GROUP_ORDER.index(g) * 100 + _order(m, g) for m, g in zip(stale["metric"], stale["group"])])
    stale = stale.sort_values(["_k", "_o", "as_of_dt"]).head(2)
    items = []
    for r in stale.pipe(records):
        it = item(b, r)
        it["centre"] = centre_label(b, r["subject_id"]) if r["kind"] == "centre" else ""
        items.append(it)
    p = {"name": b.name, "newest": when(nrow), "stale": items}
    return Finding("watch", THEME, "watch", p, 40 if items else 30, rows=[nrow], watch=True)


def _none(b) -> Finding:
    """No source gives a result for the scope's centres (said only when none does)."""
    prog = _programme_items(b)[:2]
    ctx = _national_context(b)
    p = {"name": b.name, "role": b.role, "named": count(common.named_rows(b, b.centres)) if len(b.centres) else None,
         "stated": None, "exported": len(b.exported) > 0, "programme": {"items": prog, **share_when(prog)},
         # a province without results of its own and without the patients finding: the national fall
         "decline": ctx["decline"] if b.role != "host" else None, "decline_when": ctx["decline_when"]}
    # what to watch depends on how far the centres are: none open yet, or open without results
    p["opened"] = sum(1 for cid in b.centres["center_id"] if b.life[cid].first_operation is not None) if len(b.centres) else 0
    if b.role == "host" and b.row["count_basis"] == "stated":
        r = common.stated_count_row(b, b.code)
        p["stated"] = figure(r) if r is not None else None
    sal = {"host": 50, "known": 30, "exporter": 15, "unknown": 20}.get(b.role, 20)
    return Finding("none", THEME, "none", p, sal, watch=b.role in ("host", "known"))


# ---------------------------------------------------------------------------------------------
# national
def _programme_items(b) -> list[dict]:
    """The programme's published national results, latest of each measure, unflagged."""
    nat = b.national_figures
    x = nat[((nat["theme"].isin(RESULT_THEMES)) | nat["metric"].isin(NATIONAL_RESULTS_EXTRA))
            & ~nat["metric"].isin((NATIONAL_OUTFLOW, NATIONAL_BASELINE)) & (nat["flag"] == "") & (nat["base_unit"] != "位")]
    if x.empty:
        return []
    x = latest(x.assign(measure=list(zip(*(x[c] for c in MEASURE)))), ["measure"])
    x = x.assign(_o=[0 if m in NATIONAL_RESULTS_EXTRA else 1 + _order(m, group_of(m, t))
                     for m, t in zip(x["metric"], x["theme"])]).sort_values(["as_of_dt", "_o"], ascending=[False, True])
    hist = history(nat)
    return [item(b, r, hist) for r in x.pipe(records)]


def _national(b) -> list[Finding]:
    out: list[Finding] = []
    items = _programme_items(b)
    if items:
        shown = items[:4]
        p = {"items": shown, **share_when(shown), "more": rest(x["n"].rows[0] for x in items[len(shown):])}
        out.append(Finding("programme", THEME, "programme", p, 85))
    ctx = _national_context(b)
    if ctx["decline"] is not None or ctx["baseline"] is not None:
        out.append(Finding("outflow", THEME, "outflow", ctx, 80))
    m = result_rows(b.ds)
    c = b.ds.counted_centers.set_index("center_id")
    cm = m[m["subject_id"].isin(c.index)]
    if len(cm):
        cm = cm.assign(province=cm["subject_id"].map(c["province_code"]))
        firsts = cm.sort_values(["province", "_line"]).groupby("province").head(1)
        rows = [common.metric_from_metrics(b, r) for _, r in firsts.iterrows()]
        crow = common.named_rows(b, c.loc[sorted(cm["subject_id"].unique())].reset_index())  # a row per centre
        provs = [b.pname(p) for p in firsts["province"]]
        totals = m[m["subject_id"].str.fullmatch(r"\d{6}")]
        p = {"provinces": Num(len(rows), "count", tuple(rows)), "names": provs, "centres": count(crow),
             "totals": [b.pname(x) for x in sorted(totals["subject_id"].unique())]}
        out.append(Finding("with_results", THEME, "with_results", p, 70))
    nt = _national_totals(b)
    if nt is not None:
        out.append(nt)
    fig = results(b.national_figures)
    w = _watch_national(b, fig)
    if w is not None:
        out.append(w)
    return out


def _national_totals(b) -> Finding | None:
    """Province totals of the same measure side by side (never ranked: listed by province)."""
    m = b.ds.metrics
    m = m[m["metric"].isin(inputs.PEER_METRICS) & (m["breakdown"] == "") & (m["flag"] == "")
          & m["subject_id"].str.fullmatch(r"\d{6}")]
    if m.empty:
        return None
    last = m.sort_values(["as_of_dt", "_line"]).groupby(["subject_id", "metric", "period", "base_unit"]).tail(1)
    groups = []
    for (metric, period, unit), g in last.groupby(["metric", "period", "base_unit"], sort=False):
        if g["subject_id"].nunique() >= 2:
            groups.append((-g["subject_id"].nunique(), inputs.PEER_METRICS.index(metric), g))
    if not groups:
        return None
    groups.sort(key=lambda t: t[:2])
    g = groups[0][2].sort_values("subject_id")
    parts = []
    for r in g.pipe(records):
        row = common.metric_from_metrics(b, pd.Series(r))
        parts.append({"province": b.pname(r["subject_id"]), "n": figure(row), "when": when(row),
                      "centres": centres_covered(b, r["subject_id"], r["source_id"])})
    lab = b.ds.metric_definitions.set_index("code").loc[g["metric"].iloc[0]]
    words = noun(b, {"metric": g["metric"].iloc[0], "breakdown": "", "value": 2, "qualifier": "",
                     "label_zh": lab["label_zh"], "label_en": lab["label_en"], "base_unit": g["base_unit"].iloc[0]})
    p = {"parts": parts, "noun": words["noun"], "before": words["before"],
         "period": period_words(b, g["period"].iloc[0], ""), "same_date": g["as_of"].nunique() == 1}
    return Finding("national_totals", THEME, "national_totals", p, 50)


def _watch_national(b, fig: pd.DataFrame) -> Finding | None:
    ok = fig[(fig["flag"] == "") & (fig["kind"] == "national")]
    if ok.empty:
        return None
    newest = ok.sort_values(["as_of_dt", "_line"]).iloc[-1]
    nrow = common.metric_row_of(newest)
    p = {"name": b.name, "newest": when(nrow), "stale": []}
    return Finding("watch", THEME, "watch_national", p, 35, rows=[nrow], watch=True)


# ---------------------------------------------------------------------------------------------
# the chart: comparable centre figures of one measure
def chart_measure(b) -> pd.DataFrame:
    """The centres' latest figures of the one comparable measure reported by the most centres
    (unflagged; never a province total), when at least two of them differ; else empty."""
    if b.national:
        fig = performance_all_centres(b)
    else:
        fig = results(b.figures)
        fig = fig[fig["kind"] == "centre"]
    fig = fig[(fig["flag"] == "") & fig["comparable"] & (fig["group"] != "rank")]
    if fig.empty:
        return fig
    per = latest(fig, ["subject_id", "measure"])
    best = None
    for key, g in per.groupby("measure", sort=False):
        if g["subject_id"].nunique() < 2 or g["value_base"].nunique() < 2:
            continue
        grp = g["group"].iloc[0]
        score = (-g["subject_id"].nunique(), GROUP_ORDER.index(grp) if grp in GROUP_ORDER else 99, _order(key[0], grp))
        if best is None or score < best[0]:
            best = (score, g)
    if best is None:
        return per.iloc[0:0]
    return best[1].sort_values(["value_base", "subject_id"], ascending=[False, True])


def performance_all_centres(b) -> pd.DataFrame:
    """Every centre's figures, labelled (the national scope)."""
    f = perf.figures_of(b.ds, b.ds.counted_centers["center_id"])
    return results(f[f["kind"] == "centre"])


def chart(b):
    """The chart of `chart_measure`: one bar per centre, its figure as published; the date on each
    bar when the dates differ, else once under the axis."""
    g = chart_measure(b)
    if g.empty:
        return None
    items = []
    for r in g.pipe(records):
        it = item(b, r)
        it["centre"] = centre_label(b, r["subject_id"])
        items.append(it)
    same_date = len({(x["when"].text, x["when"].basis) for x in items}) == 1
    sep, open_, close = ("，", "（", "）") if b.zh else (", ", " (", ")")
    texts = [b.fig(x["n"]) + ("" if same_date else open_ + b.d(x["when"], short=True) + close) for x in items]
    words = {**items[0], **group_noun(b, g.pipe(records), items)}
    axis = words["noun"] if b.zh else words["noun"][:1].upper() + words["noun"][1:]
    notes = [t for t in (words["period"], b.d(words["when"]) if same_date else "") if t]
    xlabel = b.L("performance.chart.axis", noun=axis) + (open_ + sep.join(notes) + close if notes else "")
    svg = charts.hbar([x["centre"] for x in items], [float(v) for v in g["value_base"]], value_texts=texts, xlabel=xlabel)
    p = {"top": items[0], "of": count([x["n"].rows[0] for x in items]), "noun": words["noun"], "before": words["before"],
         "same_date": same_date, "ranked": rankable(x["n"].rows[0] for x in items)}
    title = b.say(THEME, "chart_title", p=p)
    return common.figure_html(b, svg, title, common.sources_line(b, g["source_id"].tolist()))


# ---------------------------------------------------------------------------------------------
# the section
def sentences(b, fs: list[Finding]) -> list[Markup]:
    """Each finding as running text; a finding to watch ends with the briefing's own reading."""
    out = []
    for f in fs:
        s = sentence(b, f)
        w = watch_text(b, f)
        if w:
            s = s + Markup("" if b.zh else " ") + w + Markup(b.L("stop"))
        out.append(s)
    return out


def section(b) -> Section:
    fs = findings(b)
    chart_html = chart(b)
    data = b.figures.copy()
    return Section(THEME, b.L("section.performance"), b.lang, fs, sentences(b, fs), chart_html=chart_html,
                   data=data.reset_index(drop=True))
