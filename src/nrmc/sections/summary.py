"""The first two pages: the key messages, then the centres, the results and the caveats.

Page 1 is what a leader reads: one line on how current the data is, 3–5 numbered key messages
(each a bold finding and one sentence of context, its numbers opening their evidence), then the
key figures. The messages are the findings of every section ranked by salience: the sources' own
headline claims first (a rank, "全国最大"), then the scope's standing among provinces, its largest
dated results, its gaps against the plan. Page 2 lists the centres (or, for an exporter, the
centres its hospitals lead), the dated results and one box of caveats.
"""
from __future__ import annotations

import dataclasses
import importlib
import importlib.util

import pandas as pd
from markupsafe import Markup

from nrmc import dates, i18n
from nrmc.data import records
from nrmc.findings import Finding
from nrmc.sections import common, glance
from nrmc.sections.base import Block, render
from nrmc.sections.text import claim, context, watch

# The sections whose findings compete for page 1, in the order they are shown after it.
THEMES = ("coverage", "exports", "performance", "specialty", "progress")
MAX_MESSAGES = 5
MIN_MESSAGES = 3
PER_THEME = 2  # at most this many messages from one section
EXPORTED_LISTED = 18  # page 2 lists all the centres an exporter's hospitals lead up to this many


def theme(name: str):
    """The module of a section (`nrmc.sections` exports each section's function under the same
    name, so the modules are imported by their full name)."""
    return importlib.import_module(f"nrmc.sections.{name}")


def theme_findings(b) -> dict[str, list[Finding]]:
    """The findings of every section the briefing shows (sections not installed yet are skipped)."""
    import nrmc.sections as shown

    out = {}
    for theme in THEMES:
        name = f"nrmc.sections.{theme}"
        if importlib.util.find_spec(name) is None or not shown.shows(b, theme):
            continue
        mod = importlib.import_module(name)
        out[theme] = list(mod.findings(b))
    return out


def ranked(b) -> list[Finding]:
    """All findings, the sources' headline claims first, then by salience (stable within a theme)."""
    fs = [f for theme in theme_findings(b).values() for f in theme]
    return sorted(fs, key=lambda f: (not f.headline, -f.salience))


def key_messages(b) -> list[Finding]:
    """The 3–5 findings page 1 leads with (at most two from one section, unless fewer are left)."""
    if "key_messages" in b._cache:
        return b._cache["key_messages"]
    picked: list[Finding] = []
    per: dict[str, int] = {}
    pool = ranked(b)
    limit = 3 if b.role == "unknown" else MAX_MESSAGES
    ranked_subjects: set[str] = set()  # one centre's second rank does not push out the province's results
    if b.role == "exporter":  # the national total is the key figures' tile, not a message of its own
        pool = [f for f in pool if not (f.theme == "coverage" and f.key in ("official", "spread"))]
    if any(f.theme == "progress" and f.key == "where_now" for f in pool):
        # a plain count with every centre named is the key figures' tile and the opening words of
        # where the centres stand ("湖北的3个具名中心中…"): not a message of its own
        pool = [f for f in pool if not (f.theme == "coverage" and f.key == "count" and _plain_count(f))]
    for f in pool:
        if len(picked) >= limit:
            break
        if per.get(f.theme, 0) >= (PER_THEME + 1 if b.role == "exporter" and f.theme == "exports" else PER_THEME):
            continue
        if f.key.startswith("rank:"):
            subject = f.key.split(":")[1]
            if subject in ranked_subjects:
                continue
            ranked_subjects.add(subject)
        if f.salience < 30 and len(picked) >= MIN_MESSAGES:
            continue
        picked.append(f)
        per[f.theme] = per.get(f.theme, 0) + 1
    for f in pool:  # fewer than three from the diverse pick: fill from the rest
        if len(picked) >= min(MIN_MESSAGES, limit):
            break
        if f not in picked:
            picked.append(f)
    b._cache["key_messages"] = picked
    return picked


def _plain_count(f: Finding) -> bool:
    """A province's count without a rank whose centres are all named."""
    p = f.params
    return not f.headline and p.get("rank") is None and p.get("named") is not None \
        and (p.get("stated") is None or p["stated"].value == p["named"].value)


