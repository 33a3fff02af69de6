"""Bad data gets a clear error naming file, line, column and reason, and every problem is listed."""
from __future__ import annotations

import csv
import shutil
import subprocess
import sys

import pytest
from click.testing import CliRunner

import nrmc
from nrmc.cli import main as cli_main
from nrmc.data import DataValidationError, parse_partial_date
from nrmc.safety import safe_url
from conftest import MINIMAL


def problems(path):
    with pytest.raises(DataValidationError) as info:
        nrmc.load(path)
    return info.value.problems, str(info.value)


def test_minimal_fixture_is_valid():
    ds = nrmc.load(MINIMAL)
    assert len(ds.centers) == 4
    assert ds.metrics["value"].dtype == "float64"
    assert str(ds.metrics.loc[ds.metrics["metric"] == "outpatient_visits", "as_of_dt"].iloc[0].date()) == "2024-08-31"


def test_utf8_with_bom_is_accepted(bad_data):
    ds = nrmc.load(bad_data("utf8_bom_is_fine"))
    assert "center_id" in ds.centers.columns and ds.centers["center_id"].iloc[0] == "AH-01"


def test_gbk_file_is_named_as_such(bad_data):
    probs, text = problems(bad_data("not_utf8_gbk"))
    assert len(probs) == 1
    p = probs[0]
    assert p.file == "centers.csv"
    assert p.line == 2  # the first line with a Chinese character
    assert "not UTF-8" in p.reason and "GB18030" in p.reason
    assert "centers.csv, line 2" in text


def test_missing_column(bad_data):
    probs, _ = problems(bad_data("missing_column"))
    assert [(p.file, p.line, p.column) for p in probs] == [("centers.csv", 1, "host_hospital_zh")]
    assert "missing" in probs[0].reason


def test_duplicate_center_id(bad_data):
    probs, _ = problems(bad_data("duplicate_center_id"))
    dup = [p for p in probs if p.column == "center_id"]
    assert dup and dup[0].file == "centers.csv" and dup[0].line == 4 and "duplicate" in dup[0].reason
    assert "'AH-01'" in dup[0].reason


def test_a_figure_entered_twice_names_both_lines(tmp_path):
    """A metrics row pasted twice (its breakdown and flag empty) is a duplicate, not a crash."""
    import shutil

    from conftest import MINIMAL

    data = tmp_path / "data"
    shutil.copytree(MINIMAL, data)
    lines = (data / "metrics.csv").read_text(encoding="utf-8").splitlines()
    (data / "metrics.csv").write_text("\n".join([*lines, lines[1]]) + "\n", encoding="utf-8")
    probs, _ = problems(data)
    assert [(p.file, p.line) for p in probs] == [("metrics.csv", len(lines) + 1)]
    assert "duplicate figure" in probs[0].reason and "line 2" in probs[0].reason


def test_non_numeric_value(bad_data):
    probs, _ = problems(bad_data("non_numeric_value"))
    assert [(p.file, p.line, p.column) for p in probs] == [("metrics.csv", 4, "value")]
    assert "'814项' is not a number" in probs[0].reason


def test_impossible_date(bad_data):
    probs, _ = problems(bad_data("impossible_date"))
    assert [(p.file, p.line, p.column) for p in probs] == [("metrics.csv", 10, "as_of")]
    assert "2024-02-30" in probs[0].reason and "not a valid date" in probs[0].reason


def test_unknown_province_names_closest(bad_data):
    probs, _ = problems(bad_data("unknown_province"))
    assert [(p.file, p.line, p.column) for p in probs] == [("centers.csv", 4, "province_code")]
    assert "unknown province code '529999'" in probs[0].reason


def test_unknown_source_id(bad_data):
    probs, _ = problems(bad_data("unknown_source_id"))
    assert [(p.file, p.line, p.column) for p in probs] == [("metrics.csv", 6, "source_id")]
    assert "'S99'" in probs[0].reason


def test_unknown_specialty_suggests(bad_data):
    probs, _ = problems(bad_data("unknown_specialty"))
    assert [(p.file, p.line, p.column) for p in probs] == [("centers.csv", 3, "specialty")]
    assert "closest: 'trauma'" in probs[0].reason


def test_empty_file(bad_data):
    probs, _ = problems(bad_data("empty_file"))
    assert [(p.file, p.line) for p in probs] == [("metrics.csv", None)]
    assert "empty" in probs[0].reason


def test_unit_must_match_definition(bad_data):
    probs, _ = problems(bad_data("unit_mismatch"))
    assert [(p.file, p.line, p.column) for p in probs] == [("metrics.csv", 7, "unit")]
    assert "'例'" in probs[0].reason and "'项'" in probs[0].reason


