"""A centre's lifecycle: one vocabulary and one set of dates for every briefing and table.

Stages come from stages.csv, one dated and sourced row per report. Two sources may date one event
differently (a month, and "by" a later day): rows of one stage whose dates can be one event (their
intervals overlap, as `nrmc validate` reads them: rule stage-once) are one event, dated by its most
precise row, the others kept in `Event.also`. A centre's *current stage* is
the furthest stage it has reached in the sources (an expectation such as 预计开诊 is shown, but
never counted as reached), with the date and basis of that event. Trial operation (试运行/过渡期
运营, incl. an outpatients-only opening) is never called 开诊.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date

import pandas as pd

from nrmc import dates
from nrmc.data import Dataset, records
from nrmc.integrity import _interval  # the validator's reading of a dated row as an interval (rule stage-once)

# code → (中文, English); the order is the order a centre goes through them.
STAGE_LABELS: dict[str, tuple[str, str]] = {
    "agreement": ("签约", "agreement signed"),
    "approved": ("获批", "approved"),
    "plaque": ("挂牌", "plaque unveiled"),
    "listed": ("列入项目清单", "on a list headed “built”"),
    "under_construction": ("建设中", "under construction"),
    "built": ("已建成", "built"),
    "trial": ("试运行/过渡期运营", "trial operation"),
    "open": ("开诊", "opened"),
    "operating": ("正式运营", "in formal operation"),
    "expected_open": ("预计开诊", "expected to open"),
}
# How far along each stage is; `plaque` comes with approval, an expectation is not a stage reached.
PROGRESS = {"agreement": 0, "approved": 1, "plaque": 1, "listed": 1, "under_construction": 2, "built": 3, "trial": 4,
            "open": 5, "operating": 6}
OPERATING = ("trial", "open", "operating")  # the centre treats patients


# Shorter English words for tables (the Chinese is short already).
STAGE_SHORT_EN = {"approved": "approved", "plaque": "plaque", "listed": "on “built” list", "built": "built", "trial": "trial operation",
                  "open": "open", "operating": "operating", "agreement": "agreement", "under_construction": "under construction"}


def label(stage: str, lang: str = "zh", short: bool = False) -> str:
    zh, en = STAGE_LABELS[stage]
    if lang == "zh":
        return zh
    return STAGE_SHORT_EN.get(stage, en) if short else en


@dataclass(frozen=True)
class Event:
    stage: str
    date: str
    basis: str
    source_id: str
    quote: str
    label_zh: str = ""  # the source's own words, where the vocabulary would say more or less
    label_en: str = ""
    also: tuple["Event", ...] = ()  # other sources' rows of this event, less precise (never printed as events)

    def text(self, lang: str = "zh", short: bool = False) -> str:
        """'开诊 2023年6月26日' / 'opened 26 Jun 2023'; a bound or an expectation in words."""
        own = self.label_zh if lang == "zh" else self.label_en
        if self.stage == "expected_open":
            return own or ("预计{}开诊".format(dates.plain(self.date, "zh")) if lang == "zh"
                           else f"expected to open by {dates.plain(self.date, 'en')}")
        return f"{own or label(self.stage, lang, short)} {dates.qualified(self.date, self.basis, lang)}"


@dataclass(frozen=True)
class Lifecycle:
    center_id: str
    events: tuple[Event, ...]  # in date order
    current: Event | None  # furthest stage reached
    first_operation: Event | None  # earliest trial/open/operating event
    expected: Event | None = field(default=None)

    def age_months(self, at: date) -> int | None:
        """Months since the centre began treating patients (its first trial/open/operating event),
        up to `at`; None when no such date is known exactly (a 'by' date gives no age)."""
        ev = self.first_operation
        if ev is None or ev.basis != "stated":
            return None
        start = dates.start(ev.date)
        return dates.months_between(start, at) if start and at >= start else None

    def stage_text(self, lang: str = "zh") -> str:
        return self.current.text(lang) if self.current else ("—" if lang == "zh" else "—")

    def sources(self) -> list[str]:
        return list(dict.fromkeys(e.source_id for e in self.events))


def _width(e: Event) -> tuple:
    """How precisely a row dates its event: the days its interval spans (a stated day 1, a month
    about 30, a 'by' date thousands), a stated date before a bound of the same width."""
    iv = _interval(e.date, e.basis)
    return ((iv[1] - iv[0]).days if iv else 10**6, e.basis != "stated")


def one_per_event(events: list[Event]) -> list[Event]:
    """One event per happening: a row whose dates can be the same event as a more precise row of
    the same stage (their intervals overlap: JX-01 approved 2021-10 and 'by' 2022-05-20; Guizhou's
    'by 2023-07' beside a stated month) joins that row's `also`; rows whose dates cannot be one
    event (a second plaque years later, two dated groundbreakings) stay events of their own. An
    expectation has no interval and is never merged."""
    kept: list[Event] = []
    order = sorted(range(len(events)), key=lambda i: (_width(events[i]), i))
    for i in order:
        e = events[i]
        iv = _interval(e.date, e.basis)
        k = None
        if iv is not None:
            k = next((j for j, x in enumerate(kept) if x.stage == e.stage and (xi := _interval(x.date, x.basis))
                      and xi[0] <= iv[1] and iv[0] <= xi[1]), None)
        if k is None:
            kept.append(e)
        else:
            kept[k] = replace(kept[k], also=kept[k].also + (e,))
    return kept


def latest_expectation(events: list[Event], source_dates: dict[str, str]) -> Event | None:
    """The expectation of the most recent source (HB-01: P303's 'April 2026', about 2026-01, over
    P302's 'March 2026' of 2024); one source's several expectations: the earliest."""
    exp = [e for e in events if e.stage == "expected_open"]
    if not exp:
        return None
    def published(e: Event) -> tuple:  # an undated source counts as the oldest
        d = source_dates.get(e.source_id) or ""
        return dates.sort_key(d) if dates.parse(d) else (0, 0, 0)

    newest = max(published(e) for e in exp)
    return next(e for e in exp if published(e) == newest)


def lifecycles(ds: Dataset) -> dict[str, Lifecycle]:
    """Every centre's lifecycle (centres without a stage row get an empty one)."""
    out: dict[str, Lifecycle] = {}
    source_dates = {r["source_id"]: r["date"] for r in ds.sources.pipe(records)}
    by: dict[str, list[Event]] = {}  # stages.csv's rows by centre, in file order
    for r in ds.stages.pipe(records):
        by.setdefault(r["center_id"], []).append(Event(r["stage"], r["date"], r["date_basis"], r["source_id"],
                                                       r["quote"], r.get("label_zh") or "", r.get("label_en") or ""))
    for cid in ds.centers["center_id"]:
        events = one_per_event(by.get(cid, []))
        events.sort(key=lambda e: (dates.sort_key(e.date), PROGRESS.get(e.stage, 9)))
        reached = [e for e in events if e.stage in PROGRESS and e.stage != "agreement"] or \
            [e for e in events if e.stage == "agreement"]
        current = max(reached, key=lambda e: (PROGRESS[e.stage], dates.sort_key(e.date))) if reached else None
        ops = [e for e in events if e.stage in OPERATING]
        first_op = min(ops, key=lambda e: dates.sort_key(e.date)) if ops else None
        expected = latest_expectation(events, source_dates)
        out[cid] = Lifecycle(cid, tuple(events), current, first_op, expected)
    return out


def stage_table(ds: Dataset, center_ids, lang: str = "zh") -> pd.DataFrame:
    """One row per centre: current stage (code, text), its date and basis, first operation date,
    every event as text, sources."""
    lc = lifecycles(ds)
    rows = []
    for cid in center_ids:
        life = lc[cid]
        cur = life.current
        rows.append({
            "center_id": cid,
            "stage": cur.stage if cur else "",
            "stage_text": life.stage_text(lang),
            "stage_date": cur.date if cur else "",
            "stage_basis": cur.basis if cur else "",
            "first_operation": life.first_operation.date if life.first_operation else "",
            "events": "；".join(e.text(lang) for e in life.events) if lang == "zh" else
                      "; ".join(e.text(lang) for e in life.events),
            "source_ids": ";".join(life.sources()),
        })
    return pd.DataFrame(rows, columns=["center_id", "stage", "stage_text", "stage_date", "stage_basis",
                                       "first_operation", "events", "source_ids"])
