"""Hostile input at the level a user meets it: the `nrmc build` command, and a huge data file.

Complements tests/test_data_validation.py (the loader's message for each fault, one fixture per
fault in tests/fixtures/bad_data/), tests/test_regions.py (scope names, property-based),
tests/test_build_e2e.py (a failing cell, a killed build, two builds at once) and
tests/test_browser.py (markup in the data shown as text). Here:
- every bad-data fixture makes `nrmc build` stop before any kernel or browser starts, exit 1,
  name file, line and column, and leave an existing report, the index and the state untouched;
- a 100,000-row metrics file with one bad line at its end fails naming that line, in bounded
  time and memory;
- a hostile scope name exits 2 and writes nothing anywhere, not even --out;
- Chromium missing or no CJK font: exit 1 with the command that installs it, nothing touched.
"""
from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import MINIMAL, overlay
from nrmc.cli import main

REPO = Path(__file__).resolve().parents[1]
HUGE_ROWS = 100_000

# fault fixture → what the message must name: (file, "line N" or None, column or None)
FAULTS = {
    "not_utf8_gbk": ("centers.csv", 2, None),
    "missing_column": ("centers.csv", 1, "host_hospital_zh"),
    "duplicate_center_id": ("centers.csv", 4, "center_id"),
    "non_numeric_value": ("metrics.csv", 4, "value"),
    "impossible_date": ("metrics.csv", 10, "as_of"),
    "unknown_province": ("centers.csv", 4, "province_code"),
    "unknown_source_id": ("metrics.csv", 6, "source_id"),
    "empty_file": ("metrics.csv", None, None),
}


def cli(*args, env=None):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False, env={"CI": "true", **(env or {})})


def snapshot(root: Path) -> dict[str, bytes]:
    """Every file under root with its bytes (the build's lock file is not a report)."""
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file() and p.name != ".build.lock"}


@pytest.fixture
def reports(tmp_path):
    """An output folder holding a previous good report of Anhui, its state and an index."""
    out = tmp_path / "reports"
    (out / ".state").mkdir(parents=True)
    (out / "notebooks").mkdir()
    (out / "anhui.html").write_text("<!DOCTYPE html><title>old good report</title>", encoding="utf-8")
    (out / "anhui.pdf").write_bytes(b"%PDF-1.4 old good report\n%%EOF\n")
    (out / "notebooks" / "anhui.ipynb").write_text("{}", encoding="utf-8")
    (out / "index.html").write_text("<!DOCTYPE html><title>old index</title>", encoding="utf-8")
    (out / ".state" / "anhui.json").write_text(json.dumps({"hash": "old", "status": "ok"}), encoding="utf-8")
    return out


# ---------------------------------------------------------------------------------------------
# Bad data → the build stops at once, names the place, touches nothing
# ---------------------------------------------------------------------------------------------

@pytest.fixture
def no_starts(monkeypatch):
    """The kernel pool's and the browser's starters record a call and raise: the list of what was
    started (a build that starts either anyway would, before, have hidden the raise in its own
    failure, so the test reads the list)."""
    from nrmc.export import PdfPrinter
    from nrmc.kernels import KernelPool

    started: list[str] = []

    def starter(what: str):
        async def start(self):
            started.append(what)
            raise AssertionError(f"{what} started for a build of invalid data")

        return start

    monkeypatch.setattr(KernelPool, "start", starter("a Jupyter kernel"))
    monkeypatch.setattr(PdfPrinter, "start", starter("Chromium"))
    return started


@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_bad_data_stops_the_build_and_keeps_the_report(fault, tmp_path, reports, no_starts):
    data = overlay(fault, tmp_path / "data")
    before = snapshot(reports)
    r = cli("build", "anhui", "--out", reports, "--data", data)
    assert no_starts == [], f"{no_starts} started before the data was found invalid"
    assert r.exit_code == 1, r.output
    fname, line, column = FAULTS[fault]
    assert fname in r.output, r.output
    if line is not None:
        assert f"{fname}, line {line}" in r.output, r.output
    if column is not None:
        assert repr(column) in r.output or column in r.output, r.output
    assert "nothing was built" in r.output
    assert snapshot(reports) == before


