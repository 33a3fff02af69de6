"""Every rule docs/schema.md states is enforced by `nrmc validate` (issue 21, point 3).

docs/schema.md tags each rule `[rule: id]`. RULES below holds, for each id, a dataset that breaks
that rule (the minimal fixture with a few cells changed, or a fixture of tests/fixtures/bad_data/)
and where and how the validator must refuse it. The ids of the two must be the same set: a rule
stated in the schema that no test breaks, or a test for a rule the schema does not state, fails.
"""
from __future__ import annotations

import csv
import re
import shutil
from pathlib import Path

import pytest

import nrmc
from nrmc.data import DataValidationError
from nrmc.integrity import rule_ids
from conftest import BAD, MINIMAL, ROOT

SCHEMA = ROOT / "docs" / "schema.md"


def edited(d: Path, edits=(), append=()) -> Path:
    """`d` (a copy of the minimal dataset) with cells replaced — edits = [(file, line, column,
    value)], line 1-based as an editor shows it (header = 1) — and rows appended: append = [(file,
    {column: value}, copy_of_line)] copies that line and changes the columns given."""
    for file in {e[0] for e in [*edits, *append]}:
        path = d / file
        with open(path, encoding="utf-8", newline="") as f:
            rows = list(csv.reader(f))
        for _, line, column, value in (e for e in edits if e[0] == file):
            rows[line - 1][rows[0].index(column)] = value
        for _, cols, like in (a for a in append if a[0] == file):
            row = list(rows[like - 1])
            for c, v in cols.items():
                row[rows[0].index(c)] = v
            rows.append(row)
        with open(path, "w", encoding="utf-8", newline="") as f:
            csv.writer(f, lineterminator="\n").writerows(rows)
    return d


def cells(*edits):
    return lambda d: edited(d, edits)


def rows(*append):
    return lambda d: edited(d, (), append)


def fixture(name: str):
    def make(d: Path) -> Path:
        for f in (BAD / name).iterdir():
            shutil.copy(f, d / f.name)
        return d
    return make


