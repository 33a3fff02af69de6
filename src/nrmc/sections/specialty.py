"""Specialties: what the programme builds, and what is missing against the national plan.

The honest count (issue 18, point 6). A planned specialty — one of the 12 of the 2022 expansion
plan, plus traditional Chinese medicine, a category of its own in the plan — counts as *present*
only when a named centre has it as its own specialty and a source states it (specialty_basis
`stated`). Three other kinds of evidence are shown apart and never added into that count:
- *inferred*: a named centre whose specialty is inferred from its lead hospital;
- *focus*: a source names the specialty as the focus of a centre of another specialty
  (Guizhou: 恶性肿瘤、心脑血管病 for a general and a TCM centre);
- *unnamed*: a source counts a centre of the specialty in the province but names none.

Findings: a province's honest count and what is shown apart; the planned specialties its sources
show no centre of at all (with what to watch, the briefing's own reading); its mix against the
national mix (only with enough named centres to say something). An exporter (Beijing, Shanghai):
the specialties of the centres its hospitals lead elsewhere. Nationally: the honest count, the
mix, the planned specialties no named centre has. A province whose centres are not named, or
that no source mentions, gets one sentence.

Display: a host province gets a checklist table of the 13 planned specialties, the same in every
briefing (with 1–10 centres per province, bars by specialty would mostly be bars of 1); the
national overview and an exporter with enough centres get a bar chart of the mix.
"""
from __future__ import annotations

import pandas as pd

from nrmc import charts, coverage
from nrmc.data import records
from nrmc.findings import Finding, Num, Row, When, count, figure
from nrmc.sections import common
from nrmc.sections.common import centre_name
from nrmc.sections.base import Section, render
from nrmc.sections.text import say_all_with_watch

THEME = "specialty"
PLAN_SOURCE = "R14"
MIX_MIN = 6      # a province's mix is compared with the nation's only from this many named centres
LEAN = 1.5       # ... and only where a share is at least this many times (or at most 1/LEAN of) the national one
CHART_MIN = 4    # an exporter's mix is charted from this many centres on
GENERAL = "comprehensive"
KINDS = ("stated", "inferred", "focus", "unnamed", "none")  # evidence for a planned specialty, strongest first


# ---------------------------------------------------------------------------------------------
# names
def spec_name(b, code: str) -> str:
    """A specialty as a sentence uses it: the data's Chinese name; in English a lower-case,
    British-spelt noun phrase ('paediatrics', 'general care')."""
    return b.specialty(code) if b.zh else b.L(f"specialty.name.{code}")


def spec_label(b, code: str) -> str:
    """A specialty as a table or chart label (capitalised in English)."""
    s = spec_name(b, code)
    return s if b.zh else s[:1].upper() + s[1:]


# ---------------------------------------------------------------------------------------------
# evidence
def _cached(b, key: str, make):
    k = f"specialty:{key}"
    if k not in b._cache:
        b._cache[k] = make()
    return b._cache[k]


def _source(b, sid: str) -> tuple[str, str]:
    src = _cached(b, "sources", lambda: {r["source_id"]: (r["date"] or "", r["date_basis"] or "stated")
                                         for r in b.ds.sources.pipe(records)})
    return src[sid]


def plan_rows(b) -> list[Row]:
    """The 13 planned specialties (the plan's 12 and TCM), in the plan's order, as evidence."""
    def make():
        sp = b.ds.specialties
        sp = sp[sp["plan_target"] | (sp["category"] == "tcm")].sort_values("sort_order")
        date, basis = _source(b, PLAN_SOURCE)
        return [Row("plan", f"specialties.csv {r['code']}", PLAN_SOURCE, date, basis, "", r["name_zh"], r["name_en"])
                for r in sp.pipe(records)]
    return list(_cached(b, "plan", make))