def test_bad_data_exit_status_of_the_real_command(tmp_path, reports):
    data = overlay("non_numeric_value", tmp_path / "data")
    before = snapshot(reports)
    r = subprocess.run([sys.executable, "-m", "nrmc", "build", "--out", str(reports), "--data", str(data)],
                       capture_output=True, text=True, timeout=120, env={**os.environ, "CI": "true"}, cwd=REPO)
    assert r.returncode == 1
    assert "metrics.csv, line 4, column 'value'" in r.stderr and "'814项' is not a number" in r.stderr
    assert "Traceback" not in r.stderr
    assert snapshot(reports) == before


# ---------------------------------------------------------------------------------------------
# A huge file
# ---------------------------------------------------------------------------------------------

def write_huge_metrics(data: Path, rows: int, bad_line: int | None = None) -> None:
    """metrics.csv of `rows` valid figures (copies of the first one with distinct breakdowns)."""
    src = MINIMAL / "metrics.csv"
    with open(src, encoding="utf-8", newline="") as f:
        reader = csv.DictReader(f)
        fields, first = reader.fieldnames, next(reader)
    with open(data / "metrics.csv", "w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, fieldnames=fields, lineterminator="\n")
        w.writeheader()
        for i in range(rows):
            row = dict(first, breakdown=f"copy=n{i}")
            if bad_line is not None and i + 2 == bad_line:  # line 1 is the header
                row["value"] = "十二"
            w.writerow(row)


LOAD_AND_MEASURE = textwrap.dedent("""
    import json, resource, sys, time
    t = time.monotonic()
    import nrmc
    from nrmc.data import DataValidationError
    try:
        ds = nrmc.load(sys.argv[1])
        out = {"ok": True, "rows": len(ds.metrics), "dtype": str(ds.metrics["value"].dtype)}
    except DataValidationError as err:
        out = {"ok": False, "problems": [[p.file, p.line, p.column, p.reason] for p in err.problems][:5],
               "n": len(err.problems)}
    out["seconds"] = time.monotonic() - t
    out["max_rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(out, ensure_ascii=False))
""")


def load_in_subprocess(data: Path) -> dict:
    r = subprocess.run([sys.executable, "-c", LOAD_AND_MEASURE, str(data)], capture_output=True, text=True,
                       timeout=300, cwd=REPO)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout.strip().splitlines()[-1])


def test_huge_metrics_file_with_one_bad_line_names_it(tmp_path):
    """100,000 figures, the last one not a number: all are read, exactly that line is named, within
    bounds. (A valid file of the same size loads through the same checks; ≈ 70 s on a busy 2-core
    machine, almost all of it in pandas iterrows() in nrmc.data._cross_checks.)"""
    data = overlay("utf8_bom_is_fine", tmp_path / "data")
    write_huge_metrics(data, HUGE_ROWS, bad_line=HUGE_ROWS)
    res = load_in_subprocess(data)
    assert not res["ok"] and res["n"] == 1, res
    assert res["problems"][0][:3] == ["metrics.csv", HUGE_ROWS, "value"], res
    assert "'十二' is not a number" in res["problems"][0][3]
    assert res["max_rss_mib"] < 1024, res


# ---------------------------------------------------------------------------------------------
# Hostile scope names
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["anhwi", "", "   ", "../etc", "../../tmp/x", "/etc/passwd", "x" * 10_000,
                                  "anhui/../../escape", "安徽<script>", "national\x00"])
def test_hostile_scope_is_refused_and_nothing_is_written(name, tmp_path):
    work = tmp_path / "work"
    work.mkdir()
    out = work / "reports"
    before = snapshot(tmp_path)
    cwd = os.getcwd()
    os.chdir(work)
    try:
        r = cli("build", "anhui", name, "--out", out)
    finally:
        os.chdir(cwd)
    assert r.exit_code == 2, r.output
    assert "Valid names" in r.output or "valid names" in r.output.lower()
    assert len(r.output) < 5000  # a very long name is not echoed in full
    assert not out.exists()
    assert snapshot(tmp_path) == before


# ---------------------------------------------------------------------------------------------
# Missing system pieces
# ---------------------------------------------------------------------------------------------

def test_missing_chromium_says_how_to_install_it_and_touches_nothing(tmp_path, reports):
    before = snapshot(reports)
    r = cli("build", "anhui", "--out", reports, "--data", MINIMAL,
            env={"NRMC_CHROMIUM": str(tmp_path / "no-such-chromium")})
    assert r.exit_code == 1, r.output
    assert "Chromium" in r.output and "apt-get install" in r.output and "chromium" in r.output
    assert snapshot(reports) == before