def test_figure_without_source(bad_data):
    probs, _ = problems(bad_data("figure_without_source"))
    assert [(p.file, p.line, p.column) for p in probs] == [("metrics.csv", 8, "source_id")]
    assert "empty" in probs[0].reason


def test_figure_without_date(bad_data):
    probs, _ = problems(bad_data("figure_without_date"))
    assert [(p.file, p.line, p.column) for p in probs] == [("metrics.csv", 9, "as_of")]


def test_every_problem_is_listed_not_only_the_first(tmp_path, bad_data):
    d = bad_data("non_numeric_value")
    # add a second, independent fault in another file
    c = (d / "centers.csv").read_text(encoding="utf-8").replace(",trauma,inferred,", ",traumatology,inferred,")
    (d / "centers.csv").write_text(c, encoding="utf-8")
    probs, text = problems(d)
    assert {(p.file, p.column) for p in probs} == {("metrics.csv", "value"), ("centers.csv", "specialty")}
    assert text.startswith("2 problem(s)")


def test_validate_command_exit_status(bad_data):
    ok = subprocess.run([sys.executable, "-c", "import sys; from nrmc.data import validate_report as v;"
                         f"t, ok = v({str(MINIMAL)!r}); print(t); sys.exit(0 if ok else 1)"],
                        capture_output=True, text=True)
    assert ok.returncode == 0 and "3 approved centres" in ok.stdout
    bad = bad_data("unknown_source_id")
    text, good = nrmc.data.validate_report(bad)
    assert not good and "metrics.csv, line 6, column 'source_id'" in text


@pytest.mark.parametrize("text,expected", [("2024", "2024-12-31"), ("2024-02", "2024-02-29"), ("2023-02", "2023-02-28"),
                                           ("2024-08-31", "2024-08-31")])
def test_partial_dates_mean_end_of_period(text, expected):
    assert str(parse_partial_date(text).date()) == expected


@pytest.mark.parametrize("text", ["2024-13", "2024-02-30", "24-01-01", "2024/01/01", "", "abc", "1800"])
def test_invalid_dates(text):
    assert parse_partial_date(text) is None


def test_load_is_cached_but_returns_independent_copies():
    a = nrmc.load(MINIMAL)
    a.centers.loc[0, "name_zh"] = "changed"
    b = nrmc.load(MINIMAL)
    assert b.centers.loc[0, "name_zh"] != "changed"


def test_env_var_overrides_default_dir(monkeypatch):
    monkeypatch.setenv("NRMC_DATA", str(MINIMAL))
    assert len(nrmc.load().centers) == 4


def test_flag_needs_its_reasoning_in_both_languages(bad_data):
    probs, _ = problems(bad_data("flag_without_reason"))
    assert [(p.file, p.line, p.column) for p in probs] == [("metrics.csv", 10, "note"), ("metrics.csv", 10, "flag_reason_zh")]
    assert "'suspect_unit' needs its reasoning" in probs[0].reason


def test_inferred_specialty_needs_its_reasoning(bad_data):
    probs, _ = problems(bad_data("inferred_specialty_without_reason"))
    assert [(p.file, p.line, p.column) for p in probs] == [("centers.csv", 3, "note")]


# ---------------------------------------------------------------------------------------------
# Impossible and hostile values (issue 12): each is refused by `nrmc.load()` and `nrmc validate`
# (exit status 1) with file, line, column and reason, never a traceback.
# ---------------------------------------------------------------------------------------------
REPO = MINIMAL.parents[2]

# fixture under tests/fixtures/bad_data/ → the one problem it must produce: file, line, column, words
HOSTILE = {
    "javascript_url": ("sources.csv", 2, "url", "must be an absolute http:// or https:// address (scheme: javascript:)"),
    "population_zero": ("provinces.csv", 13, "pop_2024", "'0' is out of range: must be greater than 0"),
    "population_negative": ("provinces.csv", 25, "pop_2023", "'-1400' is out of range: must be greater than 0"),
    "center_count_negative": ("metrics.csv", 11, "value", "-9 个 is below the smallest value allowed"),
    "center_count_fractional": ("metrics.csv", 2, "value", "2.5 个 is not a whole number"),
    "value_nan": ("metrics.csv", 4, "value", "'nan' is not a number"),
    "value_infinity": ("metrics.csv", 5, "value", "'Infinity' is not a number"),
    "absurd_magnitude": ("metrics.csv", 10, "value", "is above the largest value allowed for metric 'outpatient_visits'"),
    "underflow_reads_as_zero": ("metrics.csv", 6, "value", "not zero but would read as 0"),
    "thousands_separator_underscore": ("metrics.csv", 4, "value", "'1_000' is not a number"),
    "future_as_of": ("metrics.csv", 8, "as_of", "'2099-01-01' lies after today"),
    "header_only_metrics": ("metrics.csv", None, None, "found no data rows, only a header"),
    "province_code_prefix_only": ("centers.csv", 3, "province_code", "unknown province code '349999'"),
    "expected_date_too_far": ("stages.csv", 9, "date", "expected date '2099' is more than 10 years after its source's date"),
    "nul_byte": ("centers.csv", 2, "name_zh", "contains a control character"),
    "unclosed_quote": ("metrics.csv", 5, "quote", "a quoted cell that opens on line 5 is never closed"),
}


