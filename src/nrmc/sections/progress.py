"""Progress: how far each centre has got — approval, trial or transitional operation, opening, full
operation — with the dates at the precision of their sources and the stage words as the sources
have them.

- A stage's words are the source's (stages.csv label_zh/label_en where the vocabulary would say
  more or less: 正式启动运营 is not 试运行; 过渡期运营 where the quote says so), never a stronger word.
- A date is printed at its row's precision and with its basis (不晚于 …); an expected stage is
  printed in the source's words ("预计2026年上半年建成开诊" is not a date).
- A duration is counted between the two dates printed beside it (never from another event).

Findings: how many of the scope's named centres are open, in trial operation, only approved or
only on a list (as of which dates); the first to open and the latest, with how long one took; an
expected opening to watch; a planned project that is not approved. Exporters: the same for the
centres their hospitals lead elsewhere. Nationally: the openings the sources report, over time.
Chart: the timeline (charts.lifecycle), one row per centre, centres whose rows would be drawn
alike merged into one row; only where the centres differ.
"""
from __future__ import annotations

import pandas as pd
from markupsafe import Markup

from nrmc import charts, dates, i18n
from nrmc.data import records
from nrmc.findings import Finding, Num, Row, When, count, stage_row
from nrmc.lifecycle import Event
from nrmc.sections import common
from nrmc.sections.common import centre_name
from nrmc.sections.base import Section, render
from nrmc.sections.text import say_all_with_watch

THEME = "progress"
# where a centre stands (its furthest stage), furthest first
CLASS_OF = {"operating": "operating", "open": "open", "trial": "trial", "built": "built",
            "under_construction": "building", "approved": "approved", "plaque": "approved", "listed": "listed",
            "agreement": "agreement"}
CLASSES = ("operating", "open", "trial", "built", "building", "approved", "listed", "agreement", "none")
OPEN = ("operating", "open")
DETAIL_MAX = 12  # the table lists centres one by one up to this many; beyond, ...
GROUP_MIN = 4    # ... this many centres not moved beyond a list or an approval that share stage word and date make one line
EXPECTED_TABLE_MIN = 4  # this many centres with an expected opening are a table, not a paragraph of sentences


# ---------------------------------------------------------------------------------------------
# words and evidence
def stage_word(b, e: Event) -> str:
    """A stage in the source's words: the row's own label where there is one; 过渡期运营 or 试运行
    as the quote says for trial operation; else the vocabulary's word."""
    own = e.label_zh if b.zh else e.label_en
    if own:
        return own
    if e.stage == "trial":
        return b.L("progress.stage.transitional" if "过渡期" in (e.quote or "") else "progress.stage.trial")
    if e.stage == "expected_open":
        return b.L("progress.stage.expected_open")
    return b.L(f"progress.stage.{e.stage}")


WORDS_MAX = 2  # a sentence names a class of centres in the sources' words up to this many; the table gives each


def class_words(b, cls: str, events: list[Event]) -> list[str]:
    """How a sentence names the stage a class of centres stands at: the sources' words (one or
    two of them: 过渡期运营或试运行); more distinct words (national: 试运营, 过渡院区建成投用 …) are
    the class's own word (试运行或过渡期运营), the table giving each centre's. In English a
    source's label begins lower-case within a sentence ('Trial operation, some …' → 'trial …')."""
    words = list(dict.fromkeys(stage_word(b, e) for e in events))
    if len(words) > WORDS_MAX and cls == "trial":
        return [b.L("progress.stage.trial_class")]
    if not b.zh:
        words = [i18n.lower_first(w) for w in words]
    return words


def srow(b, e: Event, c: dict) -> Row:
    return stage_row(e, c)


def swhen(b, e: Event, c: dict) -> When:
    return When(e.date, e.basis, (stage_row(e, c),))


def months(a: Event, z: Event) -> int | None:
    """Whole months from event a to event z, both with a stated date (else None)."""
    if a.basis != "stated" or z.basis != "stated":
        return None
    s, t = dates.start(a.date), dates.start(z.date)
    if s is None or t is None or t < s:
        return None
    return dates.months_between(s, t)