# rule id → (how to break it, (file, line, column, words of the reason))
RULES = {
    # -- domains of single cells ------------------------------------------------------------
    "number-syntax": (fixture("thousands_separator_underscore"), ("metrics.csv", 4, "value", "'1_000' is not a number")),
    "number-precision": (cells(("metrics.csv", 4, "value", "1234567890123456")),
                         ("metrics.csv", 4, "value", "more than 15 significant digits")),
    "number-underflow": (fixture("underflow_reads_as_zero"), ("metrics.csv", 6, "value", "would read as 0")),
    "number-too-large": (cells(("metrics.csv", 4, "value", "1" + "0" * 400)),
                         ("metrics.csv", 4, "value", "too large to be stored")),
    "province-ranges": (fixture("population_zero"), ("provinces.csv", 13, "pop_2024", "must be greater than 0")),
    "sort-order-range": (cells(("specialties.csv", 2, "sort_order", "-1")),
                         ("specialties.csv", 2, "sort_order", "out of range")),
    "milestone-ranges": (cells(("milestones.csv", 2, "batch", "0")), ("milestones.csv", 2, "batch", "out of range")),
    "value-range": (fixture("absurd_magnitude"), ("metrics.csv", 10, "value", "above the largest value allowed")),
    "count-whole": (cells(("metrics.csv", 2, "value", "0.00000000000000000001")),
                    ("metrics.csv", 2, "value", "is not a whole number of 个")),
    "rate-share": (fixture("percent_over_100"), ("metrics.csv", None, "value", "above 100")),
    "date-valid": (fixture("impossible_date"), ("metrics.csv", 10, "as_of", "not a valid date")),
    "date-from-1949": (cells(("metrics.csv", 2, "as_of", "1948")), ("metrics.csv", 2, "as_of", "dates run from 1949")),
    "date-not-future": (fixture("future_as_of"), ("metrics.csv", 8, "as_of", "lies after today")),
    "period-years": (cells(("metrics.csv", 4, "period", "2024/2022")), ("metrics.csv", 4, "period", "span of years")),
    "expected-within-10-years": (fixture("expected_date_too_far"), ("stages.csv", 9, "date", "more than 10 years")),
    "url-http": (fixture("javascript_url"), ("sources.csv", 2, "url", "must be an absolute http:// or https://")),
    "url-host-lookalike": (cells(("sources.csv", 2, "url", "https://\u0430pple.com/news")),
                           ("sources.csv", 2, "url", "xn--pple-43d.com")),
    "text-no-control": (fixture("nul_byte"), ("centers.csv", 2, "name_zh", "control character")),
    "text-visible": (cells(("centers.csv", 2, "name_zh", "测试儿科医院\u202e安徽医院")),
                     ("centers.csv", 2, "name_zh", "U+202E RIGHT-TO-LEFT OVERRIDE")),
    "text-nfc": (cells(("centers.csv", 2, "name_en", "Test Cafe\u0301 Hospital")),
                 ("centers.csv", 2, "name_en", "not in Unicode normal form NFC")),
    "rows-required": (fixture("header_only_metrics"), ("metrics.csv", None, None, "no data rows")),
    "file-readable": (fixture("not_utf8_gbk"), ("centers.csv", 2, None, "not UTF-8")),
    "columns-and-codes": (fixture("missing_column"), ("centers.csv", 1, "host_hospital_zh", "missing")),
    "required-values": (fixture("figure_without_source"), ("metrics.csv", 8, "source_id", "required value is empty")),
    # -- across rows and tables -------------------------------------------------------------
    "ids-unique": (fixture("duplicate_center_id"), ("centers.csv", 4, "center_id", "duplicate")),
    "names-unique-normalised": (cells(("centers.csv", 3, "name_zh", "测试儿科医院\u3000安徽医院")),
                                ("centers.csv", 3, "name_zh", "same name as '测试儿科医院安徽医院' on line 2")),
    "references-resolve": (fixture("unknown_source_id"), ("metrics.csv", 6, "source_id", "unknown source id 'S99'")),
    "hospitals-listed": (cells(("centers.csv", 2, "output_hospital_zh", "不存在的医院")),
                         ("centers.csv", 2, "output_hospital_zh", "add it to hospitals.csv")),
    "province-names-unique": (cells(("provinces.csv", 13, "aliases", "hubei")),
                              ("provinces.csv", 18, "slug", "also names another province")),
    "slug-not-output-name": (cells(("provinces.csv", 13, "slug", "index")),
                             ("provinces.csv", 13, "slug", "a name the build writes into the output folder")),
    "names-resolvable": (cells(("provinces.csv", 13, "aliases", "a" * 65)),
                         ("provinces.csv", 13, "aliases", "longer than 64 characters")),
    "id-prefix-province": (cells(("centers.csv", 4, "province_code", "450000")),
                           ("centers.csv", 4, "center_id", "ISO suffix 'GX'")),
    "city-in-province": (cells(("centers.csv", 2, "city_zh", "十堰市")),
                         ("centers.csv", 2, "city_zh", "'十堰市' lies in 湖北 (420000)")),
    "one-province-per-tile": (cells(("provinces.csv", 14, "tile_row", "6"), ("provinces.csv", 14, "tile_col", "7")),
                              ("provinces.csv", 14, "tile_col", "tile (6, 7) is also 安徽's (line 13)")),
    "stage-order": (cells(("stages.csv", 4, "date", "2022-01-01")),
                    ("stages.csv", 3, "date", "'trial' (2022-12-28, stated) lies after its 'open'")),
    "stage-once": (rows(("stages.csv", {"date": "2023-07-01"}, 4)),
                   ("stages.csv", 8, "date", "these dates cannot be one event")),
    "stage-status": (cells(("stages.csv", 7, "stage", "approved")),
                     ("stages.csv", 7, "stage", "GZ-02 is a planned project")),
    "period-by-as-of": (cells(("metrics.csv", 6, "as_of", "2023-06"), ("metrics.csv", 6, "period", "2022/2024")),
                        ("metrics.csv", 6, "period", "ends after the figure's as-of date 2023-06")),
    "totals-never-fall": (cells(("milestones.csv", 3, "projects_total", "3")),
                          ("milestones.csv", 3, "projects_total", "3 on 2023-11-08 is smaller than 10 on 2019-11")),
    "unit-matches-metric": (fixture("unit_mismatch"), ("metrics.csv", 7, "unit", "does not match metric")),
    "flag-reasons": (fixture("flag_without_reason"), ("metrics.csv", 10, "note", "needs its reasoning")),
    "figure-once": (rows(("metrics.csv", {}, 5)), ("metrics.csv", 12, None, "duplicate figure")),
    "inferred-specialty-note": (fixture("inferred_specialty_without_reason"),
                                ("centers.csv", 3, "note", "an inferred specialty needs its reasoning")),
    "city-basis": (cells(("centers.csv", 2, "city_basis", "")), ("centers.csv", 2, "city_basis", "needs its basis")),
    "date-basis": (cells(("sources.csv", 2, "date_basis", "")), ("sources.csv", 2, "date_basis", "needs its basis")),
    "value-matches-quote": (cells(("metrics.csv", 4, "value", "815")), ("metrics.csv", 4, "value", "quote")),
    "batch-conflict-flagged": (rows(("center_batches.csv", {"batch": "4", "source_id": "S02"}, 2)),
                               ("center_batches.csv", None, "flag", "the sources disagree on AH-01's batch")),
}