def where(file, line, column) -> str:
    return file + (f", line {line}" if line else "") + (f", column '{column}'" if column else "") + ":"


def validate_cli(data) -> tuple[int, str]:
    r = CliRunner().invoke(cli_main, ["validate", "--data", str(data)], catch_exceptions=False)
    return r.exit_code, r.output


@pytest.mark.parametrize("case", HOSTILE)
def test_hostile_value_is_refused_naming_file_line_column(bad_data, case):
    file, line, column, words = HOSTILE[case]
    probs, text = problems(bad_data(case))
    assert [(p.file, p.line, p.column) for p in probs] == [(file, line, column)], text
    assert words in probs[0].reason
    assert "required value is empty" not in text  # 'nan' used to be reported as empty


@pytest.mark.parametrize("case", HOSTILE)
def test_validate_command_exits_1_on_hostile_value(bad_data, case):
    file, line, column, words = HOSTILE[case]
    status, out = validate_cli(bad_data(case))
    assert status == 1
    assert where(file, line, column) in out and words in out and "Traceback" not in out


def test_validate_command_as_a_process(bad_data):
    """`python -m nrmc validate --data DIR` exits 1 with the message (exit 0 on good data: see
    test_validate_command_exit_status)."""
    bad = subprocess.run([sys.executable, "-m", "nrmc", "validate", "--data", str(bad_data("javascript_url"))],
                         capture_output=True, text=True, cwd=REPO, timeout=300)
    assert bad.returncode == 1 and "sources.csv, line 2, column 'url'" in bad.stdout and "Traceback" not in bad.stderr


def with_cells(tmp_path, edits) -> "Path":
    """A copy of the minimal dataset with cells replaced: edits = [(file, line, column, value)], line
    1-based as an editor shows it (header = 1); a line past the end appends a copy of the last row."""
    d = tmp_path / "data"
    if not d.exists():
        shutil.copytree(MINIMAL, d)
    for file in {e[0] for e in edits}:
        path = d / file
        with open(path, encoding="utf-8", newline="") as f:
            rows = list(csv.reader(f))
        for _, line, column, value in (e for e in edits if e[0] == file):
            while len(rows) < line:
                rows.append(list(rows[-1]))
            rows[line - 1][rows[0].index(column)] = value
        with open(path, "w", encoding="utf-8", newline="") as f:
            csv.writer(f, lineterminator="\n").writerows(rows)
    return d


def with_cell(tmp_path, file: str, line: int, column: str, value: str):
    return with_cells(tmp_path, [(file, line, column, value)])


def cells(probs) -> list[tuple]:
    return sorted((p.file, p.line, p.column) for p in probs)


# -- 1. links ------------------------------------------------------------------------------------
DANGEROUS_URLS = ["javascript:alert(1)", " JaVaScRiPt:alert(1)", "JAVASCRIPT:alert(1)", "java\tscript:alert(1)",
                  "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==", "data:text/html,<script>x</script>",
                  "file:///etc/passwd", "vbscript:msgbox(1)", "javascript&#58;alert(1)", "&#106;avascript:alert(1)",
                  "//evil.example/x", "evil.example/x", "https:evil.example", "https:\\\\evil.example",
                  "https://good.example\\@evil.example", "https://user:pw@evil.example/", "https://",
                  "https://x.example/\u202egnp.exe", "https://x.example/\u200b", "https://x.example:99999/", "ftp://x.example/"]


