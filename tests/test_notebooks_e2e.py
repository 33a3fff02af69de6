"""The notebooks are the analysis (issue 19): they show the sections one cell each, take the
command line's parameters (typed, refusing unknown ones), the briefing prints what they show (a
user's edit included), and an executed notebook kept in reports/ reruns against the user's data.
The structural checks run in the fast suite; the builds are e2e."""
from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from conftest import E2E_SCOPES, RAW_MISSING, ROOT, html_text, nrmc_cli

NOTEBOOKS = ROOT / "notebooks"
PAPERMILL = [sys.executable, "-m", "papermill"]


def _code(nb) -> list[str]:
    return ["".join(c.source) for c in nb.cells if c.cell_type == "code"]


@pytest.mark.parametrize("name", ["province.ipynb", "national.ipynb"])
def test_the_notebook_shows_the_analysis_section_by_section(name):
    """A markdown heading per section and short cells calling the sections in the package's order;
    no outputs committed; the parameters are the command line's, typed."""
    from nrmc import parameters, sections

    nb = nbformat.read(NOTEBOOKS / name, as_version=4)
    assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code")
    headings = [c.source.splitlines()[0] for c in nb.cells if c.cell_type == "markdown" and c.source.startswith("## ")]
    assert len(headings) >= 5, headings
    params = next(c for c in nb.cells if "parameters" in c.metadata.get("tags", []))
    for p in parameters.DECLARED:
        assert re.search(rf"^{p}: [\w |\[\]\"]+ = ", params.source, re.M), p  # typed for --help-notebook
    calls = [m for src in _code(nb) for m in re.findall(r"\bs\.(\w+)\(b\)", src)]
    assert calls == [c for c in sections.ORDER if c in calls], calls  # the package's order
    assert {"key_messages", "annex"} <= set(calls)
    assert all(len(src.splitlines()) <= 8 for src in _code(nb))  # short cells; the logic is in the package


@pytest.mark.e2e
def test_papermill_takes_the_command_line_s_parameter_names(tmp_path):
    out = tmp_path / "hubei.ipynb"
    r = subprocess.run([*PAPERMILL, str(NOTEBOOKS / "province.ipynb"), str(out), "-p", "scope", "hubei",
                        "-p", "lang", "en"], capture_output=True, text=True, cwd=tmp_path, timeout=600)
    assert r.returncode == 0, r.stderr[-2000:]
    text = json.dumps(nbformat.read(out, as_version=4).cells[-1].outputs)
    assert "Hubei" in text and "Anhui" not in text.split("Annex")[0][:200]
    bad = subprocess.run([*PAPERMILL, str(NOTEBOOKS / "province.ipynb"), str(tmp_path / "x.ipynb"), "-p", "scop", "hubei"],
                         capture_output=True, text=True, cwd=tmp_path, timeout=600)
    assert bad.returncode != 0 and "unknown parameter 'scop'" in bad.stderr and "'scope'" in bad.stderr
    helped = subprocess.run([*PAPERMILL, "--help-notebook", str(NOTEBOOKS / "province.ipynb")],
                            capture_output=True, text=True, timeout=120)
    assert re.search(r"scope: str", helped.stdout) and re.search(r"as_of: Optional\[str\]", helped.stdout), helped.stdout


@pytest.mark.e2e
def test_an_edited_cell_changes_that_province_s_briefing(tmp_path):
    """A user adds a cell of their own after the coverage chart: the briefing prints it there."""
    nbdir = tmp_path / "notebooks"
    shutil.copytree(NOTEBOOKS, nbdir)
    nb = nbformat.read(nbdir / "province.ipynb", as_version=4)
    at = next(i for i, c in enumerate(nb.cells) if c.cell_type == "code" and "coverage.figure" in c.source)
    nb.cells.insert(at + 1, nbformat.v4.new_code_cell(
        'from IPython.display import HTML\nHTML("<p class=\\"mine\\">An analyst\'s own line</p>")'))
    nbformat.write(nb, nbdir / "province.ipynb")
    out = tmp_path / "reports"
    r = nrmc_cli("build", "tibet", "anhui", "--lang", "zh", "--format", "html", "--notebooks", nbdir, "--out", out)
    assert r.returncode == 0, r.stdout + r.stderr
    page = (out / "anhui.html").read_text(encoding="utf-8")
    coverage = page.split('id="part-coverage"', 1)[1].split("</section>", 1)[0]
    assert "An analyst's own line" in coverage  # in the section above the cell


@pytest.mark.e2e
def test_an_executed_notebook_reruns_against_the_user_s_data(site, tmp_path):
    kept = site["out"] / "notebooks" / "anhui.ipynb"
    nb = nbformat.read(kept, as_version=4)
    assert nb.metadata["nrmc"]["data_dir"] == str(site["data"]) and nb.metadata["nrmc"]["scope"] == "anhui"
    assert len(nb.metadata["nrmc"]["data_digest"]) == 64
    injected = next(c for c in nb.cells if "injected-parameters" in c.metadata.get("tags", []))
    assert str(site["data"]) in injected.source and ".state" not in injected.source
    r = subprocess.run([*PAPERMILL, str(kept), str(tmp_path / "rerun.ipynb")], capture_output=True, text=True,
                       cwd=tmp_path, timeout=600)
    assert r.returncode == 0, r.stderr[-2000:]


@pytest.mark.e2e
@pytest.mark.parametrize("slug", E2E_SCOPES)
def test_no_error_no_code_and_no_raw_missing_values(site, slug):
    out = site["out"]
    nb = nbformat.read(out / "notebooks" / f"{slug}.ipynb", as_version=4)
    assert not [o for c in nb.cells for o in c.get("outputs", []) if o.get("output_type") == "error"]
    text = html_text(out / f"{slug}.html")
    assert not RAW_MISSING.findall(text), RAW_MISSING.findall(text)[:5]
    assert "import nrmc" not in text and "s.key_messages" not in text  # no code in the report
