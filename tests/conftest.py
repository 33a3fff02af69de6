"""Fixtures and helpers shared by the test modules.

- `ds`: the real dataset; `bad_data` / `overlay`: the minimal dataset with one fault laid over it.
- `site`: ONE real build of the project's notebooks, shared by every e2e module that reads
  briefings (test_notebooks_e2e, test_browser, test_build_e2e): E2E_SCOPES in Chinese and
  English, HTML and PDF, from a copy of the data in which some text fields carry markup.
- `nrmc_cli`, `pdftext`, `pdffonts`, `html_text`, `RAW_MISSING`, `temp_files`: helpers.
"""
from __future__ import annotations

import csv
import json
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


def pytest_configure(config):
    _memoise_normalised_source()


def _memoise_normalised_source() -> None:
    """Every in-process build digests the package's code: parsing its ~60 modules (`ast`) took 2–3 s
    a build, paid again by each of the suite's many in-process builds (each has a fresh --out, so
    the build's own cache on disk is empty). Within the test process the parse is remembered by the
    SHA-256 of the source, so the digest is exactly what nrmc computes (a changed file is parsed
    again); builds run as subprocesses are untouched."""
    import functools
    import hashlib

    from nrmc import digests

    real = digests.normalised_source
    if getattr(real, "memoised_by_tests", False):
        return
    memo: dict[bytes, bytes] = {}

    @functools.wraps(real)
    def normalised_source(source: bytes) -> bytes:
        key = hashlib.sha256(source).digest()
        if key not in memo:
            memo[key] = real(source)
        return memo[key]

    normalised_source.memoised_by_tests = True
    digests.normalised_source = normalised_source


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


# ---------------------------------------------------------------------------------------------
# The shared site build: once per test run, shared by the xdist workers, started in the background
# as soon as a selected test needs it.
# ---------------------------------------------------------------------------------------------

def _shared_root(config_or_factory) -> Path:
    """A folder every xdist worker of this run sees (the run's base temp; under xdist the workers'
    own base temps are its children)."""
    factory = getattr(config_or_factory, "_tmp_path_factory", config_or_factory)
    base = factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


class _SiteBuild:
    """The build behind `site`: one per run. The first process to take the lock builds (in a thread,
    from the end of collection on, so that other tests run meanwhile), writes result.json and lets
    go; the others wait on the lock and read the result."""

    def __init__(self, shared: Path):
        self.root = shared / "site"
        self.lock_path = shared / "site.lock"
        self.done = self.root / "result.json"
        self.thread = None
        self.proc = None
        self.killed = False

    def _lock(self):
        import fcntl

        f = open(self.lock_path, "a")
        fcntl.flock(f, fcntl.LOCK_EX)
        return f

    def _try_lock(self):
        import fcntl

        f = open(self.lock_path, "a")
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            f.close()
            return None
        return f

    def _build(self) -> None:
        if self.done.exists():
            return
        if self.root.exists():
            shutil.rmtree(self.root)
        self.root.mkdir(parents=True)
        data = self.root / "data"
        shutil.copytree(ROOT / "data", data)
        inject(data)
        out = self.root / "reports"
        args = [sys.executable, "-m", "nrmc", "build", *E2E_SCOPES, "--out", str(out), "--data", str(data)]
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                     env={**os.environ, "CI": "true"}, cwd=ROOT)
        try:
            stdout, stderr = self.proc.communicate(timeout=1800)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            stdout, stderr = self.proc.communicate()
        if self.killed:
            return
        self.done.write_text(json.dumps({"args": args, "returncode": self.proc.returncode, "stdout": stdout,
                                         "stderr": stderr}), encoding="utf-8")

    def start(self) -> None:
        """Build in a background thread if no other process is building or has built."""
        import threading

        lock = self._try_lock()
        if lock is None:
            return

        def run():
            try:
                self._build()
            finally:
                lock.close()

        self.thread = threading.Thread(target=run, name="nrmc-site-build", daemon=True)
        self.thread.start()

    def result(self) -> subprocess.CompletedProcess:
        if self.thread is not None:
            self.thread.join()
        with self._lock():  # another worker's build: wait for it (or build here if none was started)
            self._build()
        r = json.loads(self.done.read_text(encoding="utf-8"))
        return subprocess.CompletedProcess(r["args"], r["returncode"], r["stdout"], r["stderr"])

    def finish(self, interrupted: bool) -> None:
        """At the end of this process's session: another worker may still wait for the build, so it
        runs to its end; a run stopped by the user stops it (and leaves no result to read)."""
        if self.thread is None:
            return
        if interrupted and self.proc is not None and self.proc.poll() is None:
            self.killed = True
            self.proc.kill()
        self.thread.join()


