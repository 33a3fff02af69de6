"""What is new: the centres, figures and stages that a scope gained since a date, or between two
editions of the dataset.

- `changes_since(ds, since, scope)`: centres first reported after `since`, figures whose source was
  published after it (the figure's as-of date when the source is undated), stages reached after it.
  Dates are kept at the source's precision, so a date's period may straddle `since` ('2024' against
  2024-06-30), and a bound or an estimate (不晚于, 约) may not say on which side it falls: such a row
  is listed with `certain` False — possibly new, never silently dropped nor claimed as new.
- `changes_between(old, new, scope)`: what `new` has that `old` did not (centres and stages added,
  figures added or revised — same subject, metric, breakdown, date, period and source, another
  value, unit or qualifier), e.g. against the data of the previous build.

`scope` is 'national' (everything) or a province in any form (its centres, its own figures and its
centres' and provincial centres' figures, its centres' stages). An expectation (预计开诊, basis
`expected`) is never a stage reached. Each result is a `Changes`: three tidy frames and a summary.
"""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from nrmc import dates
from nrmc.data import Dataset, parse_partial_date
from nrmc.regions import resolve_scope

__all__ = ["Changes", "ChangeSummary", "changes_since", "changes_between"]

FIGURE_KEY = ["subject_id", "metric", "breakdown", "as_of", "period", "source_id"]
FIGURE_COLUMNS = FIGURE_KEY + ["value", "unit", "qualifier", "quote", "flag", "known_date", "known_basis"]
CENTRE_COLUMNS = ["center_id", "name_zh", "name_en", "province_code", "specialty", "status", "first_reported",
                  "source_ids"]
STAGE_COLUMNS = ["center_id", "stage", "date", "date_basis", "source_id", "quote", "label_zh", "label_en"]


@dataclass(frozen=True)
class ChangeSummary:
    """How much changed for a scope: `since` is the ISO date compared with (None for two editions);
    `possibly` counts the rows that may or may not be new (see the module's doc)."""

    scope: str
    since: str | None
    centres_added: int
    figures_added: int
    figures_revised: int
    stages_reached: int
    possibly: int

    @property
    def total(self) -> int:
        return self.centres_added + self.figures_added + self.figures_revised + self.stages_reached

    def __bool__(self) -> bool:
        return self.total > 0


@dataclass(frozen=True)
class Changes:
    centres: pd.DataFrame  # CENTRE_COLUMNS + certain
    figures: pd.DataFrame  # FIGURE_COLUMNS + change ('added' / 'revised'), old_value, old_unit, old_qualifier, certain
    stages: pd.DataFrame  # STAGE_COLUMNS + certain
    summary: ChangeSummary


# -- the scope -------------------------------------------------------------------------------------
def _scope(ds: Dataset, scope: object) -> tuple[str, set[str] | None, set[str] | None]:
    """(scope label, its centre ids, its figures' subject ids); None = everything (national)."""
    sc = resolve_scope(scope, ds.data_dir)
    if not sc.code:
        return "national", None, None
    centres = set(ds.centers.loc[ds.centers["province_code"] == sc.code, "center_id"])
    prcs = set(ds.provincial_centers.loc[ds.provincial_centers["province_code"] == sc.code, "prc_id"])
    return sc.code, centres, centres | prcs | {sc.code}


def _in(s: pd.Series, ids: set[str] | None) -> pd.Series:
    return pd.Series(True, index=s.index) if ids is None else s.isin(ids)


# -- dates against `since` ---------------------------------------------------------------------------
def _after(text: str, basis: str, since: pd.Timestamp) -> tuple[bool, bool]:
    """(possibly after `since`, certainly after it) for a partial date and its basis. A date is the
    period it names ('2024': all of 2024); `about` widens it by one unit of its precision on each
    side (about 2024-10: September to November); `not_after` may lie anywhere before its end, so it
    is never certain; `not_before` counts at its date (its best estimate)."""
    end = parse_partial_date(text)
    first = dates.start(text)
    if end is None or first is None:
        return False, False
    start = pd.Timestamp(first)
    if basis == "about":
        parts = dates.parse(text)
        unit = pd.DateOffset(days=1) if parts[2] else pd.DateOffset(months=1) if parts[1] else pd.DateOffset(years=1)
        start, end = start - unit, end + unit
    possibly = end > since
    return possibly, possibly and start > since and basis != "not_after"