def spec_row(b, c: dict, code: str, kind: str) -> Row:
    """A named centre's specialty (kind 'stated' or 'inferred') or stated focus ('focus') as
    evidence. A stated specialty or focus rests on the latest source that names the centre (the
    first is a list of names and hosts); an inferred one on the first source that names it."""
    ids = [i for i in str(c["source_ids"]).split(";") if i]
    sid = ids[0] if kind == "inferred" else ids[-1]
    date, basis = _source(b, sid)
    what = {"stated": ("专科（来源写明）", "specialty (stated)"), "inferred": ("专科（按输出医院推断）", "specialty (inferred)"),
            "focus": ("来源所述重点", "stated focus")}[kind]
    names = _cached(b, "spec_names", lambda: {r["code"]: (r["name_zh"], r["name_en"]) for r in b.ds.specialties.pipe(records)})
    ref = f"centers.csv {c['center_id']} {kind} {code}"
    if not (b.national or b.code in (c["province_code"], c["output_province_code"])):
        # a province's briefing never reads other provinces' centres' names (nrmc.inputs): it
        # quotes only that a source gives the specialty, so it reads the same from all the data
        return Row("specialty", ref, sid, date, basis, "", "", "")
    return Row("specialty", ref, sid, date, basis, c["name_zh"],
               f"{c['name_zh']}：{what[0]} {names[code][0]}", f"{c.get('name_en') or c['name_zh']}: {what[1]} {names[code][1]}")


def unnamed_rows(b, code: str | None) -> dict[str, Row]:
    """A source's count of the province's centres by specialty (metrics breakdown specialty=…)."""
    if code is None:
        return {}
    m = b.ds.metrics
    m = m[(m["metric"] == coverage.COUNT_METRIC) & (m["subject_id"] == code) & m["breakdown"].str.startswith("specialty=")]
    out = {}
    for r in m.sort_values("as_of_dt").pipe(records):
        out[r["breakdown"].split("=", 1)[1]] = common.metric_from_metrics(b, r)
    return out


def checklist(b, centres: pd.DataFrame, unnamed: dict[str, Row] | None = None) -> list[dict]:
    """For each of the 13 planned specialties, the evidence that `centres` have it, by kind:
    `stated` and `inferred` (centres of that specialty), `focus` (centres of another specialty
    with it as a stated focus), `unnamed` (a source's count beyond the centres stated to have it),
    and `kind`, the strongest of them ('none' when there is none)."""
    unnamed = unnamed or {}
    recs = centres.pipe(records)
    out = []
    for plan in plan_rows(b):
        code = plan.ref.split()[-1]
        stated = [c for c in recs if c["specialty"] == code and c["specialty_basis"] == "stated"]
        inferred = [c for c in recs if c["specialty"] == code and c["specialty_basis"] != "stated"]
        focus = [c for c in recs if c["specialty"] != code and code in str(c.get("focus_specialties") or "").split(";")]
        u = unnamed.get(code)
        u = u if u is not None and u.value > len(stated) else None
        kind = next(k for k, v in zip(KINDS, (stated, inferred, focus, u, True)) if v)
        out.append({"code": code, "plan": plan, "stated": stated, "inferred": inferred, "focus": focus, "unnamed": u,
                    "kind": kind})
    return out


def _one_per_specialty(b, items: list[dict], kind: str) -> list[Row]:
    """One evidence row per specialty (its first centre of that kind): counts of specialties."""
    return [spec_row(b, it[kind][0], it["code"], "focus" if kind == "focus" else kind) for it in items]


def _centre_rows(b, centres: pd.DataFrame) -> list[Row]:
    """Each centre as evidence (common.named_rows, made once per briefing)."""
    rows = _cached(b, "named_rows", lambda: {r.ref.split()[-1]: r for r in common.named_rows(b, b.ds.counted_centers)})
    return [rows[cid] for cid in centres["center_id"]]


# ---------------------------------------------------------------------------------------------
# findings
def findings(b) -> list[Finding]:
    if THEME not in b._cache:
        if b.national:
            out = _national(b)
        elif b.role == "host":
            out = _host(b)
        elif b.role == "exporter":
            out = _exporter(b)
        else:
            out = [_not_known(b)]
        b._cache[THEME] = out
    return b._cache[THEME]


def _plan_count(b) -> Num:
    return count(plan_rows(b))


def _host(b) -> list[Finding]:
    items = checklist(b, b.centres, unnamed_rows(b, b.code))
    b._cache["specialty_checklist"] = items
    out = [_present(b, items), ]
    gaps = _gaps(b, items)
    if gaps:
        out.append(gaps)
    mix = _mix(b)
    if mix:
        out.append(mix)
    return out


