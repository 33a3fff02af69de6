"""Rebuild only what can change: the digest rule of nrmc.digests, and its safety.

- The safety test edits a copy of the real data at random, one valid row at a time (a number, a
  date, a name, a specialty, a centre moved to another province, a row added or removed), and
  checks that every briefing whose digest did NOT change composes to exactly the same HTML before
  and after the edit (so the incremental build never keeps a briefing that `--force` would change),
  and that the scopes the edited row is about did get a new digest.
- Every province's briefing, in both languages, composed from its subset of the data
  (`inputs.scope_dataset`, what the digest covers) equals the one composed from the whole dataset.
- The code digest ignores comments, docstrings and orchestration modules; the tools digest follows
  the browser; the build rebuilds anhui, national and the province of the centre's lead hospital
  (its briefing prints what its hospitals send) for a figure about an Anhui centre, and a build
  with nothing changed does not import pandas.
"""
from __future__ import annotations

import csv
import json
import random
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from briefings import ALL, LANGS, composed, dataset
from conftest import ROOT
from nrmc import build as b
from nrmc import digests, state

DATA = ROOT / "data"
SEED = 14
N_EDITS = 26
FULL_CHECKS = {5, 17}  # edits after which every unchanged scope is composed (not a sample)
SAMPLE = 6


# ---------------------------------------------------------------------------------------------
# Editing a copy of the data, one row at a time
# ---------------------------------------------------------------------------------------------

def read_rows(path: Path) -> tuple[list[str], list[dict]]:
    with open(path, encoding="utf-8-sig", newline="") as f:
        r = csv.DictReader(f)
        return list(r.fieldnames or []), list(r)