def test_the_schema_and_the_tests_name_the_same_rules():
    documented = rule_ids(SCHEMA.read_text(encoding="utf-8"))
    assert len(documented) == len(set(documented)), "a rule id is used twice in docs/schema.md"
    assert sorted(set(documented) - set(RULES)) == [], "rules stated in docs/schema.md without a test here"
    assert sorted(set(RULES) - set(documented)) == [], "tests here for rules docs/schema.md does not state"


def test_every_rule_the_integrity_module_enforces_is_documented():
    code = (ROOT / "src" / "nrmc" / "integrity.py").read_text(encoding="utf-8")
    assert set(rule_ids(code)) <= set(rule_ids(SCHEMA.read_text(encoding="utf-8")))
    assert len(set(rule_ids(code))) >= 12


@pytest.mark.parametrize("rule", sorted(RULES))
def test_validate_enforces_the_rule(rule, tmp_path):
    make, (file, line, column, words) = RULES[rule]
    d = tmp_path / "data"
    shutil.copytree(MINIMAL, d)
    make(d)
    with pytest.raises(DataValidationError) as info:
        nrmc.load(d)
    hits = [p for p in info.value.problems
            if p.file == file and (line is None or p.line == line) and p.column == column and words in p.reason]
    assert hits, f"{rule}: no problem at {file}:{line}:{column} saying {words!r}\n{info.value}"


def test_the_minimal_fixture_and_the_shipped_data_break_no_rule():
    nrmc.load(MINIMAL)
    nrmc.load(ROOT / "data")


# ---------------------------------------------------------------------------------------------
# Variants of the new rules (the red team's cases and new ones)
# ---------------------------------------------------------------------------------------------
def problems_of(tmp_path, *edits, append=()):
    d = tmp_path / "data"
    shutil.copytree(MINIMAL, d)
    edited(d, edits, append)
    with pytest.raises(DataValidationError) as info:
        nrmc.load(d)
    return info.value.problems


INVISIBLE = ["\u05d0", "\u0627", "\u0661", "\u0710", "\u202e", "\u202a", "\u202b", "\u202c", "\u202d", "\u2066", "\u2067", "\u2068", "\u2069", "\u200e",
             "\u200f", "\u061c", "\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad", "\u2028", "\u2029",
             "\ue000", "\U000e0041", "\u180e", "\u2061"]