def _present(b, items: list[dict]) -> Finding:
    """The honest count, and what is shown apart."""
    present = [it for it in items if it["stated"]]
    inferred = [it for it in items if not it["stated"] and it["inferred"]]
    focus = [it for it in items if not it["stated"] and not it["inferred"] and it["focus"]]
    # a source's count shown in words only where no named centre has the specialty (the table shows all)
    unnamed = [it for it in items if not it["stated"] and not it["inferred"] and it["unnamed"] is not None]
    focus_centres = list(dict.fromkeys(centre_name(b, c) for it in focus for c in it["focus"]))
    focus_rows = [spec_row(b, c, it["code"], "focus") for it in focus for c in it["focus"]]
    focus_n = count([Row("centre", f"centers.csv {r.ref.split()[1]}", r.source_id, r.date, r.basis, r.quote, r.what_zh,
                         r.what_en) for r in focus_rows]) if focus_rows else None
    p = {"name": b.name, "planned": _plan_count(b), "named": count(_centre_rows(b, b.centres)),
         **_plan_split(b, present),
         # each centre with a stated focus outside what is counted, named with its focus specialties
         "focus_by_centre": _focus_by_centre(b, focus),
         "present": count(_one_per_specialty(b, present, "stated")) if present else None,  # a zero has no evidence
         "present_names": [spec_name(b, it["code"]) for it in present],
         "inferred": count(_one_per_specialty(b, inferred, "inferred")) if inferred else None,
         "inferred_names": [spec_name(b, it["code"]) for it in inferred],
         "focus": count(_one_per_specialty(b, focus, "focus")) if focus else None,
         "focus_names": [spec_name(b, it["code"]) for it in focus], "focus_centres": focus_centres,
         "focus_n": focus_n,
         "unnamed": [{"spec": spec_name(b, it["code"]), "n": figure(it["unnamed"]),
                      "also_inferred": bool(it["inferred"])} for it in unnamed],
         "own": list(dict.fromkeys(spec_name(b, x) for x in b.centres["specialty"]))}
    rows = [r for it in items for r in ([spec_row(b, c, it["code"], "stated") for c in it["stated"]]
                                       + [spec_row(b, c, it["code"], "inferred") for c in it["inferred"]]
                                       + [spec_row(b, c, it["code"], "focus") for c in it["focus"]])]
    return Finding("present", THEME, "present", p, 50, rows=rows)


def _plan_split(b, present: list[dict]) -> dict:
    """The plan as it is worded: 12 key specialties, and TCM apart. `planned12` counts the 12,
    `present12` those of them a named centre has as its stated specialty, `tcm_present` whether a
    named TCM centre is among the present ones."""
    clinical = [r for r in plan_rows(b) if r.ref.split()[-1] != "tcm"]
    got = [it for it in present if it["code"] != "tcm"]
    return {"planned12": count(clinical),
            "present12": count(_one_per_specialty(b, got, "stated")) if got else None,
            "present12_names": [spec_name(b, it["code"]) for it in got],
            "tcm_present": any(it["code"] == "tcm" for it in present)}


def _focus_by_centre(b, focus: list[dict]) -> list[dict]:
    """[{centre, specs}] for the centres whose stated focus is shown apart (in the plan's order)."""
    out: dict[str, dict] = {}
    for it in focus:
        for c in it["focus"]:
            name = centre_name(b, c)
            out.setdefault(name, {"centre": name, "specs": []})["specs"].append(spec_name(b, it["code"]))
    return list(out.values())


def _gaps(b, items: list[dict]) -> Finding | None:
    """Planned specialties the province's sources show no centre of, of any kind."""
    gaps = [it for it in items if it["kind"] == "none"]
    if not gaps or len(gaps) == len(items):  # none at all: the count's own sentence says so
        return None
    nat = _national_checklist(b)
    nowhere = {it["code"] for it in nat if not it["stated"] and not it["inferred"]}
    p = {"name": b.name, "gaps": [spec_name(b, it["code"]) for it in gaps], "n": count([it["plan"] for it in gaps]),
         "all": len(gaps) == len(items), "planned": _plan_count(b),
         "nowhere": [spec_name(b, it["code"]) for it in gaps if it["code"] in nowhere]}
    return Finding("gaps", THEME, "gaps", p, 48, watch=True)


