"""Coverage: how many centres a province has, how that compares per head of population with the
nation (one benchmark everywhere: the official total per head), where they are and where their
output hospitals come from. Nationally: the official total, how many are named, where they are.
"""
from __future__ import annotations

import functools

import pandas as pd

from nrmc import charts
from nrmc.data import records
from nrmc.findings import Finding, Num, When, count, figure, when
from nrmc.sections import common
from nrmc.sections.base import Section, render
from nrmc.sections.text import say_all

THEME = "coverage"


# ---------------------------------------------------------------------------------------------
# the one national benchmark
def benchmark(b) -> dict | None:
    """China's centres per 10 million residents on the official total (the same figure and label
    in every briefing), and on the named centres (shown only beside a named-only count)."""
    key = "benchmark"
    if key not in b._cache:
        total = common.official_total_row(b)
        pop = common.population_row(b, None)
        if total is None:
            b._cache[key] = None
        else:
            named = common.named_rows(b, b.ds.counted_centers)
            b._cache[key] = {
                "official": common.rate(total.value, [total], pop), "total": figure(total), "total_when": when(total),
                "named_rate": common.rate(len(named), named, pop), "named": count(named), "pop": pop,
            }
    return b._cache[key]


# ---------------------------------------------------------------------------------------------
# findings
def findings(b) -> list[Finding]:
    if "coverage" not in b._cache:
        b._cache["coverage"] = _national(b) if b.national else _province(b)
    return b._cache["coverage"]


def _province(b) -> list[Finding]:
    out: list[Finding] = []
    st = b.row
    code = b.code
    named = common.named_rows(b, b.centres)
    stated = common.stated_count_row(b, code)
    bench = benchmark(b)
    figs = b.figures
    rank = figs[(figs["metric"] == "nrmc_count_national_rank") & (figs["subject_id"] == code)]
    rank_row = common.metric_row_of(rank.sort_values("as_of_dt").iloc[-1]) if len(rank) else None
    if st["role"] == "host":
        p = {"name": b.name, "named": count(named) if named else None,
             "stated": figure(stated) if stated is not None and st["count_basis"] == "stated" else None,
             "stated_when": when(stated) if stated is not None and st["count_basis"] == "stated" else None,
             "rank": figure(rank_row) if rank_row is not None else None,
             "rank_when": when(rank_row) if rank_row is not None else None}
        out.append(Finding("count", THEME, "count", p, 100 if rank_row is not None else 60, headline=rank_row is not None))
        # standing among the provinces on one basis: the centres the sources name
        stand = _standing(b)
        if stand is not None and rank_row is None:
            out.append(stand)
        if bench:
            out.append(_per_head(b, named, stated if st["count_basis"] == "stated" else None, bench))
        cities = _cities(b)
        if cities:
            out.append(cities)
        origins = _origins(b)
        if origins:
            out.append(origins)
    elif st["role"] == "known":
        fb = figs[(figs["metric"] == "first_approval_batch") & (figs["subject_id"] == code)]
        r = common.metric_row_of(fb.sort_values("as_of_dt").iloc[-1])
        out.append(Finding("first_batch", THEME, "first_batch", {"name": b.name, "batch": figure(r), "when": when(r)}, 80))
    else:
        out.append(_silent(b))
    if st["role"] in ("known", "unknown", "exporter"):
        # no count of its own: the national picture is the context a reader needs
        for f in _national(b):
            if f.key in ("official", "spread"):
                f.salience = 70 if f.key == "official" else 55
                f.headline = False
                if f.key == "official":  # a province's context: the total, not the batches' history
                    f.params["batches"] = []
                out.append(f)
    return out


def _standing(b) -> Finding | None:
    """The province's place among the 31 by named centres (only where it stands out: first three)."""
    st = b.status
    named = st[st["named"] > 0]
    if b.row["named"] <= 0 or len(named) < 3:
        return None
    rank = int((named["named"] > b.row["named"]).sum()) + 1
    if rank > 3:
        return None
    ties = int((named["named"] == b.row["named"]).sum()) - 1
    rows = common.named_rows(b, b.centres)
    how_zh = f"按来源具名的中心数在{len(named)}个有具名中心的省份中排序"
    how_en = f"provinces ranked by centres named in the sources ({len(named)} have any)"
    p = {"name": b.name, "named": count(rows), "rank": Num(rank, "rank", tuple(rows), how_zh=how_zh, how_en=how_en),
         "ties": ties, "of": Num(len(named), "rank", tuple(rows), how_zh=how_zh, how_en=how_en)}
    return Finding("standing", THEME, "standing", p, 85 if rank == 1 else 70)