@pytest.mark.parametrize("ch", INVISIBLE, ids=[f"U+{ord(c):04X}" for c in INVISIBLE])
def test_bidi_and_invisible_characters_are_refused_in_any_text(tmp_path, ch):
    probs = problems_of(tmp_path, ("centers.csv", 2, "name_zh", f"测试{ch}儿科医院安徽医院"),
                        ("metrics.csv", 6, "note", f"4{ch}12"), ("stages.csv", 2, "label_en", f"appro{ch}ved"))
    assert sorted((p.file, p.line, p.column) for p in probs) == [
        ("centers.csv", 2, "name_zh"), ("metrics.csv", 6, "note"), ("stages.csv", 2, "label_en")]
    assert all(f"U+{ord(ch):04X}" in p.reason for p in probs)


def test_a_bom_at_the_start_of_a_file_is_not_text(tmp_path):
    d = tmp_path / "data"
    shutil.copytree(MINIMAL, d)
    p = d / "centers.csv"
    p.write_bytes(b"\xef\xbb\xbf" + p.read_bytes())
    assert len(nrmc.load(d).centers) == 4


@pytest.mark.parametrize("a,b", [("测试儿科医院安徽医院", "测试儿科医院 安徽医院"), ("Test Union Hospital", "TEST UNION HOSPITAL"),
                                 ("测试儿科医院(安徽)", "测试儿科医院（安徽）"), ("Ｔｅｓｔ", "Test")])
def test_names_that_collide_once_normalised_are_refused(tmp_path, a, b):
    probs = problems_of(tmp_path, append=[("hospitals.csv", {"name_zh": a}, 2), ("hospitals.csv", {"name_zh": b}, 2)])
    assert [(p.file, p.line, p.column) for p in probs] == [("hospitals.csv", 9, "name_zh")]


@pytest.mark.parametrize("column,value,line,col", [
    ("slug", "national", 13, "slug"), ("slug", "en", 13, "slug"), ("slug", "notebooks", 13, "slug"),
    ("slug", "zh", 13, "slug"), ("slug", "state", 13, "slug"),
    ("name_en", "China", 13, "name_en"), ("aliases", "quanguo;全国", 13, "aliases"),
    ("name_en", "Hubei", 18, "slug"), ("slug", "hubei", 18, "slug"), ("aliases", "HU-BEI", 18, "slug"),
    ("abbr_zh_alt", "鄂", 18, "abbr_zh"), ("aliases", "42", 18, "code"), ("aliases", "CN-HB", 18, "iso"),
    ("aliases", "anhui;;wan", 13, "aliases"),
])
def test_province_names_name_one_province_and_no_output(tmp_path, column, value, line, col):
    probs = problems_of(tmp_path, ("provinces.csv", 13, column, value))
    assert (("provinces.csv", line, col) in [(p.file, p.line, p.column) for p in probs]), probs


def test_a_province_named_like_another_no_longer_builds_the_other(tmp_path):
    """The red team's case: Anhui's alias `hubei` made `nrmc build hubei` build Anhui."""
    from click.testing import CliRunner

    from nrmc.cli import main

    d = tmp_path / "data"
    shutil.copytree(MINIMAL, d)
    edited(d, [("provinces.csv", 13, "aliases", "hubei")])
    r = CliRunner().invoke(main, ["build", "hubei", "--data", str(d), "--out", str(tmp_path / "out"),
                                  "--format", "html"], env={"CI": "true"})
    assert r.exit_code == 1 and "also names another province" in r.output
    assert not (tmp_path / "out" / "anhui.html").exists()


@pytest.mark.parametrize("stages,bad", [
    # (center, stage, date, basis) rows for AH-01 replacing the fixture's; the line refused
    ([("approved", "2023-01-01", "stated"), ("open", "2022-06", "stated")], 2),
    ([("approved", "2023", "stated"), ("trial", "2022-12-28", "stated")], 2),
    ([("open", "2024-01-01", "stated"), ("operating", "2023-12-31", "stated")], 2),
    ([("approved", "2024-08-01", "stated"), ("listed", "2023-01-12", "not_after")], 2),
])
def test_stage_order(tmp_path, stages, bad):
    d = tmp_path / "data"
    shutil.copytree(MINIMAL, d)
    head = "center_id,stage,date,date_basis,source_id,quote,label_zh,label_en,note\n"
    (d / "stages.csv").write_text(head + "".join(f"AH-01,{s},{dt},{b},S01,q,,,\n" for s, dt, b in stages), encoding="utf-8")
    with pytest.raises(DataValidationError) as info:
        nrmc.load(d)
    assert [(p.line, p.column) for p in info.value.problems] == [(bad, "date")]


