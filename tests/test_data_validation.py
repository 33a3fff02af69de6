"""Bad data gets a clear error naming file, line, column and reason, and every problem is listed."""
from __future__ import annotations

import subprocess
import sys

import pytest

import nrmc
from nrmc.data import DataValidationError, parse_partial_date
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