def _per_head(b, named, stated_row, bench) -> Finding:
    pop = common.population_row(b, b.code)
    if stated_row is not None:
        own = common.rate(stated_row.value, [stated_row], pop)
        basis = "stated"
    else:
        own = common.rate(len(named), named, pop)
        basis = "named"
    ratio = own.value / bench["official"].value if bench["official"].value else 1
    p = {"name": b.name, "rate": own, "basis": basis, "bench": bench["official"], "total": bench["total"],
         "total_when": bench["total_when"], "pop_year": b.nat.pop_year,
         "named_rate": common.rate(len(named), named, pop) if basis == "named" else None,
         "bench_named": bench["named_rate"] if basis == "named" else None,
         "above": own.value > bench["official"].value, "ratio": ratio,
         # the province's own total and its date, said beside the national one's (two dates)
         "own_total": figure(stated_row) if stated_row is not None else None,
         "own_when": when(stated_row) if stated_row is not None else None}
    salience = 75 if ratio >= 1.5 or ratio <= 0.5 else 45
    return Finding("per_head", THEME, "per_head", p, salience)


def _cities(b) -> Finding | None:
    from nrmc import coverage as cov

    c = cov.city_spread(b.ds, b.code)
    if c.empty:
        return None
    stated = c[c["stated"].notna()]
    if len(stated):
        m = b.ds.metrics
        parts = []
        for r in stated.pipe(records):
            x = m[(m["subject_id"] == b.code) & (m["metric"] == "nrmc_count") & (m["breakdown"] == f"city={r['city_zh']}")]
            row = common.metric_from_metrics(b, x.sort_values("as_of_dt").iloc[-1])
            parts.append({"city": b.city(r["city_zh"]), "n": figure(row)})
        return Finding("cities", THEME, "cities", {"name": b.name, "parts": parts, "stated": True}, 30)
    named = c[c["named"] > 0]
    if len(named) < 2:
        return None
    parts = []
    for r in named.pipe(records):
        cs = b.centres[b.centres["city_zh"] == r["city_zh"]]
        parts.append({"city": b.city(r["city_zh"]), "n": count(common.named_rows(b, cs)), "inferred": int(r["named_inferred"])})
    unknown = int((b.centres["city_zh"] == "").sum())
    return Finding("cities", THEME, "cities", {"name": b.name, "parts": parts, "stated": False, "unknown": unknown}, 25)


def _origins(b) -> Finding | None:
    c = b.centres
    if c.empty:
        return None
    parts = []
    for code, g in c.groupby("output_province_code", sort=False):
        hospitals = list(dict.fromkeys(b.hospital(h, short=True) for h in g["output_hospital_zh"]))
        parts.append({"province": b.pname(code), "n": count(common.named_rows(b, g)), "hospitals": hospitals,
                      "own": code == b.code})
    parts.sort(key=lambda x: -x["n"].value)
    return Finding("origins", THEME, "origins", {"name": b.name, "parts": parts, "named": count(common.named_rows(b, c))}, 35)


def _silent(b) -> Finding:
    """A province the sources do not mention: what is known about its region."""
    st = b.status
    region = st[(st["region"] == b.row["region"]) & (st["code"] != b.code)]
    known = region[region["known"]]
    named_c = b.ds.counted_centers[b.ds.counted_centers["province_code"].isin(region["code"])]
    p = {"name": b.name, "region": b.region(), "peers": len(region), "known": Num(len(known), "count", tuple(
        common.named_rows(b, named_c.drop_duplicates("province_code")) + [r for r in _first_batch_rows(b, known)]))
        if len(known) else None, "named": count(common.named_rows(b, named_c)) if len(named_c) else None,
        "silent": [b.pname(c) for c in region.loc[~region["known"], "code"]]}
    exporter = b.row["role"] == "exporter"
    p["exporter"] = exporter  # its hospitals lead centres elsewhere: that, not its region, is the point
    # an exporter's page 1 leads with what its hospitals support; that it has none at home follows
    f = Finding("silent", THEME, "silent", p, 45 if exporter else 90)
    return f