@pytest.mark.parametrize("stages", [
    [("approved", "2023", "stated"), ("open", "2023-06", "stated")],  # same year: may be in order
    [("approved", "2023-07", "not_after"), ("open", "2023-02", "stated")],  # approved by July: may be earlier
    [("approved", "2023-08", "about"), ("trial", "2023-02", "stated")],  # about: within a year
    [("open", "2023-02-02", "stated"), ("expected_open", "2022-01", "expected")],  # an expectation is not ordered
    # a host renamed under its partner's name before the approval (JX-07: 挂牌运营 2022-02, approved 2022-10)
    [("approved", "2023-05", "stated"), ("plaque", "2023-04-30", "stated")],
    [("approved", "2023-07-08", "stated"), ("under_construction", "2022-02", "stated")],  # a building begun before
    # two sources dating one approval: a month and a 'by' date that can be the same event (JX-01)
    [("approved", "2021-10", "stated"), ("approved", "2022-05-20", "not_after")],
])
def test_stage_dates_that_may_be_in_order_are_accepted(tmp_path, stages):
    d = tmp_path / "data"
    shutil.copytree(MINIMAL, d)
    head = "center_id,stage,date,date_basis,source_id,quote,label_zh,label_en,note\n"
    (d / "stages.csv").write_text(head + "".join(f"AH-01,{s},{dt},{b},S01,q,,,\n" for s, dt, b in stages), encoding="utf-8")
    nrmc.load(d)


def test_repeated_agreements_and_expectations_are_accepted_but_not_a_row_twice(tmp_path):
    d = tmp_path / "data"
    shutil.copytree(MINIMAL, d)
    edited(d, append=[("stages.csv", {"date": "2022-04"}, 7)])
    nrmc.load(d)
    edited(d, append=[("stages.csv", {"date": "2022-04"}, 7)])
    with pytest.raises(DataValidationError) as info:
        nrmc.load(d)
    assert [(p.line, p.column) for p in info.value.problems] == [(9, "stage")]


@pytest.mark.parametrize("period,as_of,basis,ok", [
    ("2024", "2024-10", "publication", True),  # the year so far
    ("2023/2024", "2024-10", "publication", True),
    ("2025", "2024-10", "publication", False),  # not begun
    ("2023/2025", "2024", "stated", False),  # ends after its as-of
    ("2030", "2024", "not_before", False),  # a future year is refused anyway (period-years)
    ("2023/2025", "2024", "not_before", True),  # dated on or after 2024: may be later
])
def test_periods_and_their_as_of(tmp_path, period, as_of, basis, ok):
    d = tmp_path / "data"
    shutil.copytree(MINIMAL, d)
    edited(d, [("metrics.csv", 6, "period", period), ("metrics.csv", 6, "as_of", as_of),
               ("metrics.csv", 6, "as_of_basis", basis)])
    if ok:
        nrmc.load(d)
    else:
        with pytest.raises(DataValidationError) as info:
            nrmc.load(d)
        assert [(p.line, p.column) for p in info.value.problems] == [(6, "period")]


def test_a_plan_target_may_name_a_period_that_ends_later(tmp_path):
    d = tmp_path / "data"
    shutil.copytree(MINIMAL, d)
    edited(d, [("metric_definitions.csv", 2, "theme", "policy"), ("metrics.csv", 2, "period", "2021/2025"),
               ("metrics.csv", 2, "as_of", "2022-09-26")])
    nrmc.load(d)


def test_official_totals_and_batches_never_go_back(tmp_path):
    probs = problems_of(tmp_path, append=[("milestones.csv", {"date": "2024-06", "projects_total": "76", "batch": "4"}, 3)])
    assert sorted((p.line, p.column) for p in probs) == [(4, "batch"), (4, "projects_total")]