# ---------------------------------------------------------------------------------------------
# page 1
def page_one_form(f: Finding) -> Finding:
    """A finding as page 1 says it: its shorter form where it has one (the support message gives two
    centres' figures, the section all of them)."""
    return dataclasses.replace(f, params={**f.params, **f.params["page1"]}) if f.params.get("page1") else f


def currency(b, messages: list[Finding]) -> Markup:
    """How current the data is: the newest and oldest dates the key messages rest on, and the
    date of the national total."""
    messages = [page_one_form(f) for f in messages]  # the dates page 1 prints, not the section's
    own = own_subjects(b)
    # the dates the messages print (not every row behind them: a stage a message only counts is
    # not a date the reader sees), of the scope's own facts; else the rows behind them
    ds = [(w.text, w.basis) for f in messages for w in f.whens()
          if w.text and any(r.kind in ("metric", "stage", "centre") and (own is None or r.subject in own) for r in w.rows)]
    if not ds:
        ds = [(r.date, r.basis) for f in messages for r in f.evidence()
              if r.kind in ("metric", "stage", "centre") and r.date and (own is None or r.subject in own)]
    win = dates.window(ds)
    # a message that prints no date (Shanghai's 16 centres elsewhere) still rests on dated rows: the
    # oldest of them bounds how old the data is (the newest stays a date page 1 prints)
    undated = dates.window([_row_date(b, r) for f in messages if not any(w.text for w in f.whens())
                            for r in f.evidence() if r.kind in ("metric", "stage", "centre") and r.date
                            and (own is None or r.subject in own)])
    if win and undated and dates.start(undated.first) < dates.start(win.first):
        win = dates.Window(undated.first, undated.first_basis, win.last, win.last_basis)
    if win:  # the header's data window spans the dates the briefing prints, these two among them
        b.record(win.first, win.first_basis)
        b.record(win.last, win.last_basis)
    bench = common.official_total_row(b)
    params = {"newest": i18n.qualified_date(win.last, win.last_basis, b.lang, in_range=True) if win else None,
              "oldest": i18n.qualified_date(win.first, win.first_basis, b.lang, in_range=True) if win and win.first != win.last else None,
              "total_date": i18n.qualified_date(bench.date, bench.basis, b.lang) if bench is not None else None,
              "as_of": i18n.date(b.as_of, b.lang) if b.as_of else None,
              "name": None if own is None else b.name}  # a province's own figures: a comparison's date is its own
    return b.say("summary", "currency", p=params)


def _row_date(b, r) -> tuple[str, str]:
    """The date a row's fact is known by, with its basis: a named centre is known by the date of
    the source that names it (Shanghai's 17 centres elsewhere: the list of 12 January 2023 and
    later reports), a figure or a stage by its own date (a publication date with that date's basis)."""
    src = b.sources.get(r.source_id) or {}
    if r.kind == "centre" and src.get("date"):
        return str(src["date"]), dates.effective_basis("publication", src.get("date_basis"))
    if r.basis in ("stated", "publication") and str(src.get("date", "")) == r.date:
        return r.date, dates.effective_basis("publication", src.get("date_basis"))
    return r.date, r.basis


def own_subjects(b) -> set[str] | None:
    """What the scope's own data is about (the province and its centres, or the centres its
    hospitals lead for an exporter); None nationally (everything is)."""
    if b.national:
        return None
    return {b.code, *b.centres["center_id"], *b.exported["center_id"]}


def message_items(b, messages: list[Finding]) -> list[dict]:
    out = []
    said: set[str] = set()  # a qualifier is said once ("the rank is as its source states it")
    for i, f in enumerate(messages, 1):
        # page 1 is what a reader forwards: "另有1项合计数见附录" is for the results section
        shown = dataclasses.replace(f, params={**f.params, "more": None}) \
            if f.theme == "performance" and f.params.get("more") else f
        if f.params.get("page1"):  # page 1's shorter form of a finding (two centres' figures, not all)
            f = shown = page_one_form(f)
        said_claim = claim(b, f, ev=True)  # in reading order: a name is spelled out in the claim
        ctx = context(b, shown, ev=True)
        plain = " ".join(str(ctx).split()) if ctx else ""
        if plain and plain in said:
            ctx = ""
        said.add(plain)
        out.append({"n": i, "claim": said_claim, "context": ctx,
                    "watch": watch(b, f), "refs": b.refs(*f.source_ids()), "key": f.key})
    return out