def _first_batch_rows(b, known: pd.DataFrame):
    m = b.ds.metrics
    for code in known.loc[known["named"] == 0, "code"]:
        x = m[(m["subject_id"] == code) & (m["metric"] == "first_approval_batch")]
        if len(x):
            yield common.metric_from_metrics(b, x.sort_values("as_of_dt").iloc[-1])


ZH_NUMERALS = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}


def _batch_totals(b, final: float) -> list[dict]:
    """The cumulative totals after each batch before the final total: a milestone with its batch,
    or one whose own words give the batches it counts ("四批共76个项目"); one row per total (a
    batch's own row first, then the earliest)."""
    import re

    ms = b.ds.milestones
    ms = ms[ms["projects_total"].notna() & (ms["projects_total"] != final)].sort_values("date_dt")
    out: dict[float, dict] = {}
    for r in ms.pipe(records):
        batch = int(r["batch"]) if r["batch"] == r["batch"] and r["batch"] not in (None, "") else None
        if batch is None:
            m = re.search(r"([一二三四五六七八九])批共", str(r.get("event_zh") or ""))
            batch = ZH_NUMERALS[m.group(1)] if m else None
        if batch is None:
            continue
        total = float(r["projects_total"])
        if total in out and (out[total]["own"] or not r["batch"] == r["batch"]):
            continue
        row = common.milestone_row(b, r)
        out[total] = {"batch": batch, "total": Num(total, "figure", (row,), "个"),
                      "when": When(r["date"], r["date_basis"] or "stated", (row,)),
                      "own": r["batch"] == r["batch"] and r["batch"] not in (None, "")}
    return sorted(out.values(), key=lambda x: x["total"].value)


def _national(b) -> list[Finding]:
    out: list[Finding] = []
    bench = benchmark(b)
    st = b.status
    named = common.named_rows(b, b.ds.counted_centers)
    if bench:
        batches = _batch_totals(b, bench["total"].value)
        # the first date the final total was published (it may have been confirmed later)
        allm = b.ds.milestones[b.ds.milestones["projects_total"] == bench["total"].value].sort_values("date_dt")
        first = allm.iloc[0] if len(allm) else None
        first_when = (When(first["date"], first["date_basis"] or "stated", (common.milestone_row(b, first),))
                      if first is not None and first["date"] != bench["total_when"].text else None)
        out.append(Finding("official", THEME, "official", {"total": bench["total"], "when": bench["total_when"],
                                                            "first_when": first_when,
                                                            "batches": batches, "named": count(named)}, 100, headline=True))
    prov_named = st[st["named"] > 0]
    known = st[st["known"]]
    p = {"named": count(named), "provinces_named": Num(len(prov_named), "count", tuple(
        common.named_rows(b, b.ds.counted_centers.drop_duplicates("province_code")))),
        "provinces_known": len(known), "of": len(st), "total": bench["total"] if bench else None,
        "silent": [b.pname(c) for c in st.loc[~st["known"] & (st["exported"] == 0), "code"]],
        "exporters_only": [b.pname(c) for c in st.loc[st["role"] == "exporter", "code"]],
        # the provinces known to have centres that no source names (the gap between the two counts)
        "unnamed": [b.pname(c) for c in st.loc[st["known"] & (st["named"] == 0), "code"]]}
    out.append(Finding("spread", THEME, "spread", p, 80))
    srt = prov_named.sort_values(["named", "code"], ascending=[False, True])
    # the three with the most, and any tied with the third (Jiangxi's 7 beside Anhui's and Fujian's)
    third = srt["named"].iloc[min(2, len(srt) - 1)] if len(srt) else 0
    top = srt[srt["named"] >= third].head(5) if len(srt[srt["named"] >= third]) <= 5 else srt.head(3)
    leaders = [{"province": b.pname(r["code"]), "n": count(common.named_rows(
        b, b.ds.counted_centers[b.ds.counted_centers["province_code"] == r["code"]]))} for r in top.pipe(records)]
    # the map prints each province's best-supported number, not its named centres: say where they differ
    raised = []
    for r in st[st["known"] & (st["count"] > st["named"]) & (st["count_basis"] == "stated")].sort_values(
            ["count", "code"], ascending=[False, True]).pipe(records):
        row = common.stated_count_row(b, r["code"])
        if row is not None:
            raised.append({"province": b.pname(r["code"]), "n": figure(row)})
    uncounted = [b.pname(c) for c in st.loc[st["known"] & st["count"].isna(), "code"]]
    out.append(Finding("most_named", THEME, "most_named", {"leaders": leaders}, 55))
    if raised or uncounted:  # its own sentence: a ranking of named counts is not said beside stated totals
        out.append(Finding("map_counts", THEME, "map_counts", {"raised": raised, "uncounted": uncounted}, 54))
    if bench:
        out.append(Finding("benchmark", THEME, "benchmark", {"bench": bench["official"], "total": bench["total"],
                                                             "total_when": bench["total_when"], "pop_year": b.nat.pop_year,
                                                             "named_rate": bench["named_rate"], "named": bench["named"]}, 40))
    return out