def test_dangerous_url_schemes_are_refused(tmp_path):
    """Each URL in a source row of its own (new rows R15… after the 19 of the fixture): every one is
    refused, on its line."""
    edits = [e for i, url in enumerate(DANGEROUS_URLS)
             for e in (("sources.csv", 21 + i, "url", url), ("sources.csv", 21 + i, "source_id", f"R{15 + i}"))]
    probs, _ = problems(with_cells(tmp_path, edits))
    assert cells(probs) == [("sources.csv", 21 + i, "url") for i in range(len(DANGEROUS_URLS))]
    for p in probs:
        assert "is not accepted as a link" in p.reason or "control character" in p.reason  # java\tscript
    assert [safe_url(u) for u in DANGEROUS_URLS] == [None] * len(DANGEROUS_URLS)


GOOD_URLS = ["https://news.syxbgm.com/15772.html", "http://www.nhc.gov.cn/a/b.shtml?id=1&x=2#top", "HTTPS://Example.ORG",
             "https://zh.wikipedia.org/wiki/国家区域医疗中心", "http://[2001:db8::1]:8080/x"]


def test_http_urls_with_a_host_are_accepted(tmp_path):
    edits = [("sources.csv", 3 + i, "url", url) for i, url in enumerate(GOOD_URLS)]
    ds = nrmc.load(with_cells(tmp_path, edits))
    assert ds.sources["url"].iloc[1: 1 + len(GOOD_URLS)].tolist() == GOOD_URLS
    assert [safe_url(u) for u in GOOD_URLS] == GOOD_URLS  # the renderers' defence in depth: URL unchanged


@pytest.mark.parametrize("value", [None, "", 3, "mailto:a@b.example", "https://%6a.example/"])
def test_safe_url_is_none_for_anything_but_an_http_url(value):
    assert safe_url(value) is None


# -- 2. domains: numbers -------------------------------------------------------------------------
NOT_NUMBERS = ["inf", "Infinity", "-inf", "+inf", "nan", "NaN", "-nan", "1e308", "9e-400", "1E3", "1_000", "1,000", "+5",
               "0x10", "1 000", "１２３", "٣", "12.", ".5", "1.2.3", "--1", "5-"]


def test_number_forms_python_accepts_but_the_readme_forbids(tmp_path):
    edits = []
    for i, text in enumerate(NOT_NUMBERS):
        edits += [("metrics.csv", 12 + i, "value", text), ("metrics.csv", 12 + i, "breakdown", f"copy=n{i}")]
    probs, _ = problems(with_cells(tmp_path, edits))
    assert cells(probs) == [("metrics.csv", 12 + i, "value") for i in range(len(NOT_NUMBERS))]
    for p in probs:
        text = NOT_NUMBERS[p.line - 12]
        # an Arabic-Indic digit is refused first as right-to-left text (it reorders the numbers beside it)
        assert p.reason.startswith(f"{text!r} is not a number") or (text == "٣" and "right-to-left" in p.reason), p


NUMERIC_CELLS = [("provinces.csv", "area_km2"), ("provinces.csv", "pop_2022"), ("milestones.csv", "batch"),
                 ("specialties.csv", "sort_order"), ("metric_definitions.csv", "max"), ("metrics.csv", "value")]


def test_not_a_number_in_any_numeric_column(tmp_path):
    """nan, inf, -Infinity in every kind of numeric column: 'not a number', never 'empty'."""
    texts = ["nan", "inf", "-Infinity"]
    edits = [(f, 2 + i, c, t) for f, c in NUMERIC_CELLS for i, t in enumerate(texts)]
    probs, text = problems(with_cells(tmp_path, edits))
    assert cells(probs) == sorted((f, 2 + i, c) for f, c in NUMERIC_CELLS for i in range(len(texts)))
    for p in probs:
        assert "is not a number" in p.reason or "is not a whole number" in p.reason, p
    assert "empty" not in text


@pytest.mark.parametrize("file,line,column,value,words", [
    ("provinces.csv", 2, "area_km2", "0", "greater than 0"),
    ("provinces.csv", 2, "area_km2", "99999999", "at most 2,000,000 km²"),
    ("provinces.csv", 2, "pop_2024", "1000000", "at most 20,000 万人"),
    ("provinces.csv", 2, "tile_row", "-1", "at least 0"),
    ("milestones.csv", 2, "projects_total", "-1", "at least 0"),
    ("milestones.csv", 2, "batch", "0", "at least 1"),
    ("provinces.csv", 2, "pop_2022", "2184.5", "is not a whole number"),
    ("metrics.csv", 4, "value", "1234567890.1234567", "more than 15 significant digits"),
    ("metrics.csv", 4, "value", "1" + "0" * 400, "is too large to be stored as a number"),  # reads as inf
    ("provinces.csv", 2, "area_km2", "1" + "0" * 400, "is too large to be stored as a number"),
])
def test_numbers_outside_their_column_domain(tmp_path, file, line, column, value, words):
    probs, _ = problems(with_cell(tmp_path, file, line, column, value))
    assert cells(probs) == [(file, line, column)]
    assert words in probs[0].reason


