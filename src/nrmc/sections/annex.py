"""The annex: the evidence of the key messages, every figure by theme, the centres in full, what
is not known, flagged figures, method, and the sources (numbered as the briefing cites them, with
their kind). It comes last: it lists what the sections before it cited."""
from __future__ import annotations

import pandas as pd
from markupsafe import Markup

from nrmc import i18n, performance
from nrmc.data import records
from nrmc.labels import fmt_breakdown, fmt_period
from nrmc.safety import safe_url
from nrmc.sections.base import Block, render

KIND_ORDER = ("official", "state_media", "media", "copy", "seed", "reference")


def evidence_rows(b) -> list[dict]:
    """Every number of the key messages with its evidence, by source (what a printed link points
    to): the source in words, how many rows it gives, their dates, up to three quotes."""
    out = []
    for e in b.evidence:
        rows = []
        for g in b.evidence_groups(e.rows):
            ds = sorted(g["dates"])
            when = (i18n.qualified_date(ds[0], g["basis"], b.lang, short=True) if len(ds) == 1 else
                    b.L("annex.date_range", first=i18n.date_short(ds[0], b.lang), last=i18n.date_short(ds[-1], b.lang))
                    if ds else "—")
            sid, quotes, whats = g["source_id"], g["quotes"], g["whats"]
            rows.append({"source": g["source"], "ref": b.cit.number(sid) if sid else "", "date": when, "n": g["n"],
                         "quotes": quotes[:3],
                         "more": max(0, len(quotes) - 3) if quotes else max(0, len(whats) - 3),
                         "what": b.L("list_sep").join(whats[:3])})
        out.append({"id": e.ident, "text": e.text, "rows": rows, "how": e.how})
    return out


def figures_by_theme(b, limit: int = 400) -> list[dict]:
    figs = b.figures
    if figs.empty:
        return []
    sp = {x["code"]: (x["name_zh"], x["name_en"]) for x in b.ds.specialties.pipe(records)}
    figs = figs.assign(theme=figs["theme"].where(figs["kind"] != "provincial_centre", "provincial"))
    out = []
    for theme, (zh, en) in performance.THEMES.items():
        f = figs[figs["theme"] == theme]
        if f.empty:
            continue
        shown = f if len(f) <= limit else f.sort_values("as_of_dt").groupby(["subject_id", "metric", "breakdown"]).tail(1).head(limit)
        rows = []
        for r in shown.pipe(records):
            label, whole = (r["label_zh"], False) if b.zh else measure_en(r)
            if r["breakdown"] and not whole:
                part = fmt_breakdown(r["breakdown"], b.lang, sp, b._cities)
                label += f"（{part}）" if b.zh else f" ({part})"
            rows.append({"subject": subject(b, r), "measure": label, "value": r["display_zh"] if b.zh else occasions(r["display_en"]),
                         "date": i18n.qualified_date(r["as_of"], r["date_basis"], b.lang, short=True),
                         "period": fmt_period(r["period"], b.lang), "refs": b.refs(r["source_id"]),
                         "flag": r["flag_zh"] if b.zh else r["flag_en"]})
        out.append({"title": (zh if b.zh else en), "n": len(f), "shown": len(shown), "rows": rows})
    return out


def subject(b, r) -> str:
    if r["kind"] == "centre":
        return b.centre(b.centres_by_id[r["subject_id"]], short=True, spell=False)
    if r["kind"] == "province":
        return b.L("annex.province_total", name=b.pname(r["subject_id"]))
    if r["kind"] == "national":
        return b.L("china")
    return r["name_zh"] if b.zh else r["name_en"]


def centres_full(b, c: pd.DataFrame | None = None) -> list[dict]:
    """Every centre of the briefing in full (or those of `c`: the centres its hospitals lead elsewhere)."""
    if c is None:
        c = b.ds.counted_centers if b.national else pd.concat([b.centres, b.planned_centres], ignore_index=True)
    rows = []
    for r in c.pipe(records):
        life = b.life[r["center_id"]]
        rows.append({"province": b.pname(r["province_code"]), "name": b.centre(r), "name_zh": r["name_zh"],
                     "corrected": r.get("name_zh_corrected") or "",
                     "host": b.hospital(r["host_hospital_zh"]) or "—",
                     "lead": b.hospital(r["output_hospital_zh"]), "lead_province": b.pname(r["output_province_code"]),
                     "specialty": b.specialty(r["specialty"]), "inferred": r["specialty_basis"] == "inferred",
                     "stages": [stage_words(b, e) for e in life.events], "planned": r["status"] == "planned",
                     "doubtful": bool(r["flag"]), "refs": b.refs(r["source_ids"], *life.sources())})
    return rows


def stage_words(b, e) -> str:
    from nrmc.sections.summary import stage_text

    return stage_text(b, e)