def _mix(b) -> Finding | None:
    """The province's mix against the nation's: only over enough named centres, and only where a
    share stands out (general care, or one specialty)."""
    mine = b.centres
    if len(mine) < MIX_MIN:
        return None
    nat = b.ds.counted_centers
    share = lambda n, d: n / d if d else 0.0  # noqa: E731
    g_here, g_nat = int((mine["specialty"] == GENERAL).sum()), int((nat["specialty"] == GENERAL).sum())
    ratio_g = share(g_here, len(mine)) / share(g_nat, len(nat)) if g_nat else 1.0
    # the specialty (not general care) most over-represented, with at least 2 centres
    best = None
    for code, n in mine[mine["specialty"] != GENERAL].groupby("specialty").size().items():
        n_nat = int((nat["specialty"] == code).sum())
        ratio = share(n, len(mine)) / share(n_nat, len(nat))
        if n >= 2 and ratio >= LEAN and (best is None or ratio > best[2]):
            best = (code, int(n), ratio)
    lean = "specialist" if ratio_g <= 1 / LEAN else "general" if ratio_g >= LEAN else "specialty" if best else None
    if lean is None:
        return None
    nat_rows = _centre_rows(b, nat)
    p = {"name": b.name, "lean": lean, "named": count(_centre_rows(b, mine)), "nat_named": count(nat_rows),
         "general": count(_centre_rows(b, mine[mine["specialty"] == GENERAL])) if g_here else None,
         "nat_general": count(_centre_rows(b, nat[nat["specialty"] == GENERAL])),
         "inferred": count(_centre_rows(b, mine[mine["specialty_basis"] != "stated"])) if (mine["specialty_basis"] != "stated").any() else None,
         "spec": None}
    if best:
        code = best[0]
        p["spec"] = {"name": spec_name(b, code), "n": count(_centre_rows(b, mine[mine["specialty"] == code])),
                     "nat": count(_centre_rows(b, nat[nat["specialty"] == code]))}
    # a source's own split (Anhui: 8 specialist projects and 1 general of 9) beats the named centres
    m = b.ds.metrics
    m = m[(m["metric"] == coverage.COUNT_METRIC) & (m["subject_id"] == b.code)]
    spl = m[m["breakdown"] == "category=specialist"]
    gen = m[m["breakdown"] == f"specialty={GENERAL}"]
    tot = common.stated_count_row(b, b.code)
    p["stated"] = None
    if lean == "specialist" and len(spl) and len(gen) and tot is not None:
        p["stated"] = {"total": figure(tot), "specialist": figure(common.metric_from_metrics(b, spl.sort_values("as_of_dt").iloc[-1])),
                       "general": figure(common.metric_from_metrics(b, gen.sort_values("as_of_dt").iloc[-1]))}
    return Finding("mix", THEME, "mix", p, 35)


def _leaders(b, centres: pd.DataFrame, k: int = 3) -> list[dict]:
    """The k most common specialties of `centres` (ties broken by the plan's order)."""
    order = b.ds.specialties.set_index("code")["sort_order"]
    g = centres.groupby("specialty").size().rename("n").reset_index()
    g["o"] = g["specialty"].map(order)
    g = g.sort_values(["n", "o"], ascending=[False, True]).head(k)
    return [{"spec": spec_name(b, r["specialty"]), "code": r["specialty"],
             "n": count(_centre_rows(b, centres[centres["specialty"] == r["specialty"]]))} for r in g.pipe(records)]


def _stated_parts(b, centres: pd.DataFrame) -> list[dict]:
    st = centres[centres["specialty_basis"] == "stated"]
    return [{"spec": x["spec"], "n": x["n"]} for x in _leaders(b, st, k=99)]


def _exporter(b) -> list[Finding]:
    ex = b.exported
    if ex.empty:
        return [_not_known(b)]
    stated = ex[ex["specialty_basis"] == "stated"]
    p = {"name": b.name, "n": count(_centre_rows(b, ex)), "leaders": _leaders(b, ex),
         "provinces": Num(ex["province_code"].nunique(), "count", tuple(_centre_rows(b, ex.drop_duplicates("province_code")))),
         "stated": count(_centre_rows(b, stated)) if len(stated) else None, "stated_parts": _stated_parts(b, ex)}
    items = checklist(b, ex)
    b._cache["specialty_checklist"] = items
    present = [it for it in items if it["stated"]]
    p["present"] = count(_one_per_specialty(b, present, "stated")) if present else None
    p["present_names"] = [spec_name(b, it["code"]) for it in present]
    p.update(_plan_split(b, present))
    p["planned"] = _plan_count(b)
    return [Finding("exported", THEME, "exported", p, 50)]


