"""Support: what a province's hospitals support elsewhere — the centres in other provinces whose
lead hospital is in this province (`b.exported`): how many, in which provinces, which specialties,
which hospitals lead most, and what the sources say the lead hospitals send (resident experts,
expert visits, technologies transferred), each figure with its date and source.

For an exporter (Beijing, Shanghai: no centre of its own in the sources) this is the briefing's
lead finding; for a host province whose hospitals also lead centres elsewhere (Guangdong,
Zhejiang) it is context. Nationally: which provinces' hospitals lead the most centres elsewhere
(an origin × host summary).

Counts are of the centres the sources name (the fifth batch's projects are mostly not named, so more are
possible); a lead hospital's figures are never added up across centres (their dates differ).
"""
from __future__ import annotations

import pandas as pd

from nrmc import charts, i18n, performance as perf
from nrmc.data import records
from nrmc.findings import Finding, count
from nrmc.sections import common
import importlib

P = importlib.import_module("nrmc.sections.performance")  # the module: nrmc.sections.performance is the section function
from nrmc.sections.base import Section
from nrmc.sections.text import say_all

THEME = "exports"

# What a lead hospital sends to a centre, in the order a reader expects it. A sub-measure of the
# transferred count (of=transferred_technologies) is said with its whole.
SENT = ("resident_experts", "expert_visits", "transferred_technologies", "visiting_experts", "dispatched_experts",
        "experts_present", "academic_director_teams", "departments_transferred", "advanced_trainees",
        "advanced_training_visits")
PER_CENTRE = 3
CENTRES_SAID = 2  # examples in the support message (page 1): two at most, the rest in the section
CENTRES_SECTION = 8  # the section says each centre's figures up to this many, the rest are in the download

# salience by the province's role: an exporter's briefing leads with what its hospitals support
SALIENCE = {
    "exporter": {"count": 96, "results": 88, "specialties": 80, "leaders": 76},
    "known": {"count": 62, "results": 58, "specialties": 45, "leaders": 42},
    "unknown": {"count": 62, "results": 58, "specialties": 45, "leaders": 42},
    # a host whose hospitals also lead centres elsewhere says so on page 1 when little else competes
    "host": {"count": 49, "results": 36, "specialties": 26, "leaders": 24},
}


def findings(b) -> list[Finding]:
    if THEME not in b._cache:
        fs = _national(b) if b.national else _province(b)
        b._cache[THEME] = sorted(fs, key=lambda f: -f.salience)
    return b._cache[THEME]


def exported(b) -> pd.DataFrame:
    """The centres in other provinces led by the province's hospitals, most-supported host first."""
    ex = b.exported.copy()
    if ex.empty:
        return ex
    ex["_n"] = ex.groupby("province_code")["center_id"].transform("size")
    return ex.sort_values(["_n", "province_code", "center_id"], ascending=[False, True, True]).drop(columns="_n")


def sent_figures(b, centres: pd.DataFrame) -> pd.DataFrame:
    """The figures of `centres` about what their lead hospitals send, labelled, in their measures."""
    if centres.empty:
        return pd.DataFrame()
    f = perf.figures_of(b.ds, centres["center_id"])
    f = f[f["kind"].eq("centre") & (f["metric"].isin(SENT) | (f["breakdown"] == "of=transferred_technologies"))]
    return P.results(f)


