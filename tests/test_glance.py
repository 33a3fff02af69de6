"""The national overview's page two opens with every province known to have centres, at a glance:
its count (a stated total marked), per head, named, opened and reporting centres — numbers that
must agree with what the other sections say of the same things."""
from __future__ import annotations

import importlib

import pytest

from briefing_texts import visible_text
from sections_support import briefing, rows


def test_one_row_per_province_known_to_have_centres_and_counts_that_agree_with_the_data():
    from nrmc.sections import glance

    b = briefing("national", "zh")
    t = glance.frame(b)
    status = b.status
    assert list(t["code"]) == [c for c in t["code"]] and set(t["code"]) == set(status.loc[status["known"], "code"])
    # named: the centres.csv rows of each province (approved, not planned), read straight from the CSV
    named = {}
    for r in rows("centers.csv"):
        if r["status"] != "planned":
            named[r["province_code"]] = named.get(r["province_code"], 0) + 1
    assert {r["code"]: r["named"] for r in t.to_dict("records")} == {c: named.get(c, 0) for c in t["code"]}
    # sorted by centres (a province with no number last)
    counts = [x for x in t["count"] if x == x]
    assert counts == sorted(counts, reverse=True) and t["count"].iloc[-1] != t["count"].iloc[-1]
    # the centres reporting results add up to what the performance section says nationally
    perf = importlib.import_module("nrmc.sections.performance")
    f = next(f for f in perf.findings(b) if f.key == "with_results")
    assert t["reporting"].sum() == f.params["centres"].value
    assert (t["reporting"] > 0).sum() == f.params["provinces"].value
    # opened: the progress section's count of open named centres
    prog = importlib.import_module("nrmc.sections.progress")
    o = next(f for f in prog.findings(b) if f.key == "openings")
    assert t["opened"].sum() == o.params["open"].value


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_table_marks_stated_totals_and_prints_no_zero_for_an_unknown_number(lang):
    from nrmc.sections import glance

    b = briefing("national", lang)
    text = visible_text(str(glance.table(b)))
    t = glance.frame(b)
    for r in t.to_dict("records"):
        if r["count_basis"] == "stated":
            assert f"{int(r['count'])}{glance.STATED_MARK}" in text, r["province"]
    unknown = t[t["count"].isna()]
    body, note = text.rsplit("\n", 1)  # the note under the table explains the mark and "≥1"
    assert len(unknown) and body.count("≥1") == len(unknown) and "≥1" in note and glance.STATED_MARK in note


@pytest.mark.parametrize("scope", ["anhui", "shanghai", "tibet"])
def test_only_the_national_overview_has_it(scope):
    from nrmc.sections import glance

    assert glance.table(briefing(scope, "zh")) is None