# The e2e modules, longest first (seconds of one worker on 2 cores, 2026-12-03: random edits 100,
# test_build_e2e 77, test_signals_e2e 53, test_install 45, test_browser 29, test_preview 21,
# test_notebooks_e2e 19, test_english_print 18, test_layout 15; the others under 10 each), so that
# no worker is left with a long one at the end while the other idles. xdist's --dist loadscope hands
# a free worker the next module in this order when given --no-loadscope-reorder, as make test
# does (by default it sorts modules by their number of tests: the 90-second random-edits test ran
# last on one worker; and before this order the 53 s of test_signals_e2e, last alphabetically, ran
# on one worker for the last 50 s of the e2e half, the other idle). A worker whose module has at
# most two tests left gets the next module at once: the worker of the one-test random-edits class
# also gets the third (test_build_e2e, after it), the other worker the second (test_install).
# The modules that read the site build come after those that do not (it builds meanwhile).
FIRST = ("test_incremental.py", "test_install.py", "test_build_e2e.py", "test_signals_e2e.py", "test_browser.py",
         "test_preview.py", "test_notebooks_e2e.py", "test_english_print.py", "test_layout.py")


# The modules whose tests read briefings composed in process (tests/briefings.py: one composition
# per scope, language and process). Their tests of one scope are put next to each other (all
# modules' anhui tests, then all their beijing tests, …), right after FIRST's: xdist's --dist load
# hands each worker runs of consecutive tests, so a briefing is mostly composed by one worker
# instead of by every one (0.5–2 s each, 64 of them). (xdist's --dist loadgroup would keep a group
# on one worker, but xdist 3.8 under pytest 9 ignores the groups: they spread over the workers.)
COMPOSING = ("test_page_one_wording.py", "test_findings.py", "test_english_caveats.py", "test_english_style.py",
             "test_incremental.py", "test_chart_text_print.py")


def pytest_collection_modifyitems(config, items):
    scopes: dict[str, int] = {}

    def rank(item):
        name = Path(str(item.fspath)).name
        scope = getattr(getattr(item, "callspec", None), "params", {}).get("scope")
        if isinstance(scope, str) and name in COMPOSING:
            return (len(FIRST), scopes.setdefault(scope, len(scopes)))
        return (FIRST.index(name), 0) if name in FIRST else (len(FIRST) + 1, 0)

    items.sort(key=rank)  # stable: within a module, and within a scope across modules, the order is kept


def pytest_collection_finish(session):
    if session.config.option.collectonly:  # nothing runs: no build (pytest --collect-only waited 15 s for one)
        return
    if any("site" in getattr(item, "fixturenames", ()) for item in session.items):
        session.config._nrmc_site = _SiteBuild(_shared_root(session.config))
        session.config._nrmc_site.start()


def pytest_sessionfinish(session, exitstatus):
    build = getattr(session.config, "_nrmc_site", None)
    if build is not None:
        build.finish(interrupted=exitstatus == pytest.ExitCode.INTERRUPTED)


@pytest.fixture(scope="session")
def site(request, tmp_path_factory):
    """ONE real build of the project's notebooks for E2E_SCOPES, zh and en, HTML and PDF, from a copy
    of the data with PAYLOADS injected; shared by every test (and every xdist worker) of the run."""
    build = getattr(request.config, "_nrmc_site", None) or _SiteBuild(_shared_root(tmp_path_factory))
    r = build.result()
    assert r.returncode == 0, r.stdout + r.stderr
    root = build.root
    return {"root": root, "data": root / "data", "out": root / "reports", "out_en": root / "reports" / "en",
            "result": r}