# ---------------------------------------------------------------------------------------------
def _province(b) -> list[Finding]:
    ex = exported(b)
    role = b.role if b.role in SALIENCE else "host"
    s = SALIENCE[role]
    if ex.empty:
        return [Finding("none", THEME, "none", {"name": b.name, "role": b.role}, 5)]
    out = []
    named = common.named_rows(b, ex)
    by_id = dict(zip(ex["center_id"], named))

    def rows(g: pd.DataFrame) -> list:
        return [by_id[c] for c in g["center_id"]]

    parts = []
    for code, g in ex.groupby("province_code", sort=False):
        parts.append({"province": b.pname(code), "n": count(rows(g)),
                      # a host's few exported centres are named (湖北: 同济医院山西医院, 协和医院重庆医院)
                      "names": [b.centre(c, short=True) for c in g.pipe(records)] if len(ex) <= 3 else []})
    out.append(Finding("count", THEME, "count", {"name": b.name, "n": count(named), "parts": parts,
                                                 "provinces": len(parts), "role": b.role,
                                                 "hospitals": ex["output_hospital_zh"].nunique()}, s["count"]))
    # specialties
    sp = []
    for code, g in ex.groupby("specialty", sort=False):
        name = b.specialty(code)
        if not b.zh:  # 'Traditional Chinese medicine' → 'traditional Chinese medicine'
            name = i18n.lower_first(name)
        sp.append({"specialty": name, "n": count(rows(g)), "first": rows(g)[0], "rows": rows(g),
                   "inferred": int((g["specialty_basis"] != "stated").sum()), "code": code})
    sp.sort(key=lambda x: (-x["n"].value, x["code"] == "comprehensive", x["code"]))
    inferred = int((ex["specialty_basis"] != "stated").sum())
    # centres whose "comprehensive" specialty is only inferred from a general lead hospital are said
    # apart, never counted as a specialty beside the stated ones (issue 18: counting honestly)
    general = next((x for x in sp if x["code"] == "comprehensive" and x["inferred"] == x["n"].value), None) \
        if len(sp) > 1 else None
    if general is not None:
        sp.remove(general)
    shown = len(sp) if len(sp) <= 7 else 5  # name them all when that is short (Shanghai's 7), never "2 more" for two words
    out.append(Finding("specialties", THEME, "specialties", {"name": b.name, "parts": sp[:shown], "more": P.rest(x["first"] for x in sp[shown:]),
                                                             "more_centres": P.rest(r for x in sp[shown:] for r in x["rows"]),
                                                             "inferred": inferred, "n": count(named),
                                                             "general": general["n"] if general else None,
                                                             "specialists": count([r for x in sp for r in x["rows"]]) if general else None,
                                                             "inferred_other": inferred - (general["n"].value if general else 0),
                                                             "kinds": len(sp)}, s["specialties"]))
    # lead hospitals
    hs = []
    for h, g in ex.groupby("output_hospital_zh", sort=False):
        hs.append({"hospital": b.hospital(h, short=True), "n": count(rows(g)),
                   "where": [b.pname(c) for c in dict.fromkeys(g["province_code"])], "zh": h})
    hs.sort(key=lambda x: (-x["n"].value, x["zh"]))
    top = [x for x in hs if x["n"].value >= 2][:3] or hs[:1]
    out.append(Finding("leaders", THEME, "leaders", {"name": b.name, "top": top, "hospitals": len(hs),
                                                     "all_one": hs[0]["n"].value == 1, "n": count(named)}, s["leaders"]))
    res = _results(b, ex, s["results"], named)
    if res is not None:
        out.append(res)
    return out