def duration(b, a: Event, z: Event, ca: dict) -> dict | None:
    """The time between two printed stage dates, as computed numbers with their evidence: whole
    `months`, and the `years` and the `rest` in months a sentence prints (None where 0)."""
    m = months(a, z)
    if m is None:
        return None
    rows = (stage_row(a, ca), stage_row(z, ca))

    def num(v, zh, en):
        return Num(float(v), "rate", rows, decimals=0, how_zh=f"{a.date}至{z.date}的{zh}", how_en=f"{en} from {a.date} to {z.date}")

    y, rest = divmod(m, 12)
    return {"months": num(m, "整月数", "whole months"), "years": num(y, "整年数", "whole years") if y else None,
            "rest": num(rest, "整年之外的月数", "months beyond whole years") if rest else None}


# ---------------------------------------------------------------------------------------------
# where each centre stands
def standing(b, centres: pd.DataFrame) -> list[dict]:
    """One record per centre: its furthest stage (`current`), class, expected stage, events."""
    out = []
    for c in centres.pipe(records):
        life = b.life.get(c["center_id"])
        cur = life.current if life else None
        out.append({"c": c, "life": life, "current": cur, "cls": CLASS_OF.get(cur.stage, "none") if cur else "none",
                    "expected": life.expected if life else None, "events": life.events if life else ()})
    return out


def _dates_of(b, recs: list[dict], total: int | None = None) -> dict:
    """The dates of the current stages of `recs` (of a class of `total` centres, all of them by
    default): the stated ones as a range (first, last), the others (by, about) one by one with how
    many centres share each."""
    total = len(recs) if total is None else total
    stated = [r for r in recs if r["current"].basis == "stated"]
    other = [r for r in recs if r["current"].basis != "stated"]
    out: dict = {"first": None, "last": None, "bounds": []}
    if stated:
        s = sorted(stated, key=lambda r: (dates.sort_key(r["current"].date), r["c"]["center_id"]))
        out["first"] = swhen(b, s[0]["current"], s[0]["c"])
        if s[-1]["current"].date != s[0]["current"].date:
            out["last"] = swhen(b, s[-1]["current"], s[-1]["c"])
    groups: dict = {}
    for r in other:
        groups.setdefault((r["current"].date, r["current"].basis), []).append(r)
    for (d, basis), rs in sorted(groups.items(), key=lambda kv: dates.sort_key(kv[0][0])):
        out["bounds"].append({"when": When(d, basis, tuple(stage_row(r["current"], r["c"]) for r in rs)),
                              "n": count([stage_row(r["current"], r["c"]) for r in rs]), "all": len(rs) == total})
    out["stated"] = count([stage_row(r["current"], r["c"]) for r in stated]) if stated else None
    out["all_stated"] = not other and len(recs) == total
    return out


def _approvals(recs: list[dict]) -> list[dict]:
    """The centres of `recs` with an approval row, each standing at that approval: the 'only
    approved' class also holds centres whose furthest row is a plaque (宣武医院内蒙古医院 挂牌
    2024-04-22), and a plaque's date is not an approval date."""
    out = []
    for r in recs:
        a = next((e for e in r["events"] if e.stage == "approved"), None)
        if a is not None:
            out.append({**r, "current": a})
    return out


def _list_when(b, recs: list[dict]) -> When | None:
    """The date of the list the centres appear on, as the list's source dates it (a centre is
    listed 'by' that date; the list itself is dated: 截至2023年1月12日)."""
    ev = [r["current"] for r in recs]
    first = ev[0]
    if any(e.date != first.date or e.source_id != first.source_id for e in ev):
        return None
    src = b.ds.sources.set_index("source_id")
    basis = src.loc[first.source_id, "date_basis"] if src.loc[first.source_id, "date"] == first.date else first.basis
    return When(first.date, basis or "stated", tuple(stage_row(r["current"], r["c"]) for r in recs))


