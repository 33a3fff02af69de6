"""A centre's lifecycle: one vocabulary and one set of dates for every briefing and table.

Stages come from stages.csv, one dated and sourced event per row. A centre's *current stage* is
the furthest stage it has reached in the sources (an expectation such as 预计开诊 is shown, but
never counted as reached), with the date and basis of that event. Trial operation (试运行/过渡期
运营, incl. an outpatients-only opening) is never called 开诊.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import pandas as pd

from nrmc import dates
from nrmc.data import Dataset

# code → (中文, English); the order is the order a centre goes through them.
STAGE_LABELS: dict[str, tuple[str, str]] = {
    "agreement": ("签约", "agreement signed"),
    "approved": ("获批", "approved"),
    "plaque": ("挂牌", "plaque unveiled"),
    "listed": ("列入“已建成”清单", "on a list headed “built”"),
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


def lifecycles(ds: Dataset) -> dict[str, Lifecycle]:
    """Every centre's lifecycle (centres without a stage row get an empty one)."""
    out: dict[str, Lifecycle] = {}
    st = ds.stages
    by = {cid: g for cid, g in st.groupby("center_id")} if len(st) else {}
    for cid in ds.centers["center_id"]:
        g = by.get(cid)
        events: list[Event] = []
        if g is not None:
            for r in g.to_dict("records"):
                events.append(Event(r["stage"], r["date"], r["date_basis"], r["source_id"], r["quote"],
                                    r.get("label_zh") or "", r.get("label_en") or ""))
        events.sort(key=lambda e: (dates.sort_key(e.date), PROGRESS.get(e.stage, 9)))
        reached = [e for e in events if e.stage in PROGRESS and e.stage != "agreement"] or \
            [e for e in events if e.stage == "agreement"]
        current = max(reached, key=lambda e: (PROGRESS[e.stage], dates.sort_key(e.date))) if reached else None
        ops = [e for e in events if e.stage in OPERATING]
        first_op = min(ops, key=lambda e: dates.sort_key(e.date)) if ops else None
        expected = next((e for e in events if e.stage == "expected_open"), None)
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