# ---------------------------------------------------------------------------------------------
# the section
def section(b) -> Section:
    fs = findings(b)
    title = b.L("section.coverage")
    shown = fs
    if b.role in ("known", "unknown"):  # a short note: what page 1 said is not said again on page 2
        from nrmc.sections.summary import key_messages

        on_page_one = {f.key for f in key_messages(b)}
        shown = [f for f in fs if f.key not in on_page_one]
    sentences = say_all(b, shown)
    chart_html = None
    data = b.status[["code", "name_zh_short", "name_en", "region", "named", "stated", "count", "count_basis", "per_10m",
                     "per_10m_named", "role"]].copy()
    if b.national:
        chart = common.national_map(b)
        ids = common_sources_national(b)
        chart_html = common.figure_html(b, chart, b.L("chart.map_title", n=int(b.status["known"].sum())),
                                        common.sources_line(b, ids))
    elif b.role in ("host", "known", "unknown", "exporter"):
        chart_html = per_head_chart(b)
        data = data[data["region"] == b.row["region"]]
    return Section("coverage", title, b.lang, fs, sentences, chart_html=chart_html, data=data.reset_index(drop=True))


def common_sources_national(b) -> list[str]:
    ids = b.source_ids_of(b.ds.counted_centers)
    ids += b.status["stated_source"].dropna().tolist() + b.status["first_batch_source"].dropna().tolist()
    return ids


def per_head_chart(b):
    """The provinces of the region by centres per 10 million residents, the national benchmark as
    a line; the province outlined. Drawn the same way in every briefing of the region."""
    bench = benchmark(b)
    reg = b.status[b.status["region"] == b.row["region"]].sort_values(["per_10m", "code"], ascending=[False, True],
                                                                      na_position="last")
    labels, values, texts, hl, hatched = [], [], [], [], []
    for r in reg.pipe(records):
        labels.append(r["name_zh_short"] if b.zh else r["name_en"])
        values.append(r["per_10m"])
        if pd.isna(r["per_10m"]):
            texts.append(b.L({"known": "chart.count_unknown", "exporter": "chart.exporter_no_centre"}.get(
                r["role"], "chart.not_in_sources")))
        else:
            texts.append(f"{r['per_10m']:.2f}")
        hl.append(r["code"] == b.code)
        hatched.append(r["count_basis"] == "stated")
    ref = [(b.L("chart.china_benchmark"), bench["official"].value)] if bench else []
    legend = [("solid", b.L("chart.named_centres")), ("hatched", b.L("chart.stated_total"))]
    chart = charts.hbar(labels, values, value_texts=texts, xlabel=b.L("chart.per_10m_axis"), highlight=hl,
                        hatched=hatched, legend=legend, reference=ref)
    per = next((f for f in findings(b) if f.key == "per_head"), None)
    title = b.say(THEME, "per_head_title", p=per.params) if per else b.L("chart.per_head_title_none" if b.role == "known" else "chart.per_head_title_unreported", name=b.name,
                                                                          region=b.region())
    ids = reg["stated_source"].dropna().tolist() + b.source_ids_of(
        b.ds.counted_centers[b.ds.counted_centers["province_code"].isin(reg["code"])])
    if bench:
        ids.append(bench["total"].rows[0].source_id)
    return common.figure_html(b, chart, title, common.sources_line(b, ids, population=True))