def _one_batch(b, ids: list[str]) -> int | None:
    """The batch all of `ids` belong to (center_batches.csv, unflagged rows), None if not one."""
    cb = b.ds.center_batches
    cb = cb[cb["center_id"].isin(ids) & (cb["flag"].fillna("") == "")]
    per = cb.groupby("center_id")["batch"].agg(lambda s: set(int(x) for x in s))
    if len(per) != len(set(ids)) or any(len(x) != 1 for x in per):
        return None
    found = {next(iter(x)) for x in per}
    return found.pop() if len(found) == 1 else None


def _parts(b, recs: list[dict], province: bool = False) -> list[dict]:
    """The centres by class (furthest first), each class with its count, words and dates."""
    parts = []
    for cls in CLASSES:
        rs = [r for r in recs if r["cls"] == cls]
        if not rs:
            continue
        if cls == "none":  # no stage row at all: counted, with no words or dates
            parts.append({"cls": cls, "n": count(common.named_rows(b, pd.DataFrame([r["c"] for r in rs]))), "words": [],
                          "one": centre_name(b, rs[0]["c"], province) if len(rs) == 1 else "",
                          "dates": {"first": None, "last": None, "bounds": [], "stated": None, "all_stated": False},
                          "list_when": None, "names": [], "batch": None})
            continue
        words = class_words(b, cls, [r["current"] for r in rs])
        parts.append({"cls": cls, "n": count([stage_row(r["current"], r["c"]) for r in rs]), "words": words,
                      "one": centre_name(b, rs[0]["c"], province) if len(rs) == 1 else "",
                      "dates": _dates_of(b, _approvals(rs), len(rs)) if cls == "approved" else _dates_of(b, rs),
                      "list_when": _list_when(b, rs) if cls == "listed" else None,
                      # two or three centres that got no further than a list or an approval are named
                      "names": [centre_name(b, r["c"], province) for r in rs]
                      if cls in ("listed", "approved") and 2 <= len(rs) <= 3 else [],
                      # the batch approved-only centres share (Henan's two: 第五批), said with them
                      "batch": _one_batch(b, [r["c"]["center_id"] for r in rs]) if cls == "approved" else None,
                      # a plaque is drawn with the approvals: say so when a centre got no further
                      "plaque": cls == "approved" and any(r["current"].stage == "plaque" for r in rs)})
    return parts


# ---------------------------------------------------------------------------------------------
# findings
def findings(b) -> list[Finding]:
    if THEME not in b._cache:
        if b.national:
            out = _scope(b, b.ds.counted_centers, national=True)
        elif b.role == "host":
            out = _scope(b, b.centres)
            planned = _planned(b)
            if planned:
                out.append(planned)
        elif b.role == "exporter" and len(b.exported):
            out = _scope(b, b.exported, exporter=True)
        else:
            out = [_not_known(b)]
        b._cache[THEME] = out
    return b._cache[THEME]


def _scope(b, centres: pd.DataFrame, national: bool = False, exporter: bool = False) -> list[Finding]:
    recs = standing(b, centres)
    b._cache["progress_standing"] = recs
    named = count(common.named_rows(b, centres))
    parts = _parts(b, recs, province=exporter)
    out = []
    if national:
        out.append(_openings(b, recs, named, parts))
    else:
        moved = any(p["cls"] not in ("listed", "approved") for p in parts)
        p = {"name": b.name, "named": named, "parts": parts, "exporter": exporter, "approved": _common_approval(b, recs),
             "provinces": Num(centres["province_code"].nunique(), "count",
                              tuple(common.named_rows(b, centres.drop_duplicates("province_code")))) if exporter else None}
        out.append(Finding("where_now", THEME, "where_now", p, (60 if moved else 35) - (15 if exporter else 0)))
    fl = _first_latest(b, recs, province=exporter or national)
    if fl:
        out.append(fl)
    waiting = [r for r in recs if r["expected"] is not None and r["cls"] not in OPEN]
    salience = 30 if national else 45
    if len(waiting) == 1:
        # a province's one centre expected to open, its expected time still ahead of the data: the
        # newest thing to watch, worth a key message
        end = dates.end(waiting[0]["expected"].date)
        ahead = not national and not exporter and end is not None and end >= b.ds.latest_date.date()
        out.append(_expected(b, waiting[0], province=exporter or national, salience=55 if ahead else salience))
    elif waiting:
        out.append(_expected_all(b, waiting, province=exporter or national, salience=salience))
    return out


