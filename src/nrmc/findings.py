"""Findings: what a briefing may say, with its proof.

A `Finding` is a claim (rendered by each language's own sentence templates), the evidence it rests
on (`Row`s: facts as a source states them, with source id, date and the quote as printed; or a
computation over them), a salience rank and at most one chart. Every number a finding prints is a
`Num` made from its evidence rows (or computed from them, saying how); every date a `When` made
from a row's date at the precision the source gives. `Finding.check()` is what the tests run over
every finding of every briefing.
"""
from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from nrmc import dates as _dates


@dataclass(frozen=True)
class Row:
    """One piece of evidence: a fact as a source states it.

    `ref` says where it lives ('metrics.csv line 23'); `what` labels it in both languages; `value`
    and `unit`/`qualifier` are the figure as published (None for a fact without a number, such as
    a centre named in a list); `date`/`basis` its date as published and how it is known."""

    kind: str  # metric, centre, stage, milestone, population, batch
    ref: str
    source_id: str
    date: str
    basis: str
    quote: str
    what_zh: str
    what_en: str
    value: float | None = None
    unit: str = ""
    qualifier: str = ""
    period: str = ""
    flag: str = ""
    subject: str = ""  # whom the fact is about: a centre id, a province code, "national" ("" unknown)
    comparable: bool = True  # metric_definitions.csv: False when one measure groups what sources word apart

    def what(self, lang: str) -> str:
        return self.what_zh if lang == "zh" else self.what_en


@dataclass(frozen=True)
class Num:
    """A number a sentence prints.

    `kind`: 'figure' (a row's value as published: its unit and qualifier travel with it),
    'count' (a count of rows, e.g. named centres), 'rate' (a computation, with `decimals`),
    'rank' (a position computed among provinces, or a source's stated rank: then kind 'figure').
    `rows` are the evidence; `how` says how a computed number follows from them."""

    value: float
    kind: str = "figure"
    rows: tuple[Row, ...] = ()
    unit: str = ""
    qualifier: str = ""
    decimals: int | None = None
    how_zh: str = ""
    how_en: str = ""

    @property
    def whole(self) -> int:
        return int(round(self.value))

    def how(self, lang: str) -> str:
        return self.how_zh if lang == "zh" else self.how_en


@dataclass(frozen=True)
class When:
    """A date a sentence prints: a row's date text at its own precision and its basis."""

    text: str
    basis: str = "stated"
    rows: tuple[Row, ...] = ()

    @property
    def end(self):
        return _dates.end(self.text)


@dataclass
class Finding:
    """A claim with its evidence.

    `theme` and `name` pick the sentence macros `<name>_claim`, `<name>_context` (and optionally
    `<name>_watch`, the briefing's own reading of what to watch) in templates/<lang>/<theme>.j2;
    `params` feed them. `salience` ranks key messages (higher first); `headline` marks a claim
    the sources make themselves (a rank, "全国最大")."""

    key: str
    theme: str
    name: str
    params: dict[str, Any]
    salience: float
    rows: list[Row] = field(default_factory=list)
    chart: Any = None
    headline: bool = False
    watch: bool = False
    ranks: tuple[Row, ...] = ()  # the rows the claim ranks against each other (see `rankable`)

    # ---- evidence ----------------------------------------------------------------------------
    def numbers(self) -> list[Num]:
        return [v for v in _walk(self.params) if isinstance(v, Num)]

    def whens(self) -> list[When]:
        return [v for v in _walk(self.params) if isinstance(v, When)]

    def evidence(self) -> list[Row]:
        """Every row the finding rests on: its own, and those of its numbers and dates, in order."""
        return list(dict.fromkeys([*self.rows, *(r for n in self.numbers() for r in n.rows),
                                   *(r for w in self.whens() for r in w.rows)]))

    def source_ids(self) -> list[str]:
        return list(dict.fromkeys(r.source_id for r in self.evidence() if r.source_id))

    def check(self) -> list[str]:
        """What is wrong with this finding's evidence (empty when sound): a figure that is not its
        row's value, a count that is not the number of its rows, a date more precise than (or
        different from) its rows' dates."""
        problems = []
        for n in self.numbers():
            if not n.rows:
                problems.append(f"{self.key}: number {n.value} has no evidence")
            elif n.kind == "figure":
                if not any(r.value is not None and math.isclose(r.value, n.value) and r.unit == n.unit
                           and r.qualifier == n.qualifier for r in n.rows):
                    problems.append(f"{self.key}: figure {n.value}{n.unit} is no row's value as published")
            elif n.kind == "count":
                if len({r.ref for r in n.rows}) != n.whole:
                    problems.append(f"{self.key}: count {n.value} but {len(n.rows)} rows")
            elif not (n.how_zh and n.how_en):
                problems.append(f"{self.key}: computed number {n.value} does not say how")
        for w in self.whens():
            if w.rows and not any(r.date == w.text for r in w.rows):
                problems.append(f"{self.key}: date {w.text} is no row's date ({', '.join(r.date for r in w.rows)})")
        return problems


