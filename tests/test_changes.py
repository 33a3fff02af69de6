"""What is new (issue 22, point 5): centres, figures and stages a scope gained since a date, or
between two editions of the data."""
from __future__ import annotations

from dataclasses import replace

import pandas as pd
import pytest

from nrmc.changes import _after, changes_between, changes_since


def test_centres_figures_and_stages_since_a_date(ds):
    ch = changes_since(ds, "2025-01-15", "anhui")
    # S03 (about 2025-01-22: a day either way) and S01 (not before 2025-11-30) are after the date;
    # S02's list (2023-01-12) is not
    assert set(ch.figures["source_id"]) == {"S01", "S03"} and ch.figures["certain"].all()
    assert set(ch.figures["subject_id"]) <= {"340000"} | set(ds.centers.loc[ds.centers["province_code"] == "340000", "center_id"])
    n = ds.metrics["source_id"].isin(["S01", "S03"]) & ds.metrics["subject_id"].str.match(r"^(340000|AH-\d\d)$")
    assert ch.summary.figures_added == len(ch.figures) == int(n.sum())
    # AH-07 (仁济安徽) is first named by S01; the others by S02 (2023-01-12)
    assert list(ch.centres["center_id"]) == ["AH-07"] and ch.summary.centres_added == 1
    assert ch.summary.stages_reached == len(ch.stages)
    assert (ch.stages["date_basis"] != "expected").all() and (ch.stages["stage"] != "expected_open").all()


def test_a_province_sees_only_its_own(ds):
    ch = changes_since(ds, "2024-06", "贵州")
    assert ch.summary.scope == "520000" and ch.summary.since == "2024-06-30"
    assert list(ch.centres["center_id"]) == ["GZ-03", "GZ-04", "GZ-05", "GZ-06"]  # first reported 2024-10 (S05)
    # S05 is dated about 2024-10 (September to November): certainly after June 2024 …
    # (and P323, dated 29 January 2026, on the Bijie centre)
    assert len(ch.figures) > 0 and set(ch.figures["source_id"]) == {"S05", "P323"} and ch.figures["certain"].all()
    assert ch.summary.possibly == 0
    # … but only possibly after mid-September: listed, never dropped nor claimed as new
    late = changes_since(ds, "2024-09-15", "贵州")
    assert len(late.figures) == len(ch.figures)
    s05 = late.figures[late.figures["source_id"] == "S05"]
    assert len(s05) > 0 and not s05["certain"].any() and late.figures.loc[late.figures["source_id"] == "P323", "certain"].all()
    assert late.summary.possibly == len(s05)
    nat = changes_since(ds, "2024-06")
    assert nat.summary.centres_added >= ch.summary.centres_added and "GZ-03" in set(nat.centres["center_id"])


def test_an_expectation_is_never_a_stage_reached(ds):
    expected = ds.stages[(ds.stages["date_basis"] == "expected") | (ds.stages["stage"] == "expected_open")]
    assert len(expected) > 0
    ch = changes_since(ds, "2019")
    assert not set(zip(ch.stages["center_id"], ch.stages["stage"], ch.stages["date"])) & \
        set(zip(expected["center_id"], expected["stage"], expected["date"]))


@pytest.mark.parametrize("text,basis,expected", [
    ("2023", "stated", (True, False)),  # the year straddles 30 June 2023
    ("2023-07", "stated", (True, True)),
    ("2023-07", "about", (True, False)),  # about July: June is possible
    ("2023-08", "about", (True, True)),
    ("2023-06-30", "about", (True, False)),
    ("2023", "about", (True, False)),
    ("2023-12", "not_after", (True, False)),  # happened by December: perhaps before July
    ("2023-06", "stated", (False, False)),
    ("2023-06-30", "stated", (False, False)),
    ("2023-07-01", "not_before", (True, True)),
])
def test_dates_at_their_precision_against_since(text, basis, expected):
    assert _after(text, basis, pd.Timestamp("2023-06-30")) == expected


def test_changes_between_two_editions(ds):
    """The old edition lacks a centre, a stage and a figure, and has another value for one figure."""
    m = ds.metrics
    revised = m.index[(m["subject_id"] == "AH-06") & (m["metric"] == "new_technologies")][0]
    dropped = m.index[(m["subject_id"] == "AH-07") & (m["metric"] == "expert_studios")][0]
    old_metrics = m.drop(index=dropped).copy()
    old_metrics.loc[revised, "value"] = 200.0
    old = replace(ds, centers=ds.centers[ds.centers["center_id"] != "AH-05"],
                  stages=ds.stages[~((ds.stages["center_id"] == "AH-01") & (ds.stages["stage"] == "open"))],
                  metrics=old_metrics)
    ch = changes_between(old, ds, "anhui")
    assert list(ch.centres["center_id"]) == ["AH-05"]
    assert list(zip(ch.stages["center_id"], ch.stages["stage"])) == [("AH-01", "open")]
    f = ch.figures.set_index(["subject_id", "metric"])
    assert f.loc[("AH-06", "new_technologies"), "change"] == "revised"
    assert f.loc[("AH-06", "new_technologies"), "old_value"] == 200 and f.loc[("AH-06", "new_technologies"), "value"] == 205
    assert f.loc[("AH-07", "expert_studios"), "change"] == "added"
    s = ch.summary
    assert (s.centres_added, s.figures_added, s.figures_revised, s.stages_reached, s.since) == (1, 1, 1, 1, None)
    assert s and s.total == 4
    assert not changes_between(ds, ds).summary  # nothing changed: falsy, every count 0
    other = changes_between(old, ds, "guizhou").summary
    assert other.total == 0


def test_since_must_be_a_date(ds):
    with pytest.raises(ValueError, match="not a date"):
        changes_since(ds, "last week")