def _common_approval(b, recs: list[dict]) -> When | None:
    """The approval date all the centres share (Guizhou's five: by July 2023), if they do and
    none of them has got further than a bounded date (then the approval says something)."""
    evs = []
    for r in recs:
        a = next((e for e in r["events"] if e.stage == "approved"), None)
        if a is None or r["current"] is None or r["current"].basis == "stated" or r["current"] is a:
            return None
        evs.append((a, r["c"]))
    if not evs or len({(e.date, e.basis) for e, _ in evs}) != 1:
        return None
    return When(evs[0][0].date, evs[0][0].basis, tuple(stage_row(e, c) for e, c in evs))


def _openings(b, recs: list[dict], named: Num, parts: list[dict]) -> Finding:
    """Nationally: the openings the sources report, province by province, over time."""
    opened = [r for r in recs if r["cls"] in OPEN]
    by = []
    for code in dict.fromkeys(r["c"]["province_code"] for r in sorted(opened, key=lambda r: dates.sort_key(r["current"].date))):
        rs = [r for r in opened if r["c"]["province_code"] == code]
        by.append({"province": b.pname(code), "n": count([stage_row(r["current"], r["c"]) for r in rs]),
                   "dates": _dates_of(b, rs)})
    p = {"named": named, "open": count([stage_row(r["current"], r["c"]) for r in opened]) if opened else None,
         "by": by, "rest": [x for x in parts if x["cls"] not in OPEN]}
    return Finding("openings", THEME, "openings", p, 50)


def _first_latest(b, recs: list[dict], province: bool) -> Finding | None:
    """The first centre to open and the latest (stated dates only), and how long one took: from
    a stated approval to its opening where there is one, else from its first operation."""
    opened = []
    for r in recs:
        ev = next((e for e in r["events"] if e.stage in ("open", "operating") and e.basis == "stated"), None)
        if ev is not None:
            opened.append((r, ev))
    if len({ev.date for _, ev in opened}) < 2:
        return None
    opened.sort(key=lambda x: (dates.sort_key(x[1].date), x[0]["c"]["center_id"]))
    (r1, e1), (r2, e2) = opened[0], opened[-1]
    # an opening known only as "by" a date may have come before the first stated one or after
    # the last: then first and latest are said of the stated dates only
    bounded = any(r["cls"] in OPEN and r["current"].basis != "stated" for r in recs)
    p = {"name": b.name, "national": b.national, "exporter": b.role == "exporter", "stated_only": bounded,
         "first": {"centre": centre_name(b, r1["c"], province), "when": swhen(b, e1, r1["c"]), "word": stage_word(b, e1)},
         "latest": {"centre": centre_name(b, r2["c"], province), "when": swhen(b, e2, r2["c"]), "word": stage_word(b, e2)},
         "took": None}
    # how long: the longest from a stated approval to the opening, else the latest's first operation to its opening
    best = None
    for r, ev in opened:
        a = next((e for e in r["events"] if e.stage == "approved" and e.basis == "stated"), None)
        if a is not None and months(a, ev) is not None and (best is None or months(a, ev) > best[3]):
            best = (r, a, ev, months(a, ev), "approved")
    if best is None:
        ops = [e for e in r2["events"] if e.stage == "trial" and e.basis == "stated"]
        if ops and months(ops[0], e2) is not None:
            best = (r2, ops[0], e2, months(ops[0], e2), "trial")
    if best is not None:
        r, a, z, _, kind = best
        p["took"] = {"centre": centre_name(b, r["c"], province), "kind": kind, "from_word": stage_word(b, a),
                     "from": swhen(b, a, r["c"]), "to": swhen(b, z, r["c"]), "time": duration(b, a, z, r["c"])}
    return Finding("first_latest", THEME, "first_latest", p, 30 if b.national else 40)