def _results(b, ex: pd.DataFrame, salience: float, named: list) -> Finding | None:
    """What the lead hospitals send, centre by centre (never added up: each figure its own date)."""
    f = sent_figures(b, ex)
    if f.empty:
        return Finding("results_none", THEME, "results_none", {"name": b.name, "n": count(named)},
                       salience - 30)
    per = P.latest(f, ["subject_id", "measure"])
    # per centre and metric one measure: cumulative first, the whole before its parts
    per = per.assign(_o=[SENT.index(m) if m in SENT else SENT.index("transferred_technologies") + 0.5 for m in per["metric"]],
                     _p=per["period"].map(lambda v: P.PERIOD_PREFERENCE.get(v, 2)), _f=per["flag"] != "")
    per = per.sort_values(["subject_id", "_f", "_o", "_p"]).drop_duplicates(["subject_id", "metric", "breakdown"])
    order = {cid: i for i, cid in enumerate(ex["center_id"])}
    hist = P.history(f)
    centres = []
    for cid, g in per.groupby("subject_id", sort=False):
        g = g.sort_values(["_f", "_o", "_p"]).head(PER_CENTRE)
        row = b.centres_by_id[cid]
        items = P.attach_parts([P.item(b, r, hist) for r in g.pipe(records)])
        centres.append({"row": common.metric_row_of(g.iloc[0]), "centre": P.centre_label(b, cid),
                        "hospital": b.hospital(row["output_hospital_zh"], short=True),
                        "province": b.pname(row["province_code"]), "items": items, **P.share_when(items),
                        "_k": (-sum(1 for x in items if not x["flag"]), order.get(cid, 99))})
    centres.sort(key=lambda c: c["_k"])
    for c in centres:
        c.pop("_k")
    with_rows = [common.metric_row_of(per[per["subject_id"] == cid].iloc[0]) for cid in per["subject_id"].unique()]
    said = set(per["subject_id"])
    by_id = dict(zip(ex["center_id"], named))
    # the section says every centre's figures (up to CENTRES_SECTION, the rest are in the download);
    # page 1 gives two and points to the section for the others (summary.message_items)
    p = {"name": b.name, "centres": centres[:CENTRES_SECTION], "with": count(with_rows),
         "more": P.rest(c["row"] for c in centres[CENTRES_SECTION:]), "where": "download",
         "without": P.rest(by_id[c] for c in ex["center_id"] if c not in said),
         "page1": {"centres": centres[:CENTRES_SAID], "more": P.rest(c["row"] for c in centres[CENTRES_SAID:]),
                   "where": "section"}}
    for c in centres:
        c.pop("row")
    return Finding("results", THEME, "results", p, salience)


def _national(b) -> list[Finding]:
    c = b.ds.counted_centers
    out = []
    ex = c[c["output_province_code"] != c["province_code"]]
    if ex.empty:
        return out
    named = common.named_rows(b, ex)
    by_id = dict(zip(ex["center_id"], named))
    leaders = []
    for code, g in ex.groupby("output_province_code"):
        leaders.append({"province": b.pname(code), "n": count([by_id[c] for c in g["center_id"]]), "code": code,
                        "hosts": g["province_code"].nunique()})
    leaders.sort(key=lambda x: (-x["n"].value, x["code"]))
    same = c[c["output_province_code"] == c["province_code"]]
    origins_rows = [by_id[c] for c in ex.drop_duplicates("output_province_code")["center_id"]]
    p = {"leaders": leaders[:3], "origins": count(origins_rows), "n": count(named),
         "same": count(common.named_rows(b, same)) if len(same) else None}
    out.append(Finding("origins", THEME, "origins", p, 75))
    f = sent_figures(b, ex)
    if not f.empty:
        with_c = ex[ex["center_id"].isin(f["subject_id"])]
        origin = [b.pname(x) for x in sorted(with_c["output_province_code"].unique())]
        out.append(Finding("national_results", THEME, "national_results",
                           {"with": count([by_id[c] for c in with_c["center_id"]]), "origins": origin, "n": count(named)}, 45))
    return out


# ---------------------------------------------------------------------------------------------
def origin_host(b) -> pd.DataFrame:
    """Centres led from each origin province (rows) in each host province (columns), named
    centres in other provinces only; sorted by total."""
    c = b.ds.counted_centers
    ex = c[c["output_province_code"] != c["province_code"]]
    if ex.empty:
        return pd.DataFrame()
    m = pd.crosstab(ex["output_province_code"], ex["province_code"])
    m = m.loc[m.sum(axis=1).sort_values(ascending=False, kind="stable").index,
              m.sum(axis=0).sort_values(ascending=False, kind="stable").index]
    return m