def _national_checklist(b) -> list[dict]:
    return _cached(b, "national_checklist", lambda: checklist(b, b.ds.counted_centers))


def _national_present(b) -> dict:
    items = _national_checklist(b)
    present = [it for it in items if it["stated"]]
    inferred = [it for it in items if not it["stated"] and it["inferred"]]
    return {"items": items, **_plan_split(b, present), "present": count(_one_per_specialty(b, present, "stated")),
            "present_names": [spec_name(b, it["code"]) for it in present],
            "inferred": count(_one_per_specialty(b, inferred, "inferred")) if inferred else None,
            "inferred_names": [spec_name(b, it["code"]) for it in inferred], "planned": _plan_count(b)}


def _national(b) -> list[Finding]:
    c = b.ds.counted_centers
    nat = _national_present(b)
    items = nat.pop("items")
    b._cache["specialty_checklist"] = items
    out = [Finding("national_present", THEME, "national_present", nat, 55)]
    none = [it for it in items if not it["stated"] and not it["inferred"]]
    if none:
        only_focus = [it for it in none if it["focus"]]
        empty = [it for it in none if not it["focus"]]
        p = {"empty": [spec_name(b, it["code"]) for it in empty],
             "focus": [{"spec": spec_name(b, it["code"]),
                        "n": count([spec_row(b, x, it["code"], "focus") for x in it["focus"]])} for it in only_focus]}
        out.append(Finding("national_gaps", THEME, "national_gaps", p, 50, rows=[it["plan"] for it in none], watch=True))
    stated = c[c["specialty_basis"] == "stated"]
    out.append(Finding("national_mix", THEME, "national_mix",
                       {"named": count(_centre_rows(b, c)), "leaders": _leaders(b, c),
                        "stated": count(_centre_rows(b, stated)) if len(stated) else None}, 45))
    return out


def _not_known(b) -> Finding:
    """A province whose centres are not named ('known'), or that no source mentions."""
    nat = _national_present(b)
    p = {"name": b.name, "role": b.role, "planned": nat["planned"], "nat_present": nat["present"],
         "planned12": nat["planned12"], "nat_present12": nat["present12"]}
    return Finding("not_known", THEME, "not_known", p, 15 if b.role == "known" else 8)


# ---------------------------------------------------------------------------------------------
# the section
def section(b) -> Section:
    fs = findings(b)
    sentences = say_all_with_watch(b, fs)
    chart_html = table_html = None
    data = pd.DataFrame()
    items = b._cache.get("specialty_checklist")
    if b.role == "host" and items and any(it["kind"] != "none" for it in items):  # not a table of dashes
        data = checklist_frame(b, items)
        table_html = checklist_table(b, items)
    elif b.national or (b.role == "exporter" and len(b.exported)):
        centres = b.ds.counted_centers if b.national else b.exported
        data = mix_frame(b, centres, with_gaps=b.national)
        if len(centres) >= CHART_MIN and data["n"].nunique() > 1:
            lead = next(f for f in fs if f.name in ("national_mix", "exported"))
            chart_html = mix_chart(b, data, centres, lead)
    return Section(THEME, b.L("section.specialty"), b.lang, fs, sentences, chart_html=chart_html, table_html=table_html,
                   data=data)


# ---- the checklist (host provinces) -----------------------------------------------------------
def checklist_frame(b, items: list[dict]) -> pd.DataFrame:
    """One row per planned specialty: whether it counts, and every other piece of evidence."""
    rows = []
    for it in items:
        rows.append({"code": it["code"], "specialty": spec_label(b, it["code"]), "counted": bool(it["stated"]),
                     "kind": it["kind"],
                     "stated": ";".join(centre_name(b, c) for c in it["stated"]),
                     "inferred": ";".join(centre_name(b, c) for c in it["inferred"]),
                     "focus_of": ";".join(centre_name(b, c) for c in it["focus"]),
                     "unnamed_count": it["unnamed"].value if it["unnamed"] is not None else None,
                     "unnamed_source": it["unnamed"].source_id if it["unnamed"] is not None else ""})
    return pd.DataFrame(rows)