def test_counts_are_whole_numbers_of_their_base_unit(tmp_path):
    """3.81万例 is 38,100 cases: whole; 2.5 个 or 1.00005万人次 (10,000.5 visits) are not."""
    # 万人次 → 1,413,300 visits: fine (the quote says the same, or the quote check would refuse it)
    d = with_cells(tmp_path, [("metrics.csv", 10, "value", "141.33"), ("metrics.csv", 10, "quote", "141.33万人次")])
    assert nrmc.load(d).metrics["value_base"].max() == pytest.approx(1_413_300)
    probs, _ = problems(with_cell(tmp_path, "metrics.csv", 10, "value", "1.00005"))
    assert [(p.line, p.column) for p in probs] == [(10, "value")] and "not a whole number of 人次" in probs[0].reason


def test_share_over_100_is_refused_growth_over_100_only_when_flagged(bad_data):
    probs, _ = problems(bad_data("percent_over_100"))
    # 12: a share (no max stated) of 250 %; 13: a growth rate of 250 % without a flag. Accepted: 14 (the
    # same, flagged with its reasons), 15 (a share of 95 %), 16 (a growth of -12.5 %).
    assert [(p.file, p.line, p.column) for p in probs] == [("metrics.csv", 12, "value"), ("metrics.csv", 13, "value")]
    assert "a share cannot exceed 100 %" in probs[0].reason
    assert "only when the row is flagged" in probs[1].reason


def test_growth_rate_not_below_minus_100(tmp_path, bad_data):
    d = bad_data("percent_over_100")
    rows = (d / "metrics.csv").read_text(encoding="utf-8").replace("GZ-01,outpatient_growth,,-12.5,", "GZ-01,outpatient_growth,,-150,")
    (d / "metrics.csv").write_text(rows, encoding="utf-8")
    probs, _ = problems(d)
    assert ("metrics.csv", 16, "value") in [(p.file, p.line, p.column) for p in probs]
    assert "-150 % is below the smallest value allowed" in str(DataValidationError(probs))


def test_metric_definition_min_above_max_is_refused(tmp_path):
    d = with_cell(tmp_path, "metric_definitions.csv", 2, "min", "10")
    d = with_cell(tmp_path, "metric_definitions.csv", 2, "max", "5")
    probs, _ = problems(d)
    assert ("metric_definitions.csv", 2, "min") in [(p.file, p.line, p.column) for p in probs]


# -- 2. domains: dates -----------------------------------------------------------------------------
DATED_CELLS = [("metrics.csv", "as_of"), ("sources.csv", "date"), ("centers.csv", "first_reported"),
               ("milestones.csv", "date"), ("stages.csv", "date")]


def test_dates_after_today_are_refused(tmp_path):
    """As-of 2099-01-01 (and 2099-01, 2099) in every dated table, stages' events included."""
    dates = ["2099-01-01", "2099-01", "2099"]
    edits = [(f, 2 + i, c, d) for f, c in DATED_CELLS for i, d in enumerate(dates[:3 if f != "milestones.csv" else 2])]
    probs, _ = problems(with_cells(tmp_path, edits))
    assert cells(probs) == sorted((f, line, c) for f, line, c, _ in edits)
    for p in probs:
        assert "lies after today" in p.reason, p


def test_a_period_that_has_begun_is_not_in_the_future(tmp_path, monkeypatch):
    """On 15 Nov 2025, a figure as of '2025-11' or '2025' is current; '2025-12' is in the future."""
    import pandas as pd

    monkeypatch.setattr(nrmc.data, "today", lambda: pd.Timestamp("2025-11-15"))
    assert len(nrmc.load(with_cell(tmp_path, "metrics.csv", 2, "as_of", "2025")).metrics) == 10
    probs, _ = problems(with_cell(tmp_path, "metrics.csv", 2, "as_of", "2025-12"))
    assert [(p.line, p.column) for p in probs] == [(2, "as_of")] and "after today (2025-11-15)" in probs[0].reason


def test_calendar_year_periods_in_the_future_or_backwards_are_refused(tmp_path):
    periods = ["2099", "2024/2099", "2024/2022", "2024/2024"]
    probs, _ = problems(with_cells(tmp_path, [("metrics.csv", 2 + i, "period", p) for i, p in enumerate(periods)]))
    assert cells(probs) == [("metrics.csv", 2 + i, "period") for i in range(len(periods))]