def tiles(b) -> list[dict]:
    """The key figures under the messages: a few numbers with what they are."""
    coverage = theme("coverage")
    st = b.status
    out = []
    bench = coverage.benchmark(b)
    if b.national:
        if bench:
            out.append({"value": b.fig(bench["total"]), "label": b.L("tile.official_total"),
                        "note": b.d(bench["total_when"], record=False)})
        out.append({"value": str(b.nat.named), "label": b.L("tile.named"), "note": b.L("tile.named_note")})
        out.append({"value": str(b.nat.provinces_known), "label": b.L("tile.provinces_with"), "note": b.L("tile.of_31")})
        if bench:
            out.append({"value": b.fig(bench["official"]), "label": b.L("tile.per_10m"), "note": b.L("tile.benchmark_note")})
        return out
    r = b.row
    if b.role == "host":
        n = int(r["count"])
        note = (b.L("tile.named_of", named=int(r["named"])) if r["count_basis"] == "stated" and r["stated"] != r["named"]
                else b.L("tile.all_named") if r["count_basis"] == "stated" else b.L("tile.named_only"))
        out.append({"value": str(n), "label": b.L("tile.centres"), "note": note})
        out.append({"value": f"{r['per_10m']:.2f}", "label": b.L("tile.per_10m"),
                    "note": b.L("tile.china_is", v=b.fig(bench["official"])) if bench else ""})
    elif b.role == "known":
        out.append({"value": "≥1", "label": b.L("tile.centres"), "note": b.L("tile.known_note")})
    else:
        out.append({"value": "—", "label": b.L("tile.centres"), "note": b.L("tile.none_known")})
    if len(b.exported):
        out.append({"value": str(len(b.exported)), "label": b.L("tile.exported"),
                    "note": b.L("tile.in_provinces" + ("_one" if b.plural(b.exported["province_code"].nunique()) == "one" else ""),
                                n=b.exported["province_code"].nunique())})
    if bench:
        out.append({"value": b.fig(bench["total"]), "label": b.L("tile.official_total"),
                    "note": b.d(bench["total_when"], record=False)})
    return out[:4]


def page_one(b) -> Block:
    messages = key_messages(b)
    html = render("key_messages.html.j2", title=b.L("section.key_messages"), currency=currency(b, messages),
                  items=message_items(b, messages), tiles=tiles(b), r=b)
    return Block(html, "summary-1", "key-messages", b.lang)


# ---------------------------------------------------------------------------------------------
# page 2
def centres_table(b) -> Markup | None:
    """The province's centres: specialty, lead hospital, stage with its date, time in operation."""
    c = b.centres
    if c.empty:
        return None
    rows = []
    for r in c.pipe(records):
        life = b.life[r["center_id"]]
        cur = life.current
        if cur:
            b.record(cur.date, cur.basis)
        age = life.age_months(b.ref_date)
        rows.append({
            "name": b.centre(r, short=True, spell=False), "doubtful": bool(r["flag"]),
            "city": b.city(r["city_zh"]) if r["city_zh"] else "—",
            "specialty": b.specialty(r["specialty"]), "inferred": r["specialty_basis"] == "inferred",
            "lead": b.hospital(r["output_hospital_zh"], short=True, spell=False), "lead_province": b.pname(r["output_province_code"]),
            "stage": stage_text(b, cur) if cur else "—",
            "age": age_text(b, life, cur, age),
            "refs": b.refs(*life.sources(), r["source_ids"]),
        })
    return render("centres_table.html.j2", rows=rows, r=b, caption=b.L("table.centres_caption", name=b.name, n=len(rows)),
                  ref_date=i18n.date(b.ref_text, b.lang),
                  show_age=any(x["age"] != "—" for x in rows), any_inferred=any(x["inferred"] for x in rows))


def age_text(b, life, cur, age) -> str:
    """Time in operation, counted from the first trial or opening; that date is printed beside it
    when the stage column shows another one (a duration is read against the date next to it)."""
    if age is None:
        return "—"
    text = i18n.duration(age, b.lang)
    first = life.first_operation
    if cur is not None and first is not None and (first.date, first.stage) != (cur.date, cur.stage):
        b.record(first.date, first.basis)
        return b.L("table.age_since", age=text, date=i18n.date_short(first.date, b.lang))
    return text