def _passed(b, r: dict, by) -> bool:
    """Whether a centre's expected time ended before `by` (a date) with nothing reported of the
    centre after that time: no later event, no later figure (either says more than "nothing since")."""
    end = dates.end(r["expected"].date)
    if end is None or by is None or end >= by:
        return False
    later = [dates.start(e.date) for e in r["events"] if e.stage != "expected_open"]
    m = b.ds.metrics
    later += [d.date() for d in m.loc[m["subject_id"] == r["c"]["center_id"], "as_of_dt"] if not pd.isna(d)]
    return not any(d is not None and d > end for d in later)


def _passed_by_reading(b, r: dict) -> bool:
    """Whether a centre's expected time ended before the sources were last read (sources.csv
    read_on), with nothing reported of it since."""
    read = pd.to_datetime(b.ds.sources["read_on"], errors="coerce").max()
    return _passed(b, r, None if pd.isna(read) else read.date())


def _expected(b, r: dict, province: bool, salience: float) -> Finding:
    """A centre a source expects to open: where it stands, and the source's words for the
    expectation (never turned into a date)."""
    e = r["expected"]
    cur = r["current"]
    p = {"centre": centre_name(b, r["c"], province), "now": stage_word(b, cur) if cur else "",
         "since": swhen(b, cur, r["c"]) if cur else None, "now_cls": r["cls"],
         # a stage in the source's own words ("基建工程总体进度已达91%") is said as is, not as 目前为…
         "own": bool(cur is not None and (cur.label_zh if b.zh else cur.label_en)),
         "words": (e.label_zh if b.zh else e.label_en) or e.quote or stage_word(b, e),
         # the expected time had passed when the sources were last read (sources.csv read_on), with
         # no later report: what to watch says so (Hubei's 力争2026年4月, read in December 2026)
         "passed": _passed_by_reading(b, r)}
    return Finding(f"expected_{r['c']['center_id']}", THEME, "expected", p, salience, rows=[stage_row(e, r["c"])], watch=True)


def _expected_all(b, recs: list[dict], province: bool, salience: float) -> Finding:
    """Several centres a source expects to open: one finding (the national overview had ten
    sentences each ending in the same line to watch). What to watch names those whose expected
    time has passed by the latest date of the data while no source reports their opening (the
    briefing's own reading)."""
    items = [_expected(b, r, province, salience) for r in recs]
    latest = b.ds.latest_date.date()
    overdue, overdue_ids = [], []
    for r, f in zip(recs, items):
        if _passed(b, r, latest):  # passed by the data's latest date, nothing reported since
            overdue.append(f.params["centre"])
            overdue_ids.append(r["c"]["center_id"])
    rows = [row for f in items for row in f.rows]
    # many centres (national: ten) read as a table, one line each, not a paragraph of sentences
    p = {"n": count(rows), "centres": [f.params for f in items], "overdue": overdue,
         "table": len(recs) >= EXPECTED_TABLE_MIN, "overdue_ids": overdue_ids}
    return Finding("expected_all", THEME, "expected_all", p, salience, rows=rows, watch=True)


def _planned(b) -> Finding | None:
    """A planned project of the province (not an approved centre): its agreements."""
    pl = b.planned_centres
    if pl.empty:
        return None
    items = []
    for c in pl.pipe(records):
        life = b.life.get(c["center_id"])
        agreements = [e for e in (life.events if life else ()) if e.stage == "agreement"]
        items.append({"centre": centre_name(b, c), "when": [swhen(b, e, c) for e in agreements]})
    return Finding("planned", THEME, "planned", {"name": b.name, "projects": items}, 35)


def _not_known(b) -> Finding:
    p = {"name": b.name, "role": b.role, "batch": None, "batch_when": None}
    figs = b.figures
    fb = figs[(figs["metric"] == "first_approval_batch") & (figs["subject_id"] == b.code)] if len(figs) else figs
    if len(fb):
        from nrmc.findings import figure, when

        r = common.metric_row_of(fb.sort_values("as_of_dt").iloc[-1])
        p["batch"], p["batch_when"] = figure(r), when(r)
    return Finding("not_known", THEME, "not_known", p, 15 if b.role == "known" else 5)