def checklist_table(b, items: list[dict]):
    """The 13 planned specialties, the same table in every host briefing: what counts (a named
    centre with the specialty stated by a source) and, apart, what does not."""
    sep = b.L("specialty.table.sep")
    rows = []
    ids = [PLAN_SOURCE]
    for it in items:
        counted = b.listing(centre_name(b, c) for c in it["stated"]) if it["stated"] else ""
        other = [b.L("specialty.table.inferred", centre=centre_name(b, c)) for c in it["inferred"]]
        if it["focus"]:
            other.append(b.L("specialty.table.focus", centre=b.listing(centre_name(b, c) for c in it["focus"])))
        if it["unnamed"] is not None:
            other.append(b.L("specialty.table.unnamed", n=b.fig(figure(it["unnamed"]))))
            ids.append(it["unnamed"].source_id)
        ids += [spec_row(b, c, it["code"], k).source_id for k in ("stated", "inferred", "focus") for c in it[k]]
        other_cell = sep.join(other)  # a cell begins with a capital ("Stated focus of …; a source counts 1, …")
        rows.append({"cells": [spec_label(b, it["code"]), counted, other_cell[:1].upper() + other_cell[1:]],
                     "mark": bool(it["stated"])})
    n = sum(1 for it in items if it["stated"])
    form = "none" if n == 0 else b.plural(n)
    caption = b.L(f"specialty.table.caption_{form}", name=b.name, n=n, total=len(items))
    head = [b.L("specialty.table.col_spec"), b.L("specialty.table.col_counted"), b.L("specialty.table.col_other")]
    year = b.d(When(*_source(b, PLAN_SOURCE)), record=False)
    n_plan = int(b.ds.specialties["plan_target"].sum())  # the plan's own (TCM is a category of its own)
    note = b.L("specialty.table.note", year=year, n=n_plan) + " " + common.sources_line(b, ids)
    return render("data_table.html.j2", caption=caption, head=head, rows=rows, note=note, cls="specialty-checklist",
                  check=b.L("specialty.table.check"))


# ---- the mix chart (national, exporters) ------------------------------------------------------
def mix_frame(b, centres: pd.DataFrame, with_gaps: bool) -> pd.DataFrame:
    """Centres by specialty: every specialty present, and (with_gaps) every planned one."""
    sp = b.ds.specialties.set_index("code")
    planned = [r.ref.split()[-1] for r in plan_rows(b)]
    codes = list(dict.fromkeys(list(centres["specialty"].unique()) + (planned if with_gaps else [])))
    rows = []
    foc = coverage.stated_focus(centres)
    for code in codes:
        x = centres[centres["specialty"] == code]
        rows.append({"code": code, "specialty": spec_label(b, code), "planned": code in planned, "n": len(x),
                     "stated": int((x["specialty_basis"] == "stated").sum()),
                     "inferred": int((x["specialty_basis"] != "stated").sum()),
                     "focus_of": int((foc["focus"] == code).sum()), "order": int(sp.loc[code, "sort_order"])})
    df = pd.DataFrame(rows).sort_values(["n", "order"], ascending=[False, True]).drop(columns="order")
    return df.reset_index(drop=True)


def mix_chart(b, data: pd.DataFrame, centres: pd.DataFrame, lead: Finding):
    labels, values, texts, hatched = [], [], [], []
    for r in data.pipe(records):
        labels.append(r["specialty"])
        if r["n"] == 0:
            values.append(float("nan"))
            texts.append(b.L("specialty.chart.focus_only", n=r["focus_of"]) if r["focus_of"] else b.L("specialty.chart.none"))
        else:
            values.append(float(r["n"]))
            key = "value_all_stated" if r["stated"] == r["n"] else "value_stated"
            texts.append(b.L(f"specialty.chart.{key}", n=r["n"], s=r["stated"]) if r["stated"] else str(r["n"]))
        hatched.append(r["n"] > 0 and r["stated"] * 2 < r["n"])  # most of the bar is inferred
    legend = [("solid", b.L("specialty.chart.legend_stated")), ("hatched", b.L("specialty.chart.legend_inferred"))]
    chart = charts.hbar(labels, values, value_texts=texts, xlabel=b.L("specialty.chart.axis"), hatched=hatched,
                        legend=legend)
    title = b.say(THEME, lead.name + "_title", p=lead.params)
    ids = b.source_ids_of(centres) + [PLAN_SOURCE]
    return common.figure_html(b, chart, title, common.sources_line(b, ids))
