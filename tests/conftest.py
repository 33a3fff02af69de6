"""Fixtures and helpers shared by the test modules.

- `ds`: the real dataset; `bad_data` / `overlay`: the minimal dataset with one fault laid over it.
- `site`: ONE real build of the project's notebooks, shared by every e2e module that reads
  briefings (test_notebooks_e2e, test_browser, test_build_e2e): E2E_SCOPES in Chinese and
  English, HTML and PDF, from a copy of the data in which some text fields carry markup.
- `nrmc_cli`, `pdftext`, `pdffonts`, `html_text`, `RAW_MISSING`, `temp_files`: helpers.
"""
from __future__ import annotations

import csv
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).resolve().parent / "fixtures"
MINIMAL = FIXTURES / "data_minimal"
BAD = FIXTURES / "bad_data"
STUBS = FIXTURES / "notebooks"

# The seed articles the dataset quotes: ../shared/seeds beside the checkout (or $NRMC_SHARED/seeds).
SEEDS = Path(os.environ.get("NRMC_SHARED") or ROOT.parent / "shared") / "seeds"
SEEDS_MISSING = (f"the seed articles are not at {SEEDS} (../shared/seeds beside the checkout, or set "
                 f"NRMC_SHARED): the dataset's quotes were NOT checked against their sources")

# What a reader must never see in a briefing: raw missing values or a traceback.
RAW_MISSING = re.compile(r"\bNaN\b|\bnan\b|\bNone\b|nan%|\bNaT\b|Traceback|<NA>")

E2E_SCOPES = ("anhui", "guizhou", "hubei", "tibet", "national")

# Markup and script put into text fields of the data of the shared build; each must reach the
# reader as text (tests/test_browser.py).
PAYLOADS = {
    ("centers.csv", "GZ-01", "name_zh"): '儿童医学中心贵州医院<script>alert("x1")</script>',
    ("centers.csv", "GZ-02", "output_hospital_zh"): "北京积水潭医院<img src=x onerror=alert(2)>",
    ("centers.csv", "GZ-02", "name_en"): "Jishuitan <b onmouseover=alert(3)>Guizhou</b> Hospital",
    ("sources.csv", "S05", "title"): "贵州区域医疗中心</title><script>alert(4)</script>",
}


@pytest.fixture(scope="session")
def ds():
    """The real dataset."""
    import nrmc

    return nrmc.load(ROOT / "data")


def overlay(fault: str, dest: Path) -> Path:
    """A copy of the minimal dataset with the files of tests/fixtures/bad_data/<fault>/ over it."""
    shutil.copytree(MINIMAL, dest)
    for f in (BAD / fault).iterdir():
        shutil.copy(f, dest / f.name)
    return dest


@pytest.fixture
def bad_data(tmp_path):
    return lambda fault: overlay(fault, tmp_path / fault)


# ---------------------------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------------------------

def nrmc_cli(*args, timeout=900, env=None, cwd=ROOT) -> subprocess.CompletedProcess:
    """Run the real command line in a subprocess, as CI would (CI=true: plain progress lines)."""
    e = {**os.environ, "CI": "true", **(env or {})}
    return subprocess.run([sys.executable, "-m", "nrmc", *map(str, args)], capture_output=True, text=True,
                          timeout=timeout, env=e, cwd=cwd)


def pdftext(path: Path, first: int | None = None, last: int | None = None, mode: str = "-layout") -> str:
    """Text of a PDF (poppler's pdftotext), optionally of pages first..last; mode -layout or -raw."""
    args = ["pdftotext", mode]
    if first:
        args += ["-f", str(first), "-l", str(last or first)]
    return subprocess.run([*args, str(path), "-"], capture_output=True, text=True, check=True).stdout


def pdffonts(path: Path) -> list[list[str]]:
    """pdffonts rows: name type encoding emb sub uni object ID (emb is row[-5])."""
    out = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout
    return [line.split() for line in out.splitlines()[2:] if line.strip()]


def html_text(path: Path) -> str:
    """The text a reader sees in an HTML briefing (no images, styles or tags)."""
    page = path.read_text(encoding="utf-8")
    page = re.sub(r'data:image/[^"]+', "", page)
    page = re.sub(r"<style.*?</style>", " ", page, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page))


def temp_files(out: Path) -> list[Path]:
    """nrmc's own temporary files left under `out` (there should be none)."""
    return [p for p in Path(out).rglob("*") if p.name.startswith(".nrmc-tmp.")]


def inject(data: Path) -> None:
    """Put PAYLOADS into the text fields of a copy of the data."""
    for (fname, key, column), payload in PAYLOADS.items():
        path = data / fname
        with open(path, encoding="utf-8-sig", newline="") as f:
            reader = csv.DictReader(f)
            fields, rows = reader.fieldnames, list(reader)
        hit = [r for r in rows if r[fields[0]] == key]
        assert hit, (fname, key)
        hit[0][column] = payload
        if column.endswith("hospital_zh") and (data / "hospitals.csv").exists():
            # a hospital name must also be in hospitals.csv (where the dataset has that table)
            with open(data / "hospitals.csv", "a", encoding="utf-8", newline="") as h:
                csv.writer(h, lineterminator="\n").writerow([payload, "", "translation", "", "", "hospital", ""])
        with open(path, "w", encoding="utf-8", newline="") as f:
            w = csv.DictWriter(f, fieldnames=fields, lineterminator="\n")
            w.writeheader()
            w.writerows(rows)


@pytest.fixture(scope="session")
def site(tmp_path_factory):
    """ONE real build of the project's notebooks for E2E_SCOPES, zh and en, HTML and PDF."""
    root = tmp_path_factory.mktemp("site")
    data = root / "data"
    shutil.copytree(ROOT / "data", data)
    inject(data)
    out = root / "reports"
    r = nrmc_cli("build", *E2E_SCOPES, "--out", out, "--data", data, timeout=1800)
    assert r.returncode == 0, r.stdout + r.stderr
    return {"root": root, "data": data, "out": out, "out_en": out / "en", "result": r}