# ---------------------------------------------------------------------------------------------
# the section
def section(b) -> Section:
    fs = findings(b)
    sentences = say_all_with_watch(b, fs)
    recs = b._cache.get("progress_standing") or []
    province = b.national or b.role == "exporter"
    data = frame(b, recs, province)
    chart_html = table_html = None
    # a table where a centre has moved beyond a list or an approval, or a source gives a stage in
    # its own words (河北: 2022年成为国家级区域医疗中心), which the sentences' vocabulary does not print
    if recs and any(r["cls"] not in ("listed", "approved", "none") or any(e.label_zh for e in r["events"]) for r in recs):
        table_html = class_table(b, recs) if b.national and len(recs) > DETAIL_MAX else stage_table(b, recs, province)
        # a timeline only where centres differ and at least two have moved beyond approval
        moved = [r for r in recs if r["cls"] not in ("listed", "approved", "none")]
        if len(moved) >= 2 and len({(r["cls"], r["current"].date if r["current"] else "") for r in recs}) > 1:
            chart_html = timeline(b, recs, province, fs[0])
    expected = next((f for f in fs if f.key == "expected_all" and f.params.get("table")), None)
    if expected is not None:
        waiting = [r for r in recs if r["expected"] is not None and r["cls"] not in OPEN]
        extra = expected_table(b, waiting, province, expected.params["overdue_ids"])
        table_html = extra if table_html is None else Markup(table_html) + Markup(extra)
    return Section(THEME, b.L("section.progress"), b.lang, fs, sentences, chart_html=chart_html, table_html=table_html,
                   data=data)


def expected_table(b, recs: list[dict], province: bool, overdue: list[str] = ()):
    """The centres a source expects to open: where each stands (its furthest stage and date) and
    the expectation in the source's words; those whose expected time has passed with nothing
    later reported are marked."""
    rows, ids = [], []
    for r in sorted(recs, key=lambda r: (dates.sort_key(r["expected"].date), r["c"]["center_id"])):
        cur, e = r["current"], r["expected"]
        words = (e.label_zh if b.zh else e.label_en) or e.quote or stage_word(b, e)
        now = b.L("progress.table.event", word=stage_word(b, cur), date=b.d(When(cur.date, cur.basis), record=False)) \
            if cur is not None else b.L("progress.table.no_stage")
        if r["c"]["center_id"] in overdue:
            words = b.L("progress.expected_table.passed", words=words)
        rows.append({"cells": [centre_name(b, r["c"], province), now, words], "mark": False})
        ids += [e.source_id] + ([cur.source_id] if cur is not None else [])
    head = [b.L("progress.expected_table.col_centre"), b.L("progress.expected_table.col_now"),
            b.L("progress.expected_table.col_expected")]
    note = b.L("progress.expected_table.note") + " " + common.sources_line(b, ids)
    return render("data_table.html.j2", caption=b.L("progress.expected_table.caption", name=b.name), head=head,
                  rows=rows, note=note, cls="progress-expected")


def frame(b, recs: list[dict], province: bool) -> pd.DataFrame:
    """One row per centre: where it stands, in the source's words, with its date, and every event."""
    rows = []
    for r in recs:
        cur = r["current"]
        rows.append({"center_id": r["c"]["center_id"], "centre": centre_name(b, r["c"], province),
                     "province_code": r["c"]["province_code"], "class": r["cls"],
                     "stage": cur.stage if cur else "", "stage_words": stage_word(b, cur) if cur else "",
                     "date": cur.date if cur else "", "date_basis": cur.basis if cur else "",
                     "date_text": b.d(When(cur.date, cur.basis), record=False) if cur else "",
                     "expected": stage_word(b, r["expected"]) if r["expected"] is not None else "",
                     "events": b.L("progress.table.sep").join(_event_text(b, e) for e in r["events"]),
                     "source_ids": ";".join(dict.fromkeys(e.source_id for e in r["events"]))})
    return pd.DataFrame(rows, columns=["center_id", "centre", "province_code", "class", "stage", "stage_words", "date",
                                       "date_basis", "date_text", "expected", "events", "source_ids"])