def stage_text(b, e) -> str:
    """A stage with its date, in the source's own words where it has them."""
    own = e.label_zh if b.zh else e.label_en
    word = own or b.L(f"stage.{e.stage}")
    if e.stage == "expected_open" and own:
        return own
    # a source's words that end in brackets ('phase 1 under construction (81% done)') take their date
    # after a comma in a language that has that form: no brackets back to back
    key = "stage.with_date_after_brackets" if word.endswith(")") and "with_date_after_brackets" in \
        i18n.labels(b.lang).get("stage", {}) else "stage.with_date"
    return b.L(key, stage=word, date=i18n.qualified_date(e.date, e.basis, b.lang, short=True))


def page_two(b) -> Block:
    """Centres (or the centres the province's hospitals lead), dated results, caveats."""
    parts: list[Markup] = [Markup(render("page_heading.html.j2", title=b.L("section.summary_2"), ident="summary-2"))]
    table = centres_table(b) if not b.national else glance.table(b)
    if table is not None:
        parts.append(table)
    if len(b.exported) and (b.role in ("exporter", "known", "unknown") or b.centres.empty) \
            and importlib.util.find_spec("nrmc.sections.exports") is not None:
        parts.append(theme("exports").table_html(b, limit=None if len(b.exported) <= EXPORTED_LISTED else 8))
    results = results_list(b)
    if results is not None:
        parts.append(results)
    parts.append(caveats_box(b))
    return Block(Markup("").join(parts), "summary-2", "summary-2", b.lang)


def results_list(b) -> Markup | None:
    """3–5 dated results (performance findings not already a key message)."""
    if importlib.util.find_spec("nrmc.sections.performance") is None:
        return None
    performance = theme("performance")
    used = {f.key for f in key_messages(b)}
    # a figure kept as published but flagged is for the annex and the performance section, not for
    # the page a reader forwards (the caveats box says how many there are)
    fs = [f for f in performance.findings(b)
          if f.key not in used and not any(r.flag for r in f.evidence())][:5]
    if not fs:
        return None
    items = [{"claim": claim(b, f), "context": context(b, f), "refs": b.refs(*f.source_ids())} for f in fs]
    return render("results_list.html.j2", title=b.L("section.results_short"), items=items, r=b)


def caveats_box(b) -> Markup:
    """One box of caveats: each said once."""
    items = []
    comp = common.official_total_row(b)
    p = {"name": b.name, "role": b.role, "named": b.nat.named, "total": b.fig(common_figure(comp)) if comp else None,
         "total_date": i18n.qualified_date(comp.date, comp.basis, b.lang) if comp else None}
    if not b.national and b.role == "host":
        r = b.row
        p.update({"count": int(r["count"]), "own_named": int(r["named"]), "stated": r["count_basis"] == "stated"})
        items.append(b.say("summary", "caveat_completeness", p=p))
    elif b.national:
        items.append(b.say("summary", "caveat_completeness_national", p=p))
    inferred = int((b.centres["specialty_basis"] == "inferred").sum()) if len(b.centres) else 0
    if inferred:
        focus = [b.centre(c, short=True) for c in b.centres.pipe(records) if str(c.get("focus_specialties") or "")]
        items.append(b.say("summary", "caveat_inferred", p={"n": inferred, "of": len(b.centres), "focus": focus}))
    if b.zh and _states_a_rank(b):  # the rank's caveat said once, here, not after each rank
        items.append(b.say("summary", "caveat_ranks", p={}))
    flagged = int((b.figures["flag"] != "").sum())
    if flagged:
        items.append(b.say("summary", "caveat_flagged", p={"n": flagged}))
    items.append(b.say("summary", "caveat_dates", p={}))
    return render("caveats.html.j2", title=b.L("caveats.title"), items=items)


def _states_a_rank(b) -> bool:
    """Whether pages 1–2 state a rank a source gives (a centre's or the province's)."""
    shown = [*key_messages(b)]
    if importlib.util.find_spec("nrmc.sections.performance") is not None and not b.national:
        shown += theme("performance").findings(b)
    return any(f.name.startswith("rank") or (f.theme == "coverage" and f.params.get("rank") is not None
                                               and f.name == "count") for f in shown)


def common_figure(row):
    from nrmc.findings import figure

    return figure(row)