def test_expected_stage_may_lie_ahead_but_not_absurdly_far(bad_data):
    d = bad_data("expected_date_too_far")
    probs, _ = problems(d)
    assert [(p.line, p.column) for p in probs] == [(9, "date")]  # line 8 (2030-06, expected) is accepted
    # the same far date as an event (not an expectation) is refused as a date after today
    text = (d / "stages.csv").read_text(encoding="utf-8").replace("2099,expected,", "2099,stated,")
    (d / "stages.csv").write_text(text, encoding="utf-8")
    probs, _ = problems(d)
    assert [(p.line, p.column) for p in probs] == [(9, "date")] and "only a date with basis 'expected'" in probs[0].reason


# -- 2. domains: tables that must have rows --------------------------------------------------------
@pytest.mark.parametrize("table,words", [("metrics", "at least one figure"), ("centers", "at least one centre"),
                                         ("sources", "at least one source"), ("specialties", "at least one specialty"),
                                         ("metric_definitions", "at least one metric definition"),
                                         ("provinces", "the 31 provinces")])
def test_header_only_tables_are_refused(tmp_path, table, words):
    d = tmp_path / "data"
    shutil.copytree(MINIMAL, d)
    header = (d / f"{table}.csv").read_text(encoding="utf-8").split("\n")[0]
    (d / f"{table}.csv").write_text(header + "\n", encoding="utf-8")
    probs, _ = problems(d)
    mine = [p for p in probs if (p.file, p.line, p.column) == (f"{table}.csv", None, None)]
    assert len(mine) == 1 and words in mine[0].reason and "no data rows, only a header" in mine[0].reason
    assert validate_cli(d)[0] == 1


def test_provinces_must_be_31(tmp_path):
    d = tmp_path / "data"
    shutil.copytree(MINIMAL, d)
    lines = (d / "provinces.csv").read_text(encoding="utf-8").splitlines()
    (d / "provinces.csv").write_text("\n".join(l for l in lines if not l.startswith("540000")) + "\n", encoding="utf-8")
    probs, _ = problems(d)
    assert [(p.file, p.reason) for p in probs] == [("provinces.csv", "expected the 31 provinces, found 30 data rows")]


# -- 4. faults that used to crash: a Problem naming the file, never a traceback ---------------------
def test_data_file_that_is_a_directory(tmp_path):
    d = tmp_path / "data"
    shutil.copytree(MINIMAL, d)
    (d / "metrics.csv").unlink()
    (d / "metrics.csv").mkdir()
    probs, _ = problems(d)
    assert [(p.file, p.line, p.column, p.reason) for p in probs] == [
        ("metrics.csv", None, None, "is a directory; expected a CSV file")]
    status, out = validate_cli(d)
    assert status == 1 and "metrics.csv: is a directory" in out


def test_data_file_linked_to_a_device_is_not_read(tmp_path):
    """A link to /dev/zero would be read forever: it is refused as not a regular file."""
    d = tmp_path / "data"
    shutil.copytree(MINIMAL, d)
    (d / "centers.csv").unlink()
    (d / "centers.csv").symlink_to("/dev/zero")
    probs, _ = problems(d)
    assert [(p.file, p.line) for p in probs] == [("centers.csv", None)] and "not a regular file" in probs[0].reason


def test_unreadable_data_file(tmp_path, monkeypatch):
    """Permission denied (simulated: the tests may run as root, who reads anything)."""
    from pathlib import Path

    d = tmp_path / "data"
    shutil.copytree(MINIMAL, d)
    real = Path.read_bytes

    def read_bytes(self):
        if self.name == "sources.csv":
            raise PermissionError(13, "Permission denied", str(self))
        return real(self)

    monkeypatch.setattr(Path, "read_bytes", read_bytes)
    probs, _ = problems(d)
    assert [(p.file, p.line, p.reason) for p in probs] == [("sources.csv", None, "cannot be read: Permission denied")]
    status, out = validate_cli(d)
    assert status == 1 and "sources.csv: cannot be read: Permission denied" in out


def test_quote_in_the_middle_of_a_quoted_cell(tmp_path):
    d = tmp_path / "data"
    shutil.copytree(MINIMAL, d)
    text = (d / "centers.csv").read_text(encoding="utf-8").replace('"Test Children\'s Hospital, Anhui"',
                                                                  '"Test Children\'s" Hospital, Anhui')
    (d / "centers.csv").write_text(text, encoding="utf-8")
    probs, _ = problems(d)
    assert [(p.file, p.line, p.column) for p in probs] == [("centers.csv", 2, "name_en")]
    assert "must be doubled" in probs[0].reason