def _mark(df: pd.DataFrame, date_col: str, basis_col: str | None, since: pd.Timestamp) -> pd.DataFrame:
    """The rows of `df` possibly after `since`, with `certain`."""
    flags = [_after(d, b if basis_col else "stated", since)
             for d, b in zip(df[date_col], df[basis_col] if basis_col else df[date_col])]
    possibly = pd.Series([p for p, _ in flags], index=df.index, dtype=bool)
    certain = pd.Series([c for _, c in flags], index=df.index, dtype=bool)
    return df.loc[possibly].assign(certain=certain[possibly])


def _figures_known(ds: Dataset) -> pd.DataFrame:
    """Figures with the date they became known: their source's date (and its basis), or the
    figure's own as-of date when the source is undated."""
    src = ds.sources.set_index("source_id")
    m = ds.metrics.copy()
    sdate = m["source_id"].map(src["date"]).fillna("")
    sbasis = m["source_id"].map(src["date_basis"]).fillna("")
    has = sdate != ""
    m["known_date"] = sdate.where(has, m["as_of"])
    m["known_basis"] = sbasis.where(has, m["as_of_basis"]).replace({"publication": "stated", "": "stated"})
    return m


def _reached(stages: pd.DataFrame) -> pd.DataFrame:
    return stages[(stages["date_basis"] != "expected") & (stages["stage"] != "expected_open")]


def _summary(scope: str, since: str | None, centres, figures, stages) -> ChangeSummary:
    revised = int((figures["change"] == "revised").sum())
    possibly = sum(int((~f["certain"]).sum()) for f in (centres, figures, stages))
    return ChangeSummary(scope, since, len(centres), len(figures) - revised, revised, len(stages), possibly)


def changes_since(ds: Dataset, since: str, scope: object = "national") -> Changes:
    """What `scope` gained after `since` (a year, a month or a day: its end is the cut-off, as for
    `--as-of`): centres first reported, figures published, stages reached."""
    cut = parse_partial_date(str(since))
    if cut is None:
        raise ValueError(f"since {since!r} is not a date (use YYYY, YYYY-MM or YYYY-MM-DD)")
    label, centre_ids, subjects = _scope(ds, scope)
    c = ds.centers[_in(ds.centers["center_id"], centre_ids)]
    centres = _mark(c, "first_reported", None, cut)[CENTRE_COLUMNS + ["certain"]]
    m = _figures_known(ds)
    m = m[_in(m["subject_id"], subjects)]
    figures = _mark(m, "known_date", "known_basis", cut)[FIGURE_COLUMNS + ["certain"]].assign(
        change="added", old_value=float("nan"), old_unit="", old_qualifier="")
    s = _reached(ds.stages[_in(ds.stages["center_id"], centre_ids)])
    stages = _mark(s, "date", "date_basis", cut)[STAGE_COLUMNS + ["certain"]]
    frames = [f.reset_index(drop=True) for f in (centres, figures, stages)]
    return Changes(*frames, _summary(label, cut.date().isoformat(), *frames))


def changes_between(old: Dataset, new: Dataset, scope: object = "national") -> Changes:
    """What `new` has for `scope` that `old` did not: centres and stages added, figures added or
    revised (rows keyed by subject, metric, breakdown, date, period and source)."""
    label, centre_ids, subjects = _scope(new, scope)
    c = new.centers[_in(new.centers["center_id"], centre_ids) & ~new.centers["center_id"].isin(old.centers["center_id"])]
    centres = c[CENTRE_COLUMNS].assign(certain=True)
    m = _figures_known(new)
    m = m[_in(m["subject_id"], subjects)]
    before = old.metrics[FIGURE_KEY + ["value", "unit", "qualifier"]].rename(
        columns={"value": "old_value", "unit": "old_unit", "qualifier": "old_qualifier"})
    both = m[FIGURE_COLUMNS].merge(before, on=FIGURE_KEY, how="left", indicator=True)
    added = both["_merge"] == "left_only"
    revised = (both["_merge"] == "both") & ((both["value"] != both["old_value"]) | (both["unit"] != both["old_unit"])
                                           | (both["qualifier"] != both["old_qualifier"]))
    figures = both[added | revised].assign(change=["added" if a else "revised" for a in added[added | revised]],
                                           certain=True).drop(columns="_merge")
    stage_key = ["center_id", "stage", "date", "source_id"]
    s = _reached(new.stages[_in(new.stages["center_id"], centre_ids)])
    seen = s[stage_key].merge(old.stages[stage_key].drop_duplicates(), how="left", indicator=True)["_merge"]
    stages = s.loc[(seen == "left_only").to_numpy(), STAGE_COLUMNS].assign(certain=True)
    frames = [f.reset_index(drop=True) for f in (centres, figures, stages)]
    return Changes(*frames, _summary(label, None, *frames))