def test_no_cjk_font_is_a_clear_error_not_boxes(tmp_path, reports, monkeypatch):
    """A fontconfig that knows no font at all: fc-list finds no Chinese font, as on a bare machine."""
    conf = tmp_path / "fonts.conf"
    conf.write_text('<?xml version="1.0"?><!DOCTYPE fontconfig SYSTEM "fonts.dtd"><fontconfig>'
                    f"<cachedir>{tmp_path / 'fc-cache'}</cachedir></fontconfig>", encoding="utf-8")
    from nrmc import export

    monkeypatch.setattr(export, "_fonts_checked", False)
    before = snapshot(reports)
    r = cli("build", "anhui", "--out", reports, "--data", MINIMAL, env={"FONTCONFIG_FILE": str(conf)})
    assert r.exit_code == 1, r.output
    assert "CJK" in r.output and "fonts-noto-cjk" in r.output and "boxes" in r.output
    assert snapshot(reports) == before


def test_preflight_for_html_only_needs_no_browser(tmp_path, monkeypatch):
    """--format html is the way out when Chromium cannot be installed: the browser check is PDF-only."""
    from nrmc import build as b

    monkeypatch.setenv("NRMC_CHROMIUM", str(tmp_path / "none"))
    b.preflight(MINIMAL, ("html",))
    with pytest.raises(b.BuildError, match="apt-get install"):
        b.preflight(MINIMAL, ("html", "pdf"))


# ---------------------------------------------------------------------------------------------
# Clear messages instead of tracebacks
# ---------------------------------------------------------------------------------------------

def test_a_data_file_that_is_a_folder_is_named_without_a_traceback(tmp_path, reports):
    data = tmp_path / "data"
    import shutil

    shutil.copytree(MINIMAL, data)
    (data / "metrics.csv").unlink()
    (data / "metrics.csv").mkdir()
    before = snapshot(reports)
    r = cli("build", "anhui", "--out", reports, "--data", data)  # in-process: a traceback would raise here
    assert r.exit_code == 1
    assert "metrics.csv" in r.output and ("is a directory" in r.output or "folder, not a file" in r.output)
    assert "Traceback" not in r.output
    assert snapshot(reports) == before
    r = cli("validate", "--data", data)
    assert r.exit_code == 1
    assert "metrics.csv" in r.output and ("is a directory" in r.output or "folder, not a file" in r.output)
    assert "Traceback" not in r.output


def test_out_under_a_file_is_a_clear_error(tmp_path):
    (tmp_path / "afile").write_text("x")
    r = subprocess.run([sys.executable, "-m", "nrmc", "build", "anhui", "--format", "html",
                        "--out", str(tmp_path / "afile" / "reports")],
                       capture_output=True, text=True, timeout=120, env={**os.environ, "CI": "true"}, cwd=REPO)
    assert r.returncode == 1
    assert "afile is a file, not a folder" in r.stderr and "Traceback" not in r.stderr


def test_out_on_a_read_only_filesystem_is_a_clear_error(tmp_path, monkeypatch):
    import errno

    real_mkdir = Path.mkdir
    out = tmp_path / "ro" / "reports"

    def mkdir(self, *a, **k):
        if str(self).startswith(str(tmp_path / "ro")):
            raise OSError(errno.EROFS, "Read-only file system", str(self))
        return real_mkdir(self, *a, **k)

    monkeypatch.setattr(Path, "mkdir", mkdir)
    r = cli("build", "anhui", "--format", "html", "--out", out)
    assert r.exit_code == 1, r.output
    assert f"cannot write the briefings to --out {out}: Read-only file system" in r.output
    assert "Traceback" not in r.output


def test_an_error_naming_a_data_file_names_the_users_file_not_the_snapshot(tmp_path):
    from nrmc.build import _data_hint
    from nrmc.state import snapshot_data

    import shutil

    data = tmp_path / "data"
    shutil.copytree(MINIMAL, data)
    snap = snapshot_data(data, tmp_path / "reports")
    hint = _data_hint("OverflowError: cannot convert float infinity to integer",
                      f'File "{snap.dir}/metrics.csv", line 1', snap)
    assert hint.endswith(f"(data: {data / 'metrics.csv'})")
    assert _data_hint(f"ValueError: bad value in {snap.dir}/x", "", snap) == f"ValueError: bad value in {data}/x"