def test_cell_longer_than_the_csv_limit(tmp_path):
    d = with_cell(tmp_path, "metrics.csv", 3, "note", "x" * 200_000)
    probs, _ = problems(d)
    assert [(p.file, p.line, p.column) for p in probs] == [("metrics.csv", 3, "note")]
    assert "longer than 131,072 characters" in probs[0].reason


def test_rows_with_too_many_or_too_few_cells(tmp_path):
    d = tmp_path / "data"
    shutil.copytree(MINIMAL, d)
    lines = (d / "stages.csv").read_text(encoding="utf-8").split("\n")
    lines[2] += ",extra"
    lines[3] = lines[3].rsplit(",", 2)[0]
    (d / "stages.csv").write_text("\n".join(lines), encoding="utf-8")
    probs, _ = problems(d)
    n = len(lines[0].split(","))
    assert [(p.file, p.line, p.reason) for p in probs] == [("stages.csv", 3, f"has {n + 1} cells, the header has {n}"),
                                                           ("stages.csv", 4, f"has {n - 2} cells, the header has {n}")]


def test_control_characters_in_text_are_refused(tmp_path):
    chars = ["\x1b[2J", "\x07", "\x7f", "\x85", "\x0c", "\x00"]
    probs, _ = problems(with_cells(tmp_path, [("metrics.csv", 2 + i, "note", f"before{c}after") for i, c in enumerate(chars)]))
    assert cells(probs) == [("metrics.csv", 2 + i, "note") for i in range(len(chars))]
    assert all("control character" in p.reason for p in probs)


def test_data_directory_that_is_a_file(tmp_path):
    f = tmp_path / "data"
    f.write_text("not a directory")
    probs, _ = problems(f)
    assert probs[0].reason == "is not a directory"


def test_a_new_snapshot_parses_only_the_file_that_changed_and_still_reports_its_problems(tmp_path, monkeypatch):
    """The preview loads each edit from a new snapshot folder: the files whose content did not change
    are not parsed and checked again (remembered by content), and a remembered file's problems are
    reported again, never hidden by the cache."""
    import nrmc.data as D

    first, second, third = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    shutil.copytree(nrmc.data.default_data_dir(), first)
    nrmc.load(first)
    parsed: list[str] = []
    real = D._read_table
    monkeypatch.setattr(D, "_read_table", lambda raw, name, *a: parsed.append(name) or real(raw, name, *a))
    shutil.copytree(first, second)
    text = (second / "metrics.csv").read_text(encoding="utf-8")
    (second / "metrics.csv").write_text(text.replace(",3.5,more_than,", ",3.5x,more_than,", 1), encoding="utf-8")
    with pytest.raises(DataValidationError) as err:
        nrmc.load(second)
    assert parsed == ["metrics.csv"]
    assert "metrics.csv" in str(err.value) and "3.5x" in str(err.value)
    shutil.copytree(second, third)  # the same broken content in a third folder: the same problem
    with pytest.raises(DataValidationError) as again:
        nrmc.load(third)
    assert parsed == ["metrics.csv"]
    assert "3.5x" in str(again.value)


def test_the_table_cache_keeps_what_was_used_last():
    """A file read again (a hit) is kept over files not used since: the cache drops the least
    recently used, so a full cache of older entries never makes the next load parse an unchanged
    file again (CI hit it: provinces.csv, remembered from an earlier test, was dropped mid-load)."""
    import nrmc.data as D

    D._TABLE_CACHE.clear()
    probs: list = []
    content = (nrmc.data.default_data_dir() / "provinces.csv").read_bytes()
    _, key = D._checked_table("provinces.csv", content, probs)
    for i in range(D._TABLE_CACHE_SIZE - 1):
        D._TABLE_CACHE[("x", str(i))] = [None, (), None]
    D._checked_table("provinces.csv", content, probs)  # a hit: now the most recent
    D._checked_table("cities.csv", (nrmc.data.default_data_dir() / "cities.csv").read_bytes(), probs)
    assert key in D._TABLE_CACHE and ("x", "0") not in D._TABLE_CACHE


def _fresh_process(D) -> None:
    """What a new process starts with: no table remembered in memory."""
    D._TABLE_CACHE.clear()
    D._load_cached.cache_clear()