def test_totals_dated_loosely_are_compared_only_when_surely_ordered(tmp_path):
    d = tmp_path / "data"
    shutil.copytree(MINIMAL, d)
    # '2023' (the year) against 2023-11-08: either may come first, so 120 then 125 is not a fall
    edited(d, append=[("milestones.csv", {"date": "2023", "projects_total": "130", "batch": ""}, 3)])
    nrmc.load(d)


def test_a_city_breakdown_of_a_figure_lies_in_its_province(tmp_path):
    probs = problems_of(tmp_path, ("metrics.csv", 3, "breakdown", "city=十堰市"))
    assert [(p.file, p.line, p.column) for p in probs] == [("metrics.csv", 3, "breakdown")]
    assert "湖北 (420000)" in probs[0].reason and "安徽 (340000)" in probs[0].reason


def test_a_provincial_centre_id_names_its_province(tmp_path):
    probs = problems_of(tmp_path, ("provincial_centers.csv", 2, "prc_id", "PRC-AH-01"))
    assert [(p.file, p.line, p.column) for p in probs] == [("provincial_centers.csv", 2, "prc_id")]


@pytest.mark.parametrize("url", [
    "https://\u0430pple.com/", "https://\u0430\u0440\u0440\u04cf\u0435.com/", "https://xn--pple-43d.com/",
    "https://g\u043e\u043egle.com/", "https://\u0251pple.com/", "https://\u0131nfo.example/",
    "https://\uff45xample.com/", "https://e\u0301xample.com/", "https://xn--zz.com/", "https://www.\u03bfpenai.com/",
    "https://\u13aa\u13a2.example/",
])
def test_look_alike_hosts_are_refused(url):
    from nrmc.safety import safe_url, url_problem

    assert url_problem(url) is not None and safe_url(url) is None


@pytest.mark.parametrize("url", ["https://\u043f\u0440\u0438\u043c\u0435\u0440.\u0440\u0444/", "https://清华大学.cn/x",
                                 "https://zh.wikipedia.org/wiki/国家区域医疗中心", "https://m\u00fcnchen.de/",
                                 "http://www.nhc.gov.cn/a.shtml", "https://xn--fiqs8s.cn/"])
def test_hosts_in_one_script_are_accepted(url):
    from nrmc.safety import url_problem

    assert url_problem(url) is None


def test_a_crlf_file_with_a_line_break_inside_a_quoted_note_is_accepted(tmp_path):
    d = tmp_path / "data"
    shutil.copytree(MINIMAL, d)
    p = d / "metrics.csv"
    text = p.read_text(encoding="utf-8").rstrip("\n").split("\n")
    text[4] = text[4] + '"first line\r\nsecond line"'  # the empty note of line 5
    p.write_bytes(("\r\n".join(text) + "\r\n").encode("utf-8"))
    ds = nrmc.load(d)
    assert "first line\nsecond line" in ds.metrics["note"].tolist()
    # a lone carriage return inside a cell is still a control character
    p.write_bytes(p.read_bytes().replace(b"first line\r\n", b"first line\r"))
    with pytest.raises(DataValidationError) as info:
        nrmc.load(d)
    assert "control character" in str(info.value)


def test_schema_rule_ids_are_well_formed():
    text = SCHEMA.read_text(encoding="utf-8")
    assert not re.findall(r"\[rule:(?! [a-z0-9-]+\])", text)


@pytest.mark.parametrize("name", ["glossary", "national", "en", "notebooks"])
def test_a_slug_is_never_a_page_or_folder_the_build_writes(tmp_path, name):
    """A red team found `glossary` accepted: Anhui's English briefing became en/glossary.html and
    the glossary page replaced it."""
    probs = problems_of(tmp_path, ("provinces.csv", 13, "slug", name))
    assert any(p.file == "provinces.csv" and p.line == 13 and p.column == "slug"
               and "a name the build writes into the output folder" in p.reason for p in probs), probs