def rank_key(row: Row) -> tuple:
    """What two figures must share to be ranked against each other: one measure (label, unit,
    period), one date and one date basis; for a measure marked not comparable (Anhui's 巡回专家
    and 常规坐诊专家 are both visiting_experts), the same words too."""
    return (row.what_zh, row.unit, row.period, row.date, row.basis, "" if row.comparable else row.quote)


def rankable(rows: Iterable[Row]) -> bool:
    """Whether `rows` may be ranked ("最多", "the most"): all of one measure, one date and one
    basis. Figures of different dates or kinds are listed side by side, never ranked."""
    return len({rank_key(r) for r in rows}) <= 1


def _walk(value):
    if isinstance(value, (Num, When)):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from _walk(v)
    elif isinstance(value, (list, tuple)) and not isinstance(value, Row):
        for v in value:
            yield from _walk(v)
    elif hasattr(value, "__dataclass_fields__") and not isinstance(value, Row):
        for name in value.__dataclass_fields__:
            yield from _walk(getattr(value, name))


# ---------------------------------------------------------------------------------------------
# making evidence rows from the dataset
def metric_row(r: Any, sources: pd.DataFrame | None = None) -> Row:
    """A row of `performance.figures` (a metrics.csv row with labels) as evidence."""
    basis = r.get("date_basis") or r.get("as_of_basis") or "stated"
    what_zh = r.get("label_zh", r.get("metric", ""))
    what_en = r.get("label_en", r.get("metric", ""))
    return Row("metric", f"metrics.csv line {int(r['_line'])}", r["source_id"], r["as_of"], basis,
               r.get("quote", "") or "", what_zh, what_en, float(r["value"]), r["unit"], r.get("qualifier", "") or "",
               r.get("period", "") or "", r.get("flag", "") or "", str(r.get("subject_id", "") or ""),
               _comparable(r.get("comparable", True)))


def _comparable(v: Any) -> bool:
    return not (v is False or (isinstance(v, str) and v.strip().lower() == "false"))


def centre_row(r: Any, source_id: str, date: str, basis: str = "stated") -> Row:
    """A centre as named by a source (the evidence of a count of named centres)."""
    return Row("centre", f"centers.csv {r['center_id']}", source_id, date, basis, r["name_zh"], r["name_zh"],
               r.get("name_en") or r["name_zh"], subject=r["center_id"])


def stage_row(e: Any, centre: Any) -> Row:
    """A stage of a centre's lifecycle (a lifecycle.Event) as evidence."""
    return Row("stage", f"stages.csv {centre['center_id']} {e.stage} {e.date}", e.source_id, e.date, e.basis, e.quote or "",
               centre["name_zh"], centre.get("name_en") or centre["name_zh"], subject=centre["center_id"])


def figures_rows(rows: Iterable[Any]) -> list[Row]:
    return [metric_row(r) for r in rows]


def count(rows: Sequence[Row]) -> Num:
    """The number of distinct rows (a count of named centres, of provinces …)."""
    uniq = tuple({r.ref: r for r in rows}.values())
    return Num(len(uniq), "count", uniq)


def figure(row: Row) -> Num:
    """A row's value as published."""
    return Num(row.value, "figure", (row,), row.unit, row.qualifier)


def when(row: Row) -> When:
    return When(row.date, row.basis, (row,))