def test_a_valid_table_is_kept_on_disk_and_a_new_process_reads_it_without_checking_it_again(tmp_path, monkeypatch):
    """A build, each of its kernels and the preview load the same files: after the first, the
    checked tables come from the per-user cache (no pandera, no parsing), equal to the first
    load's; an edited file is read and checked again, its problems reported; an unreadable cache
    file is ignored; a new day checks again (a date may not lie after today)."""
    import pandas as pd

    import nrmc.data as D

    monkeypatch.setenv("NRMC_CACHE_DIR", str(tmp_path / "cache"))
    data = tmp_path / "data"
    shutil.copytree(MINIMAL, data)
    _fresh_process(D)
    first = nrmc.load(data)
    kept = sorted((tmp_path / "cache" / "tables").glob("*.pickle"))
    assert len(kept) == len(D.TABLES)

    parsed: list[str] = []
    real_read, real_check = D._read_table, D._check_schema
    monkeypatch.setattr(D, "_read_table", lambda raw, name, *a: parsed.append(name) or real_read(raw, name, *a))
    monkeypatch.setattr(D, "_check_schema", lambda df, name, *a: parsed.append(f"check {name}") or real_check(df, name, *a))
    _fresh_process(D)
    moved = tmp_path / "moved"
    shutil.copytree(data, moved)
    again = nrmc.load(moved)
    assert parsed == []
    assert again.data_dir == moved.resolve()
    for name in D.TABLES:
        pd.testing.assert_frame_equal(getattr(again, name), getattr(first, name))

    # an edited file: read and checked again, the others from the cache; a bad value is reported
    text = (moved / "metrics.csv").read_text(encoding="utf-8")
    (moved / "metrics.csv").write_text(text.replace("340000,nrmc_count,,3,", "340000,nrmc_count,,3x,", 1), encoding="utf-8")
    _fresh_process(D)
    with pytest.raises(DataValidationError, match="3x"):
        nrmc.load(moved)
    assert parsed == ["metrics.csv", "check metrics.csv"]
    assert len(list((tmp_path / "cache" / "tables").glob("*.pickle"))) == len(D.TABLES)  # nothing invalid kept

    # an unreadable cache file is checked again (and replaced)
    parsed.clear()
    kept[0].write_bytes(b"not a pickle")
    _fresh_process(D)
    nrmc.load(data)
    assert len(parsed) == 2 and kept[0].read_bytes()[:1] == b"\x80"

    # another day: every file is checked again
    parsed.clear()
    monkeypatch.setattr(D, "today", lambda: pd.Timestamp.today().normalize() + pd.Timedelta(days=1))
    _fresh_process(D)
    nrmc.load(data)
    assert sorted(p for p in parsed if not p.startswith("check")) == sorted(f"{n}.csv" for n in D.TABLES)


def test_after_warm_checks_an_edited_file_is_checked_without_importing_anything():
    """A process whose tables came from the disk cache never imported the schema checker; the
    preview and its kernels call warm_checks at the start, so that checking the first edited file
    imports nothing (half a second, in the middle of the save-to-refresh)."""
    code = (
        "import sys\n"
        "import nrmc.data as D\n"
        "assert 'pandera' not in sys.modules\n"
        "D.warm_checks()\n"
        "before = set(sys.modules)\n"
        "found = []\n"
        "raw = (D.default_data_dir() / 'metrics.csv').read_bytes()\n"
        "df = D._read_table(raw, 'metrics.csv', D.TABLES['metrics'], found)\n"
        "D._check_schema(df, 'metrics.csv', D.TABLES['metrics'], found)\n"
        "assert not found, found\n"
        "new = sorted(set(sys.modules) - before)\n"
        "assert not [m for m in new if m.startswith('pandera')], new\n"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr


def test_a_kernel_warms_the_checks_only_when_asked(monkeypatch, tmp_path):
    """The preview's kernels set up the schema checker (warm_checks=True); a build's do not need it
    (their tables come from the disk cache) and skip its half second."""
    import types

    import nrmc.data as D
    from nrmc import kernels

    calls: list[int] = []
    monkeypatch.setattr(D, "warm_checks", lambda: calls.append(1))
    ip = types.SimpleNamespace(user_ns={})
    try:
        kernels._warm_up(ip, str(MINIMAL), str(tmp_path), False)
        assert calls == []
        kernels._warm_up(ip, str(MINIMAL), str(tmp_path), True)
        assert calls == [1]
    finally:
        sys.modules.pop(kernels._STATE_MODULE, None)
    assert "True)" in kernels.WARMUP_CODE.format(data_dir="d", cwd="c", checks=True)
    assert kernels.KernelPool(1, cwd=tmp_path, data_dir=tmp_path).warm_checks is False