def chart(b):
    if b.national:
        m = origin_host(b)
        if m.empty:
            return None
        tot = m.sum(axis=1)
        labels = [b.pname(x) for x in tot.index]
        values = [float(v) for v in tot]
        if len(set(values)) < 2:
            return None
        texts = []
        for x, v in tot.items():
            hosts = int((m.loc[x] > 0).sum())
            texts.append(b.L("exports.chart.value_" + b.plural(hosts), n=int(v), hosts=hosts))
        svg = charts.hbar(labels, values, value_texts=texts, xlabel=b.L("exports.chart.axis_national"))
        origins = next(f for f in findings(b) if f.name == "origins")
        title = b.say(THEME, "chart_title_national", p=origins.params)
        c = b.ds.counted_centers
        ids = b.source_ids_of(c[c["output_province_code"] != c["province_code"]])
        return common.figure_html(b, svg, title, common.sources_line(b, [i.split(";")[0] for i in ids]))
    ex = exported(b)
    if ex.empty:
        return None
    by = ex.groupby("province_code", sort=False).size()
    if len(by) < 2 or by.nunique() < 2:
        return None
    labels = [b.pname(x) for x in by.index]
    values = [float(v) for v in by]
    texts = [str(int(v)) for v in by]
    svg = charts.hbar(labels, values, value_texts=texts, xlabel=b.L("exports.chart.axis", name=b.name))
    cnt = next(f for f in findings(b) if f.name == "count")
    title = b.say(THEME, "chart_title", p=cnt.params)
    return common.figure_html(b, svg, title, common.sources_line(b, [s.split(";")[0] for s in ex["source_ids"]]))


def data(b) -> pd.DataFrame:
    if b.national:
        m = origin_host(b)
        if m.empty:
            return pd.DataFrame(columns=["origin_code", "host_code", "centres"])
        long = m.stack().rename("centres").reset_index()
        long.columns = ["origin_code", "host_code", "centres"]
        long = long[long["centres"] > 0]
        names = b.ds.provinces.set_index("code")
        long["origin"] = long["origin_code"].map(names["name_zh_short" if b.zh else "name_en"])
        long["host"] = long["host_code"].map(names["name_zh_short" if b.zh else "name_en"])
        return long.reset_index(drop=True)
    ex = exported(b)
    cols = ["center_id", "name_zh", "name_en", "province_code", "output_hospital_zh", "specialty", "specialty_basis",
            "source_ids"]
    return ex[[c for c in cols if c in ex.columns]].reset_index(drop=True)


def section(b) -> Section:
    fs = findings(b)
    return Section(THEME, heading(b), b.lang, fs, say_all(b, fs), chart_html=chart(b), data=data(b))


def heading(b) -> str:
    """The section's heading: the national briefing has no province of its own, so it says where the
    lead hospitals are ("section.exports_national") in a language whose labels have those words."""
    from nrmc import i18n

    if b.national and "exports_national" in i18n.labels(b.lang).get("section", {}):
        return b.L("section.exports_national")
    return b.L("section.exports", name=b.name)


def table_html(b, limit: int | None = None):
    """The centres the province's hospitals lead elsewhere, as a table (page 2 of an exporter's
    briefing): host province, centre, lead hospital, specialty, stage; the first `limit` of them."""
    from nrmc.sections.base import render
    from nrmc.sections.summary import stage_text

    ex = exported(b)
    if ex.empty:
        return None
    shown = ex if limit is None else ex.head(limit)
    rows = []
    for r in shown.pipe(records):
        life = b.life[r["center_id"]]
        rows.append({"province": b.pname(r["province_code"]), "name": b.centre(r, short=True, spell=False),
                     "lead": b.hospital(r["output_hospital_zh"], short=True, spell=False), "specialty": b.specialty(r["specialty"]),
                     "inferred": r["specialty_basis"] == "inferred",
                     "stage": stage_text(b, life.current) if life.current else "—",
                     "refs": b.refs(r["source_ids"], *life.sources())})
    return render("exported_table.html.j2", rows=rows, r=b, total=len(ex), shown=len(shown),
                  caption=b.L("table.exported_caption", name=b.name, n=len(ex)))