def _event_text(b, e: Event) -> str:
    """'2022年10月31日 门诊开诊（计为试运行）' / 'outpatient clinics opened … 31 Oct 2022'; an expectation in the source's words."""
    if e.stage == "expected_open":
        return stage_word(b, e)
    return b.L("progress.table.event", word=stage_word(b, e), date=b.d(When(e.date, e.basis), record=False))


def stage_table(b, recs: list[dict], province: bool):
    """Each centre: where it stands in the source's words, the date at its precision, and the
    stages before it (and any expected one)."""
    rows = []
    ids = []
    moved = [r for r in recs if r["cls"] not in ("listed", "approved", "none")]
    rest = [r for r in recs if r not in moved]
    groups: list[list[dict]] = []
    if len(recs) <= DETAIL_MAX:
        shown = recs
    else:
        # the centres that have not moved beyond a list or an approval: one line for each stage
        # word and date several share (47 centres only on the 'built' list of 12 January 2023),
        # the others one by one, so that a line's words and date are every centre's on it
        by: dict[tuple, list[dict]] = {}
        for r in rest:
            cur = r["current"]
            if any(e.label_zh for e in r["events"]):  # a source's own words are printed, on the centre's own line
                key = ("", r["c"]["center_id"])
            else:
                key = (stage_word(b, cur), cur.date, cur.basis) if cur is not None else ("", "", "")
            by.setdefault(key, []).append(r)
        groups = [g for g in by.values() if len(g) > GROUP_MIN - 1]
        shown = moved + [r for g in by.values() if len(g) < GROUP_MIN for r in g]
    # furthest first, then by date
    shown = sorted(shown, key=lambda r: (CLASSES.index(r["cls"]), dates.sort_key(r["current"].date) if r["current"] else (0,),
                                         r["c"]["center_id"]))
    for r in shown:
        cur = r["current"]
        earlier = [e for e in r["events"] if e is not cur]
        rows.append({"cells": [centre_name(b, r["c"], province), stage_word(b, cur) if cur else "",
                               b.d(When(cur.date, cur.basis), record=False) if cur else "",
                               b.L("progress.table.sep").join(_event_text(b, e) for e in earlier)], "mark": False})
        ids += [e.source_id for e in r["events"]]
    for g in sorted(groups, key=len):
        cur = g[0]["current"]
        label = "progress.table.others" if len(groups) == 1 else "progress.table.group"
        rows.append({"cells": [b.L(label, n=len(g)), stage_word(b, cur) if cur else b.L("progress.table.no_stage"),
                               b.d(When(cur.date, cur.basis), record=False) if cur else "", ""], "mark": False})
        ids += [e.source_id for r in g for e in r["events"]]
    head = [b.L("progress.table.col_centre"), b.L("progress.table.col_stage"), b.L("progress.table.col_date"),
            b.L("progress.table.col_other")]
    note = b.L("progress.table.note") + " " + common.sources_line(b, ids)
    return render("data_table.html.j2", caption=b.L("progress.table.caption", name=b.name), head=head, rows=rows,
                  note=note, cls="progress-stages", nowrap=[2])


def class_table(b, recs: list[dict]):
    """Nationally, one line per furthest stage: how many centres and in which provinces (one line a
    centre took three pages, and the annex's table of centres has each one with every stage; the
    timeline shows the dates)."""
    by: dict[str, list[dict]] = {}
    for r in recs:
        by.setdefault(r["cls"], []).append(r)
    rows, ids = [], []
    for cls in (c for c in CLASSES if c in by):
        g = by[cls]
        per: dict[str, int] = {}
        for r in g:
            per[r["c"]["province_code"]] = per.get(r["c"]["province_code"], 0) + 1
        where = b.L("list_sep").join(b.L("progress.table.prov_n", province=b.pname(code), n=n)
                                     for code, n in sorted(per.items(), key=lambda x: (-x[1], x[0])))
        rows.append({"cells": [b.L("progress.table.group", n=len(g)) if len(g) > 1 else b.L("progress.table.one"),
                               b.L(f"progress.table.class_{cls}"), where], "mark": False})
        ids += [e.source_id for r in g for e in r["events"]]
    head = [b.L("progress.table.col_centres"), b.L("progress.table.col_stage"), b.L("progress.table.col_provinces")]
    note = " ".join([b.L("progress.table.national_rest"), b.L("progress.table.note_national"), common.sources_line(b, ids)])
    return render("data_table.html.j2", caption=b.L("progress.table.caption_national", name=b.name), head=head,
                  rows=rows, note=note, cls="progress-stages", nowrap=[0])