def flagged(b) -> list[dict]:
    out = []
    for r in b.centres.pipe(records) if len(b.centres) else []:
        if r["flag"]:
            out.append({"what": b.centre(r), "value": b.L("annex.doubtful_name"),
                        "reason": r["flag_reason_zh"] if b.zh else straight(r["flag_reason_en"]), "refs": b.refs(r["source_ids"])})
    for r in b.figures[b.figures["flag"] != ""].pipe(records):
        out.append({"what": f"{subject(b, r)} · {r['label_zh'] if b.zh else measure_en(r)[0]}",
                    "value": f"{r['display_zh'] if b.zh else r['display_en']}（{r['flag_zh']}）" if b.zh
                    else f"{occasions(r['display_en'])} ({r['flag_en']})",
                    "reason": r["flag_reason_zh"] if b.zh else straight(r["flag_reason_en"]), "refs": b.refs(r["source_id"])})
    return out


def measure_en(r) -> tuple[str, bool]:
    """A measure's English name in the annex: the running text's words for it (labels/en/performance.toml,
    one name per measure: "Specialist departments set up or strengthened", not the data's "Specialties
    built"), else the data's label; and whether those words already name the breakdown."""
    nouns = i18n.labels("en").get("performance", {}).get("noun", {})
    own = nouns.get(r["metric"] + "__" + r["breakdown"].replace("=", "_")) if r["breakdown"] else None
    entry = own or nouns.get(r["metric"])
    if entry is None:
        return r["label_en"], False
    text = entry["noun"] if isinstance(entry, dict) else entry
    text = text[:-3] if text.endswith(" of") else text
    text = text.removeprefix("a ").removeprefix("an ")
    return text[:1].upper() + text[1:], own is not None


def occasions(text: str) -> str:
    """An English count of 次 beside the measure that names it: "588", not "588 times" (学术交流588次
    word for word: the row's measure already says "Academic exchanges")."""
    import re

    return re.sub(r" times?$", "", text or "")


def straight(text: str) -> str:
    """English prose of the data (a flag's reason) with the edition's one apostrophe, the straight
    one ("Guizhou's", not "Guizhou’s"): only a ’ between two letters, so closing quotes stay."""
    import re

    return re.sub(r"(?<=\w)’(?=\w)", "'", text or "")


def unknowns(b) -> list[dict]:
    if b.national or b.centres.empty:
        return []
    u = performance.unknowns(b.ds, b.code, lang=b.lang)
    return [{"centre": b.centre(b.centres_by_id[c], short=True, spell=False), "known": f"{k}/{o}", "missing": m or "—"}
            for c, k, o, m in zip(u["center_id"], u["known"], u["of"], u["missing"])]


def sources(b) -> list[dict]:
    out = []
    for n, sid in b.cit.used():
        r = b.sources[sid]
        out.append({"n": n, "publisher": r["publisher"] if b.zh else (r.get("publisher_en") or r["publisher"]),
                    "title": r["title"] if b.zh else (r.get("title_en") or r["title"]), "title_zh": r["title"],
                    "date": i18n.qualified_date(r["date"], r["date_basis"] or "stated", b.lang) if r["date"] else b.L("annex.undated"),
                    "kind": b.L(f"source_kind.{r['kind']}") if r.get("kind") else "",
                    "url": safe_url(r["url"]) or "", "url_text": r["url"] if not safe_url(r["url"]) else "",
                    "read_on": i18n.date(r["read_on"], b.lang) if r.get("read_on") else ""})
    return out


def annex(b) -> Block:
    """The annex (call it last: it lists what the sections before it cited)."""
    ev = evidence_rows(b)
    themes = figures_by_theme(b)
    full = centres_full(b)
    # an exporter's centres elsewhere, all of them: its summary's table shows only some ("all in the annex")
    exp = centres_full(b, b.exported) if not b.national and len(b.exported) else []
    tables = [{"id": "annex-centres", "title": b.L("annex.centres"), "rows": full, "province": b.national},
              {"id": "annex-exported", "title": b.L("annex.centres_exported", name=b.name), "rows": exp, "province": True}]
    unk = unknowns(b)
    fl = flagged(b)
    # the method, then the sources: numbering is final only once everything above is rendered
    body = render("annex.html.j2", r=b, evidence=ev, themes=themes, centres=full, centre_tables=tables, unknowns=unk, flagged=fl,
                  method=method(b), sources_list=None, downloads={"xlsx": f"{b.slug}.xlsx", "csv": f"{b.slug}.csv"})
    src = render("annex_sources.html.j2", r=b, sources_list=sources(b))
    return Block(Markup(body) + Markup(src), "annex", "annex", b.lang, meta=b.meta())


def method(b) -> list[Markup]:
    keys = ["count", "per_head", "named", "stages", "kept", "sources"]
    if not b.national and ((b.figures["kind"] == "province").any()):
        keys.insert(3, "province_totals")
    return [b.say("annex", f"method_{k}", p={"pop_year": b.nat.pop_year}) for k in keys]