def write_rows(path: Path, fields: list[str], rows: list[dict]) -> None:
    with open(path, "w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, fieldnames=fields, lineterminator="\n")
        w.writeheader()
        w.writerows(rows)


class Edit:
    """One row changed in one file; `subjects` are the scopes (province codes, None for national)
    the row is about; `undo()` puts the file back."""

    def __init__(self, data: Path, fname: str):
        self.path = data / fname
        self.before = self.path.read_bytes()
        self.fields, self.rows = read_rows(self.path)
        self.subjects: set[str | None] = {None}
        self.what = fname

    def save(self) -> None:
        write_rows(self.path, self.fields, self.rows)

    def undo(self) -> None:
        self.path.write_bytes(self.before)


def _centres(data: Path) -> dict[str, dict]:
    return {r["center_id"]: r for r in read_rows(data / "centers.csv")[1]}


def _subject_scopes(data: Path, subject: str) -> set[str | None]:
    if subject == "national":
        return {None}
    if subject.isdigit():
        return {subject, None}
    c = _centres(data).get(subject)
    if c:
        return {c["province_code"], None}
    prc = {r["prc_id"]: r for r in read_rows(data / "provincial_centers.csv")[1]}.get(subject)
    return {prc["province_code"], None} if prc else {None}


def _bump(value: str, unit: str) -> str:
    v = float(value)
    if unit == "%" or v.is_integer() is False:
        return f"{max(0.1, round(v * 0.9, 1)):g}"
    return str(int(v) + 1)


def edit_number(data, rng):
    e = Edit(data, "metrics.csv")
    r = rng.choice(e.rows)
    r["value"] = _bump(r["value"], r["unit"])
    r["quote_mismatch_reason"] = "a test edit"  # else refused: the value is no longer its quote's
    e.subjects = _subject_scopes(data, r["subject_id"])
    e.what = f"metrics: value of {r['subject_id']} {r['metric']} -> {r['value']}"
    return e


def edit_date(data, rng):
    if rng.random() < 0.6:
        e = Edit(data, "metrics.csv")
        r = rng.choice(e.rows)
        subject, col = r["subject_id"], "as_of"
    else:
        e = Edit(data, "stages.csv")
        r = rng.choice(e.rows)
        subject, col = r["center_id"], "date"
    y = r[col][:4]
    r[col] = str(int(y) - 1) + r[col][4:]
    e.subjects = _subject_scopes(data, subject)
    e.what = f"{e.path.name}: {col} of {subject} -> {r[col]}"
    return e


def edit_name(data, rng):
    e = Edit(data, "centers.csv")
    r = rng.choice(e.rows)
    col = rng.choice(["name_zh", "name_en", "short_zh", "short_en"])
    r[col] = (r[col] or r["name_zh"]) + ("（改）" if col.endswith("zh") else " (renamed)")
    e.subjects = {r["province_code"], None}
    e.what = f"centers: {col} of {r['center_id']}"
    return e


def edit_specialty(data, rng):
    e = Edit(data, "centers.csv")
    codes = [s["code"] for s in read_rows(data / "specialties.csv")[1]]
    r = rng.choice(e.rows)
    r["specialty"] = rng.choice([c for c in codes if c != r["specialty"]])
    e.subjects = {r["province_code"], None}
    e.what = f"centers: specialty of {r['center_id']} -> {r['specialty']}"
    return e


def edit_move(data, rng):
    e = Edit(data, "centers.csv")
    provinces = [p["code"] for p in read_rows(data / "provinces.csv")[1]]
    cities = read_rows(data / "cities.csv")[1]
    r = rng.choice(e.rows)
    old = r["province_code"]
    new = rng.choice([p for p in provinces if p != old])
    r["province_code"] = new
    theirs = [c["name_zh"] for c in cities if c["province_code"] == new]
    if r["city_zh"]:
        r["city_zh"] = rng.choice(theirs) if theirs else ""
        if not r["city_zh"]:
            r["city_basis"] = ""
    e.subjects = {old, new, None}
    e.what = f"centers: {r['center_id']} moved {old} -> {new}"
    return e


def edit_add(data, rng):
    e = Edit(data, "metrics.csv")
    r = dict(rng.choice(e.rows))
    r["value"] = _bump(r["value"], r["unit"])
    r["quote_mismatch_reason"] = "a test edit"
    r["note"] = "a later figure (test)"
    e.rows.append(r)
    e.subjects = _subject_scopes(data, r["subject_id"])
    e.what = f"metrics: added {r['subject_id']} {r['metric']} = {r['value']}"
    return e


def edit_remove(data, rng):
    fname = rng.choice(["metrics.csv", "stages.csv"])
    e = Edit(data, fname)
    r = e.rows.pop(rng.randrange(len(e.rows)))
    subject = r.get("subject_id") or r.get("center_id")
    e.subjects = _subject_scopes(data, subject)
    e.what = f"{fname}: removed a row about {subject}"
    return e


EDITS = [edit_number] * 5 + [edit_date] * 4 + [edit_name] * 4 + [edit_specialty] * 3 + [edit_move] * 3 + \
        [edit_add] * 4 + [edit_remove] * 3


def valid_edit(data: Path, rng: random.Random):
    """Apply a random valid single-row edit (one the validation accepts) and return it with the
    dataset after it."""
    from nrmc.data import DataValidationError, load

    for _ in range(50):
        kind = rng.choice(EDITS)
        e = kind(data, rng)
        e.save()
        try:
            return e, load(data)
        except DataValidationError:
            e.undo()
    raise AssertionError("no valid edit found in 50 tries")


# ---------------------------------------------------------------------------------------------
# Composing briefings in process (the classes the notebooks call)
# ---------------------------------------------------------------------------------------------

def compose(ds, code: str | None, lang: str) -> str:
    from nrmc.assemble import compose_html
    from nrmc.context import Briefing

    if code is None:
        return compose_html(Briefing("national", lang=lang, ds=ds))
    return compose_html(Briefing(code, lang=lang, ds=ds))


def random_edits(tmp_path, n_edits: int, sample: int, full_checks=()):
    """Edit a copy of the data `n_edits` times at random; after each edit, compose `sample` of the
    briefings whose digest did not change (all of them after the edits in `full_checks`) from the
    data before and after it, and require the same HTML. A briefing composed after one edit is
    reused as the "before" of the next (the same data), and preferred when sampling."""
    from nrmc.data import load

    data = tmp_path / "data"
    shutil.copytree(DATA, data)
    rng = random.Random(SEED)
    ds = load(data)
    codes: list[str | None] = [*ds.provinces["code"], None]
    before = digests.scope_data_digests(ds, codes)
    composed: dict[tuple, str] = {}  # (code, lang) -> HTML of the data as it is now
    files, checked, rebuilt = set(), 0, []
    for step in range(n_edits):
        edit, after_ds = valid_edit(data, rng)
        files.add(edit.path.name)
        after = digests.scope_data_digests(after_ds, codes)
        changed = {c for c in codes if after[c] != before[c]}
        rebuilt.append(len(changed))
        # (b) the scopes the edited row is about get a new digest
        assert edit.subjects <= changed, f"edit {step} ({edit.what}): {edit.subjects - changed} kept its digest"
        # (a) a scope whose digest did not change composes to the same HTML
        same = [c for c in codes if c not in changed]
        if step in full_checks:
            picked = [(c, "zh" if (step + i) % 2 == 0 else "en") for i, c in enumerate(same)]
        else:
            warm = [k for k in composed if k[0] in same]
            picked = rng.sample(warm, min(sample // 2, len(warm)))
            rest = [c for c in same if c not in {k[0] for k in picked}]
            picked += [(c, rng.choice(["zh", "en"])) for c in rng.sample(rest, min(sample - len(picked), len(rest)))]
        now: dict[tuple, str] = {}
        for code, lang in picked:
            old = composed.get((code, lang)) or compose(ds, code, lang)
            now[(code, lang)] = compose(after_ds, code, lang)
            assert now[(code, lang)] == old, \
                f"edit {step} ({edit.what}) changed the briefing of {code or 'national'} ({lang}) but not its digest"
            checked += 1
        composed = now
        ds, before = after_ds, after
    assert checked >= n_edits
    assert min(rebuilt) < len(codes) / 2  # an edit about one province rebuilds few briefings
    return files


def test_briefings_whose_digest_did_not_change_compose_the_same_after_random_edits(tmp_path):
    """A quick run: 6 random edits, 3 briefings checked after each."""
    assert len(random_edits(tmp_path, 6, 3)) >= 2


# The slow end-to-end check below is in a class of its own: `--dist loadscope` (make test) keeps a
# module, or a class, on one worker, so that it can run on another worker than the rest of this
# module (it is the e2e half's longest test).
@pytest.mark.e2e
class TestManyRandomEdits:
    def test_briefings_whose_digest_did_not_change_compose_the_same_after_many_random_edits(self, tmp_path):
        """The full run (slow, no kernel or browser): 26 edits of every kind, 6 briefings checked after
        each, and every unchanged briefing after two of them."""
        assert len(random_edits(tmp_path, N_EDITS, SAMPLE, FULL_CHECKS)) >= 3


PROVINCES = [pytest.param(s, lg, id=f"{s}-{lg}") for s in ALL if s != "national" for lg in LANGS]


@pytest.mark.parametrize("scope,lang", PROVINCES)
def test_a_province_composed_from_its_subset_equals_one_from_all_the_data(scope, lang):
    """Every province in both languages (anhui, guizhou: hosts; hubei: known; tibet: unknown;
    shanghai: exporter, …). The subset side is the briefing every test of the fast suite reads
    (tests/briefings.py composes from the subset, as the build does), so only the side composed
    from the whole dataset is composed here (this was two slow e2e tests, a language each)."""
    from nrmc.assemble import compose_html
    from nrmc.context import Briefing

    _, from_subset = composed(scope, lang)
    assert from_subset == compose_html(Briefing(scope, lang=lang, ds=dataset(), full=True)), (scope, lang)


def test_a_later_figure_elsewhere_moves_a_province_subsets_reference_date(ds):
    """Ages (运行时长) are counted to the whole dataset's latest date. A province's subset keeps that
    date, so a later figure about another province's centre changes the province's briefing and
    its digest (found when a 2026 Gansu figure outdated the Anhui durations of an incremental build)."""
    from dataclasses import replace

    import pandas as pd

    from nrmc import inputs

    assert inputs.scope_dataset(ds, "340000").latest_date == ds.latest_date
    m = ds.metrics.copy()
    i = m.index[m["subject_id"] == "GZ-03"][0]  # a Guizhou centre's figure: not in Anhui's subset
    m.loc[i, "as_of_dt"] = ds.latest_date + pd.Timedelta(days=30)
    later = replace(ds, metrics=m)
    sub = inputs.scope_dataset(later, "340000")
    assert "GZ-03" not in set(sub.metrics["subject_id"])
    assert sub.latest_date == later.latest_date > ds.latest_date
    assert inputs.scope_digest(later, "340000") != inputs.scope_digest(ds, "340000")
    assert digests.scope_data_digests(later, ["340000"])["340000"] == inputs.scope_digest(later, "340000")


def test_scope_data_digests_equal_inputs_scope_digest(ds):
    from nrmc import inputs

    codes = ["340000", "110000", None]
    got = digests.scope_data_digests(ds, codes)
    assert got == {c: inputs.scope_digest(ds, c) for c in codes}
    sub = ds.as_of("2023-12-31")
    assert digests.scope_data_digests(sub, ["340000"])["340000"] == inputs.scope_digest(sub, "340000")
    assert inputs.scope_digest(sub, "340000") != got["340000"]


# ---------------------------------------------------------------------------------------------
# The code and the tools
# ---------------------------------------------------------------------------------------------

@pytest.fixture
def package(tmp_path):
    root = tmp_path / "nrmc"
    shutil.copytree(digests.PACKAGE_DIR, root, ignore=shutil.ignore_patterns("__pycache__", "_bundled"))
    return root


def _append(path: Path, text: str) -> None:
    path.write_text(path.read_text(encoding="utf-8") + text, encoding="utf-8")


def test_code_digest_ignores_comments_and_docstrings_but_not_code(package):
    first = digests.code_digest(root=package)
    charts = package / "charts" / "__init__.py"
    _append(charts, "\n# a comment\n\n\n")
    src = charts.read_text(encoding="utf-8")
    charts.write_text(src.replace('"""All charts of the briefings', '"""Every chart of the briefings', 1),
                      encoding="utf-8")
    assert digests.code_digest(root=package) == first
    _append(charts, "\nDARK = '#000000'\n")
    assert digests.code_digest(root=package) != first


def test_code_digest_leaves_out_orchestration_and_counts_templates_and_new_modules(package):
    first = digests.code_digest(root=package)
    _append(package / "cli.py", "\nX = 1  # the command line cannot change a briefing\n")
    _append(package / "kernels.py", "\nY = 2\n")
    assert digests.code_digest(root=package) == first
    css = next(package.glob("templates/**/*.css"))
    _append(css, "\n/* a comment in CSS still reaches the page */\n")
    second = digests.code_digest(root=package)
    assert second != first
    (package / "newpart.py").write_text("Z = 3\n", encoding="utf-8")
    assert digests.code_digest(root=package) != second


def test_code_digest_cache_reparses_only_changed_files(package, monkeypatch):
    cache: dict = {}
    first = digests.code_digest(cache, root=package)
    calls = []
    real = digests.file_digest
    monkeypatch.setattr(digests, "file_digest", lambda p: calls.append(p) or real(p))
    assert digests.code_digest(cache, root=package) == first and calls == []
    _append(package / "labels.py", "\nW = 4\n")
    assert digests.code_digest(cache, root=package) != first
    assert [p.name for p in calls] == ["labels.py"]


def test_tools_digest_follows_the_browser_and_package_versions(monkeypatch):
    from nrmc import chromium

    cache: dict = {}
    monkeypatch.setattr(chromium, "find_chromium", lambda explicit=None: "/opt/fake/chromium")
    monkeypatch.setattr(chromium, "binary_key", lambda path: [path, 1, 2])
    runs = []
    monkeypatch.setattr(chromium, "version", lambda path: runs.append(path) or "Chromium 150")
    first = digests.tools_digest(cache)
    assert digests.tools_digest(cache) == first and len(runs) == 1  # the version is asked once per binary
    monkeypatch.setattr(chromium, "binary_key", lambda path: [path, 1, 3])  # an upgrade
    monkeypatch.setattr(chromium, "version", lambda path: "Chromium 151")
    assert digests.tools_digest(cache) != first
    real = digests.package_versions
    monkeypatch.setattr(digests, "package_versions", lambda names=digests.OUTPUT_PACKAGES: {**real(names), "pandas": "9.9"})
    assert digests.tools_digest(cache) != first


def test_package_versions_read_from_the_installation():
    from importlib import metadata

    got = digests.package_versions(["pandas", "matplotlib", "Jinja2", "no-such-package-nrmc"])
    assert got["pandas"] == metadata.version("pandas") and got["Jinja2"] == metadata.version("jinja2")
    assert got["no-such-package-nrmc"] == "-"


# ---------------------------------------------------------------------------------------------
# The build
# ---------------------------------------------------------------------------------------------

def fake_run(log):
    """Stands in for the notebooks (no kernel): commits small files through the real commit code."""

    def run(plan, out, snap, *, formats, report_skipped, **kw):
        todo, skipped = plan()
        report_skipped(skipped)
        results = []
        for job in todo:
            files = {f: f"{job.digest} {f}".encode() for f in formats}
            files["ipynb"] = b"{}"
            state.commit_briefing(job, snap, files, {"meta": {}}, formats, 0.1)
            results.append(b.ScopeResult(job.scope.slug, "", "built", lang=job.lang))
            log.append((job.scope.slug, job.lang))
        return results

    return run


@pytest.fixture
def real_copy(tmp_path, monkeypatch):
    data = tmp_path / "data"
    shutil.copytree(DATA, data)
    monkeypatch.setattr(b, "preflight", lambda *a, **k: None)
    log: list = []
    monkeypatch.setattr(b, "_run_jobs", fake_run(log))
    b.build(None, tmp_path / "r", data_dir=data, formats=("html",))
    assert len(log) == 64
    log.clear()
    return data, tmp_path / "r", log


def _rebuild(data, out, log):
    log.clear()
    b.build(None, out, data_dir=data, formats=("html",))
    return {slug for slug, _ in log}, sorted(log)


def test_a_figure_about_an_anhui_centre_rebuilds_anhui_its_lead_province_and_national_only(real_copy):
    data, out, log = real_copy
    fields, rows = read_rows(data / "metrics.csv")
    row = dict(next(r for r in rows if r["subject_id"] == "AH-02"))  # 上海六院安徽: led by a Shanghai hospital
    row.update(value="60", quote=row["quote"].replace("50", "60"), as_of="2025-12-01", note="a later figure")
    write_rows(data / "metrics.csv", fields, [*rows, row])
    slugs, jobs = _rebuild(data, out, log)
    assert jobs == [("anhui", "en"), ("anhui", "zh"), ("national", "en"), ("national", "zh"),
                    ("shanghai", "en"), ("shanghai", "zh")]
    assert _rebuild(data, out, log)[1] == []  # and then nothing


def test_moving_a_centre_rebuilds_both_provinces_and_national(real_copy):
    data, out, log = real_copy
    fields, rows = read_rows(data / "centers.csv")
    r = next(r for r in rows if r["province_code"] == "340000")
    r["province_code"], r["city_zh"] = "360000", ""
    r["city_basis"] = ""
    write_rows(data / "centers.csv", fields, rows)
    slugs, _ = _rebuild(data, out, log)
    assert {"anhui", "jiangxi", "national"} <= slugs


def test_formatting_the_csv_or_editing_the_data_readme_rebuilds_nothing(real_copy):
    data, out, log = real_copy
    fields, rows = read_rows(data / "metrics.csv")
    write_rows(data / "metrics.csv", fields, rows)  # same content, other quoting
    (data / "README.md").write_text("notes of the analyst", encoding="utf-8")
    assert _rebuild(data, out, log)[1] == []


def test_a_file_beside_the_tables_counts_for_every_briefing(real_copy):
    """A notebook gets the data folder's path and may read any file in it; notes and backups aside."""
    data, out, log = real_copy
    (data / "extra.json").write_text('{"read by": "a notebook of your own"}', encoding="utf-8")
    assert len(_rebuild(data, out, log)[1]) == 64
    (data / "notes.md").write_text("what the analyst is checking", encoding="utf-8")
    (data / "metrics.csv~").write_text("an editor's backup", encoding="utf-8")
    assert _rebuild(data, out, log)[1] == []


def test_the_dataset_files_are_the_tables_load_reads():
    from nrmc.data import TABLES

    assert digests.DATASET_FILES == {f"{t}.csv" for t in TABLES}


def test_invalid_data_matches_no_earlier_build(real_copy, monkeypatch):
    data, out, log = real_copy
    with open(data / "metrics.csv", "a", encoding="utf-8") as f:
        f.write("340000,no_such_metric,,1,,个,2025-11,publication,snapshot,S01,,,,,\n")
    slugs, jobs = _rebuild(data, out, log)
    assert len(jobs) == 64  # preflight (stubbed here) reports the problems; nothing counts as current


def test_a_build_with_nothing_changed_does_not_import_pandas(real_copy):
    data, out, _ = real_copy
    code = ("import sys; from nrmc.build import build; "
            f"s = build(None, {str(out)!r}, data_dir={str(data)!r}, formats=('html',)); "
            "print(len(s.skipped), len(s.built), 'pandas' in sys.modules, 'matplotlib' in sys.modules)")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert r.stdout.split() == ["64", "0", "False", "False"], r.stdout + r.stderr
    cache = json.loads((out / ".state" / "digests.json").read_text(encoding="utf-8"))
    assert cache["code"] and cache["data"]


def test_front_page_is_rewritten_only_when_an_entry_changes(real_copy):
    data, out, log = real_copy
    index = out / "index.html"
    before = index.stat().st_mtime_ns
    (data / "README.md").write_text("notes", encoding="utf-8")
    _rebuild(data, out, log)
    assert index.stat().st_mtime_ns == before
    fields, rows = read_rows(data / "metrics.csv")
    rows[0]["value"] = str(int(float(rows[0]["value"])) + 1)
    rows[0]["quote_mismatch_reason"] = "a test edit"  # else refused: the value is no longer its quote's
    write_rows(data / "metrics.csv", fields, rows)
    _rebuild(data, out, log)
    assert index.stat().st_mtime_ns != before


def test_a_build_into_a_new_folder_reuses_the_users_code_digests(tmp_path, monkeypatch):
    """The code's digest cache is also kept per user (~/.cache/nrmc): a second output folder parses
    no module again; a changed module is parsed again, whichever folder asks."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    snap = state.snapshot_data(DATA, tmp_path / "out1")
    first = digests.BuildDigests(tmp_path / "out1" / ".state", snap)
    calls = []
    real = digests.file_digest
    monkeypatch.setattr(digests, "file_digest", lambda p: calls.append(p) or real(p))
    snap2 = state.snapshot_data(DATA, tmp_path / "out2")
    second = digests.BuildDigests(tmp_path / "out2" / ".state", snap2)
    assert second.code == first.code and calls == []
    assert (tmp_path / "cache" / "nrmc").is_dir() and any((tmp_path / "cache" / "nrmc").glob("digests-*.json"))
    # an entry counts only for the file as it was: a stale size or mtime is parsed again
    shared = digests._shared_path()
    entries = json.loads(shared.read_text(encoding="utf-8"))
    rel = next(iter(entries["code"]))
    entries["code"][rel][0] += 1
    shared.write_text(json.dumps(entries), encoding="utf-8")
    digests.BuildDigests(tmp_path / "out3" / ".state", state.snapshot_data(DATA, tmp_path / "out3"))
    assert [p.relative_to(digests.PACKAGE_DIR).as_posix() for p in calls] == [rel]