# ---- the timeline ------------------------------------------------------------------------------
def _x(e: Event) -> pd.Timestamp:
    """Where an event is drawn: the start of its period when stated, the end of it when it is a
    bound ('by December 2023') or an expectation."""
    d = dates.start(e.date) if e.basis in ("stated", "about") else dates.end(e.date)
    return pd.Timestamp(d)


def timeline(b, recs: list[dict], province: bool, lead: Finding):
    """The centres' phases over time; centres whose rows would be drawn alike share a row.
    Nationally only the centres that have begun treating patients (trial operation or later): the
    others' approvals alone would draw some fifty rows, more than a printed page holds."""
    if b.national:
        recs = [r for r in recs if r["cls"] not in ("listed", "approved", "none")] or recs
    rows: dict = {}
    for r in recs:
        evs = tuple((_x(e).strftime("%Y-%m-%d"), e.stage, e.basis) for e in r["events"] if e.stage != "agreement")
        if not evs:
            continue
        segs, exp = charts.lifecycle_segments([list(x) for x in sorted(evs)], _end(b).strftime("%Y-%m-%d"))
        key = (tuple((round(s["start"], 4), s["phase"], s["exact"]) for s in segs), tuple(round(e["stop"], 4) for e in exp))
        rows.setdefault(key, {"recs": [], "events": evs})["recs"].append(r)
    out = []
    for g in rows.values():
        rs = g["recs"]
        if len(rs) <= 2:
            label = b.L("progress.chart.list_sep").join(centre_name(b, r["c"], province) for r in rs)
        else:
            provs = {r["c"]["province_code"] for r in rs}
            cls = {r["cls"] for r in rs}
            key = "listed" if cls <= {"listed", "approved"} else "same"
            if len(provs) == 1 and not b.national and not province:
                label = b.L(f"progress.chart.group_{key}", n=len(rs))
            elif len(provs) == 1:
                label = b.L(f"progress.chart.group_{key}_in", n=len(rs), province=b.pname(next(iter(provs))))
            else:
                label = b.L(f"progress.chart.group_{key}", n=len(rs))
        out.append({"label": label, "events": [(pd.Timestamp(d), s, basis) for d, s, basis in g["events"]],
                    "_order": min(dates.sort_key(e.date) for r in rs for e in r["events"]),
                    "_rest": all(r["cls"] in ("listed", "approved") for r in rs) and len(rs) > 2})
    out.sort(key=lambda x: (x["_rest"], x["_order"]))  # the centres with no progress reported last
    legend = {k: b.L(f"progress.chart.legend_{k}") for k in ("approved", "trial", "open")}
    # the chart's text alternative names every stage in words, never by its code ('under_construction')
    words = {s: b.L(f"progress.stage.{s}") for s in ("plaque", "listed", "under_construction", "built", "operating",
                                                     "expected_open")}
    chart = charts.lifecycle([{"label": x["label"], "events": x["events"]} for x in out], lang=b.lang, end=_end(b),
                             stage_labels={**words, **legend}, basis_labels={"dashed": b.L("progress.chart.legend_dashed")})
    title = b.say(THEME, lead.name + "_title", p=lead.params)
    ids = [e.source_id for r in recs for e in r["events"]]
    note = b.L("progress.chart.note", end=b.d(When(_end_text(b), "stated"), record=False))
    return common.figure_html(b, chart, title, common.sources_line(b, ids), note=note)


def _end_text(b) -> str:
    return b.ref_text


def _end(b) -> pd.Timestamp:
    return pd.Timestamp(b.ref_date)
