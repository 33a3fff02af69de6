"""Build internals that need neither a kernel nor a browser: digests, state, commits, lock, front page.

Where the orchestration itself is tested (`build()`), the notebook run is replaced by a stand-in
(`fake_run`) that commits files through the real commit code, so the tests stay fast.
"""
from __future__ import annotations

import json
import multiprocessing
import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from conftest import MINIMAL, ROOT
from nrmc import build as b
from nrmc import index, parameters, state
from nrmc.layout import Layout
from nrmc.regions import all_scopes, resolve_scope

REPO = Path(__file__).resolve().parents[1]
STUBS = REPO / "tests" / "fixtures" / "notebooks"


@pytest.fixture
def data_dir(tmp_path):
    d = tmp_path / "data"
    d.mkdir()
    shutil.copy(REPO / "data" / "provinces.csv", d / "provinces.csv")
    return d


# ---------------------------------------------------------------------------------------------
# Shape
# ---------------------------------------------------------------------------------------------

def test_build_is_split_by_concern():
    """A newcomer finds each concern from the file names: kernels, state, front page, orchestration."""
    import inspect

    from nrmc import frontpage, kernels, layout

    assert hasattr(kernels, "KernelPool") and hasattr(kernels, "execute_notebook")
    assert hasattr(state, "build_lock") and hasattr(state, "write_atomic") and hasattr(state, "Commit")
    assert hasattr(layout, "Layout") and hasattr(frontpage, "render_frontpage")
    src = inspect.getsource(b)
    for concern in ("class KernelPool", "def write_atomic", "def build_lock", "<!DOCTYPE html>", "WARMUP_CODE"):
        assert concern not in src, concern


# ---------------------------------------------------------------------------------------------
# Digests
# ---------------------------------------------------------------------------------------------

def test_snapshot_digest_follows_data_files(data_dir):
    first = state.read_data(data_dir)[1]
    assert state.read_data(data_dir)[1] == first
    (data_dir / "metrics.csv").write_text("subject_id\n", encoding="utf-8")
    second = state.read_data(data_dir)[1]
    assert second != first
    (data_dir / "metrics.csv").write_text("subject_id\nx\n", encoding="utf-8")
    assert state.read_data(data_dir)[1] != second


def test_briefing_digest_follows_notebook_and_parameters_but_not_the_data_path(data_dir, tmp_path):
    from nrmc.digests import briefing_digest

    nb = tmp_path / "province.ipynb"
    shutil.copy(STUBS / "province.ipynb", nb)
    anhui = resolve_scope("anhui", data_dir)
    p = parameters.parameters_for(anhui, lang="zh", data_dir=data_dir)
    assert p == {"scope": "anhui", "lang": "zh", "data_dir": str(data_dir)}
    d = briefing_digest("static", "data", nb, p)
    assert d == briefing_digest("static", "data", nb, {**p, "data_dir": "/elsewhere/same/content"})
    assert d != briefing_digest("static", "data", nb, {**p, "lang": "en"})
    assert d != briefing_digest("static", "data", nb, {**p, "as_of": "2023-12-31"})
    assert d != briefing_digest("static", "other data", nb, p)
    assert d != briefing_digest("other code", "data", nb, p)
    nb.write_bytes(nb.read_bytes() + b" ")
    assert d != briefing_digest("static", "data", nb, p)


def test_every_notebook_takes_the_command_line_s_parameter_names(data_dir):
    """One vocabulary: `scope` (not `province`) in the command line, the notebooks and the API."""
    nat = resolve_scope("national", data_dir)
    p = parameters.parameters_for(nat, lang="zh", data_dir=data_dir)
    assert p["scope"] == "national" and "province" not in p
    assert set(p) <= set(parameters.DECLARED)
    assert parameters.notebook_for(nat, STUBS).name == "national.ipynb"


def test_snapshot_holds_the_data_as_read_and_its_digest(data_dir, tmp_path):
    out = tmp_path / "reports"
    snap = state.snapshot_data(data_dir, out)
    assert (snap.dir / "provinces.csv").read_bytes() == (data_dir / "provinces.csv").read_bytes()
    assert snap.dir.is_relative_to(out / ".state")
    (data_dir / "provinces.csv").write_text("edited after the snapshot", encoding="utf-8")
    assert (snap.dir / "provinces.csv").read_bytes() != b"edited after the snapshot"
    again = state.snapshot_data(data_dir, out)
    assert again.digest != snap.digest and again.dir != snap.dir


# ---------------------------------------------------------------------------------------------
# Layout: both languages side by side
# ---------------------------------------------------------------------------------------------

def test_each_language_has_its_own_files_and_state(tmp_path):
    zh, en = Layout(tmp_path, "zh"), Layout(tmp_path, "en")
    assert zh.output("anhui", "html") == tmp_path / "anhui.html"
    assert zh.output("anhui", "ipynb") == tmp_path / "notebooks" / "anhui.ipynb"
    assert en.output("anhui", "pdf") == tmp_path / "en" / "anhui.pdf"
    assert en.output("anhui", "ipynb") == tmp_path / "en" / "notebooks" / "anhui.ipynb"
    assert zh.state("anhui") == tmp_path / ".state" / "zh" / "anhui.json"
    assert en.state("anhui") == tmp_path / ".state" / "en" / "anhui.json"
    assert zh.index == tmp_path / "index.html" and en.index == tmp_path / "en" / "index.html"
    assert en.href(zh.output("anhui", "pdf")) == "../anhui.pdf"
    assert zh.href(en.output("anhui", "pdf")) == "en/anhui.pdf"
    paths = {p for lay in (zh, en) for p in lay.outputs("anhui", ("html", "pdf")).values()}
    assert len(paths) == 6


@pytest.mark.parametrize("value,expected", [("zh", ("zh",)), ("en", ("en",)), ("zh,en", ("zh", "en")),
                                            ("en, zh", ("en", "zh")), (None, ("zh", "en"))])
def test_parse_langs(value, expected):
    assert b.parse_langs(value) == expected


def test_parse_langs_refuses_an_unknown_language():
    with pytest.raises(b.BuildError, match="fr"):
        b.parse_langs("zh,fr")


# ---------------------------------------------------------------------------------------------
# Commits: a briefing is replaced whole or not at all
# ---------------------------------------------------------------------------------------------

def _job(tmp_path, lang="zh", digest="D1", slug="anhui"):
    scope = resolve_scope(slug, REPO / "data")
    return b._Job(scope, lang, Layout(tmp_path / "reports", lang), STUBS / "province.ipynb", {}, digest)


def _snap(tmp_path):
    d = tmp_path / "reports" / ".state" / "snapshots" / "s1"
    d.mkdir(parents=True, exist_ok=True)
    return state.DataSnapshot(tmp_path / "data", d, "s1" * 32)


def _commit(job, snap, formats=("html", "pdf"), tag="v1", meta=None):
    files = {f: f"{tag} {f}".encode() for f in formats}
    files["ipynb"] = f"{tag} ipynb".encode()
    report = {"as_of": "2025-11-30", "title": "t", "built_at": "2026-01-01T00:00:00", "meta": meta or {}}
    return state.commit_briefing(job, snap, files, report, formats, 1.0)


def _files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file() and p.name != ".build.lock"}


def test_commit_writes_outputs_and_state_together(tmp_path):
    job, snap = _job(tmp_path), _snap(tmp_path)
    _commit(job, snap, meta={"centres": 7, "window": ["2019-01", "2025-11"]})
    lay = job.layout
    assert lay.output("anhui", "html").read_bytes() == b"v1 html"
    st = state.read_state(lay, "anhui")
    assert st["status"] == "ok" and st["digest"] == "D1"
    assert st["outputs"]["pdf"] == {"digest": "D1", "bytes": len(b"v1 pdf")}
    assert st["report"]["meta"] == {"centres": 7, "window": ["2019-01", "2025-11"]}
    assert state.is_up_to_date(lay, "anhui", "D1", ("html", "pdf"))
    assert not state.is_up_to_date(lay, "anhui", "D2", ("html",))
    assert not list((tmp_path / "reports" / ".state" / "journal").glob("*"))


def test_disk_full_while_writing_keeps_the_previous_set_intact(tmp_path, monkeypatch):
    job, snap = _job(tmp_path), _snap(tmp_path)
    _commit(job, snap)
    before = _files(tmp_path / "reports")
    calls = {"n": 0}
    real_fsync = os.fsync

    def fsync(fd):
        calls["n"] += 1
        if calls["n"] == 2:  # the second output of the new set
            raise OSError(28, "No space left on device")
        return real_fsync(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    with pytest.raises(OSError, match="No space") as info:
        _commit(_job(tmp_path, digest="D2"), snap, tag="v2")
    assert info.value.filename == str(job.layout.output("anhui", "pdf"))  # the file, not its temporary name
    monkeypatch.setattr(os, "fsync", real_fsync)
    assert _files(tmp_path / "reports") == before  # old html, pdf, notebook and state; no temp file


def test_a_commit_killed_during_the_renames_is_rolled_forward_by_the_next_build(tmp_path, monkeypatch):
    job, snap = _job(tmp_path), _snap(tmp_path)
    _commit(job, snap)
    real_replace = os.replace
    calls = {"n": 0}

    def dies(src, dst):  # the journal and the first output get renamed, then the process is killed
        calls["n"] += 1
        if calls["n"] >= 3:
            raise KeyboardInterrupt
        return real_replace(src, dst)

    monkeypatch.setattr(os, "replace", dies)
    with pytest.raises(KeyboardInterrupt):
        _commit(_job(tmp_path, digest="D2"), snap, tag="v2")
    monkeypatch.undo()
    lay = job.layout
    assert lay.output("anhui", "html").read_bytes() == b"v2 html"  # mixed until the next start
    assert lay.output("anhui", "pdf").read_bytes() == b"v1 pdf"
    state.recover(tmp_path / "reports")
    assert {f: lay.output("anhui", f).read_bytes() for f in ("html", "pdf", "ipynb")} == {
        "html": b"v2 html", "pdf": b"v2 pdf", "ipynb": b"v2 ipynb"}
    assert state.read_state(lay, "anhui")["digest"] == "D2"
    assert not [p for p in (tmp_path / "reports").rglob("*") if p.name.startswith(".nrmc-tmp.")]


def test_cleanup_removes_only_nrmcs_own_temporary_files(tmp_path):
    out = tmp_path / "reports"
    (out / "notebooks").mkdir(parents=True)
    (out / "en" / "notebooks").mkdir(parents=True)
    users = [out / "report.tmp-draft.docx", out / "notebooks" / "my.tmp-notes.ipynb", out / "anhui.pdf.tmp-12345",
             out / "en" / "notes.tmp"]
    ours = [out / ".nrmc-tmp.999.1.anhui.pdf", out / "notebooks" / ".nrmc-tmp.999.2.anhui.ipynb",
            out / "en" / ".nrmc-tmp.999.3.anhui.html"]
    for p in users + ours:
        p.write_text("x")
    with state.build_lock(out):
        state.recover(out)
    assert all(p.exists() for p in users)
    assert not any(p.exists() for p in ours)


def test_a_zero_byte_output_counts_as_missing(tmp_path):
    job, snap = _job(tmp_path), _snap(tmp_path)
    _commit(job, snap)
    job.layout.output("anhui", "pdf").write_bytes(b"")
    assert not state.is_up_to_date(job.layout, "anhui", "D1", ("html", "pdf"))
    assert state.is_up_to_date(job.layout, "anhui", "D1", ("html",))
    assert "pdf" not in state.current_outputs(job.layout, "anhui", "D1")


def test_a_format_not_rebuilt_is_deleted_when_its_inputs_changed(tmp_path):
    """build anhui, then after a data change build anhui --format html: the old PDF goes."""
    snap = _snap(tmp_path)
    _commit(_job(tmp_path, digest="D1"), snap, formats=("html", "pdf"))
    job2 = _job(tmp_path, digest="D2")
    _commit(job2, snap, formats=("html",), tag="v2")
    lay = job2.layout
    assert not lay.output("anhui", "pdf").exists()
    assert set(state.read_state(lay, "anhui")["outputs"]) == {"html", "ipynb"}
    # without a data change, the PDF built from the same inputs stays current
    _commit(_job(tmp_path, digest="D2"), snap, formats=("pdf",), tag="v2")
    _commit(_job(tmp_path, digest="D2"), snap, formats=("html",), tag="v2b")
    assert lay.output("anhui", "pdf").read_bytes() == b"v2 pdf"
    assert state.is_up_to_date(lay, "anhui", "D2", ("html", "pdf"))


def test_a_failure_keeps_the_previous_outputs_and_says_so(tmp_path):
    snap = _snap(tmp_path)
    job = _job(tmp_path, digest="D1")
    _commit(job, snap)
    state.record_failure(_job(tmp_path, digest="D2"), snap, b"{}", ("html", "pdf"), "RuntimeError: boom", 3)
    st = state.read_state(job.layout, "anhui")
    assert st["status"] == "failed" and st["cell"] == 3 and st["outputs"]["html"]["digest"] == "D1"
    assert job.layout.output("anhui", "html").read_bytes() == b"v1 html"
    assert job.layout.failed_notebook("anhui").read_bytes() == b"{}"
    _commit(_job(tmp_path, digest="D2"), snap, tag="v2")
    assert not job.layout.failed_notebook("anhui").exists()


# ---------------------------------------------------------------------------------------------
# Front page entries
# ---------------------------------------------------------------------------------------------

def test_front_page_entries_link_only_current_outputs(tmp_path):
    snap = _snap(tmp_path)
    out = tmp_path / "reports"
    _commit(_job(tmp_path, "zh", "D2"), snap, meta={"as_of": "2025-11-30", "n_centres": 7})
    _commit(_job(tmp_path, "en", "E1"), snap)  # English built from older inputs: stale today
    state.record_failure(_job(tmp_path, "zh", "N2", slug="national"), snap, None, ("html",), "ValueError: <bad>", 2)
    scopes = all_scopes(REPO / "data")
    digests = {"zh": {"anhui": "D2", "national": "N2"}, "en": {"anhui": "E2"}}
    zh = index.entries_for(out, "zh", scopes, digests)
    en = index.entries_for(out, "en", scopes, digests)
    assert [e["slug"] for e in zh][:2] == ["national", "beijing"] and len(zh) == 32
    assert [e["code"] for e in zh[1:]] == sorted(e["code"] for e in zh[1:])
    anhui_zh = next(e for e in zh if e["slug"] == "anhui")
    anhui_en = next(e for e in en if e["slug"] == "anhui")
    assert anhui_zh["status"] == "ok" and anhui_zh["links"] == {"html": "anhui.html", "pdf": "anhui.pdf"}
    assert anhui_zh["other_lang_links"] == {}  # the English one is not current
    assert anhui_zh["meta"] == {"as_of": "2025-11-30", "n_centres": 7}
    assert anhui_zh["built_at"] == "2026-01-01T00:00:00" and anhui_zh["kind"] == "province"
    assert anhui_en["status"] == "stale" and anhui_en["links"] == {}
    assert anhui_en["stale_links"] == {"html": "anhui.html", "pdf": "anhui.pdf"}
    assert anhui_en["other_lang_links"] == {"html": "../anhui.html", "pdf": "../anhui.pdf"}
    national = zh[0]
    assert national["status"] == "failed" and national["error"] == "ValueError: <bad>" and national["cell"] == 2
    assert next(e for e in zh if e["slug"] == "beijing")["status"] == "not_built"
    info = index.build_info(zh, ("zh",))
    assert (info["n_ok"], info["n_failed"], info["n_not_built"]) == (1, 1, 30)


def test_front_page_placeholder_escapes_everything(tmp_path):
    from nrmc.frontpage import render_frontpage

    entry = {"slug": "evil", "kind": "province", "code": "1", "name_zh": "<script>alert(1)</script>",
             "name_en": "x", "status": "failed", "links": {"html": 'a" onclick="x.html'}, "other_lang_links": {},
             "meta": {}, "error": "<b>boom</b>", "cell": 1, "built_at": None}
    page = render_frontpage("zh", [entry], data_dir=tmp_path, build_info={"version": "0", "generated": "d"})
    assert "<script>alert" not in page and "&lt;script&gt;" in page and "<b>boom" not in page
    assert 'onclick="x' not in page


def test_index_not_rewritten_when_unchanged(tmp_path, data_dir):
    out = tmp_path / "reports"
    scopes = all_scopes(data_dir)
    digests = {"zh": {}, "en": {}}
    path = index.write_index(out, "zh", scopes, digests, data_dir=data_dir, langs_built=("zh",))
    before = path.stat().st_mtime_ns
    time.sleep(0.01)
    index.write_index(out, "zh", scopes, digests, data_dir=data_dir, langs_built=("zh",))
    assert path.stat().st_mtime_ns == before
    path.unlink()  # a deleted front page is written again
    assert index.write_index(out, "zh", scopes, digests, data_dir=data_dir, langs_built=("zh",)).exists()


# ---------------------------------------------------------------------------------------------
# Lock
# ---------------------------------------------------------------------------------------------

def _hold_lock(out, started, release):
    with state.build_lock(Path(out)):
        started.set()
        release.wait(30)


def test_second_build_waits_for_the_lock(tmp_path):
    out = tmp_path / "reports"
    ctx = multiprocessing.get_context("fork")
    started, release = ctx.Event(), ctx.Event()
    proc = ctx.Process(target=_hold_lock, args=(str(out), started, release))
    proc.start()
    try:
        assert started.wait(10)
        messages = []

        def on_wait(text):
            messages.append(text)
            release.set()  # the other build finishes only once this one has said it waits

        with state.build_lock(out, on_wait):
            assert not proc.is_alive() or release.is_set()
        assert messages and "waiting" in messages[0]
    finally:
        release.set()
        proc.join(10)


# ---------------------------------------------------------------------------------------------
# build(): arguments and orchestration (the notebook run replaced by fake_run)
# ---------------------------------------------------------------------------------------------

def test_build_rejects_bad_arguments(tmp_path, data_dir):
    with pytest.raises(b.BuildError, match="format"):
        b.build(["anhui"], tmp_path / "r", formats=("docx",), data_dir=data_dir, notebooks_dir=STUBS)
    with pytest.raises(b.BuildError, match="language"):
        b.build(["anhui"], tmp_path / "r", langs="fr", data_dir=data_dir, notebooks_dir=STUBS)
    with pytest.raises(b.BuildError, match="notebook not found"):
        b.build(["anhui"], tmp_path / "r", data_dir=data_dir, notebooks_dir=tmp_path)
    with pytest.raises(b.BuildError, match="as_of"):
        b.build(["anhui"], tmp_path / "r", data_dir=data_dir, notebooks_dir=STUBS, as_of="last year")
    assert not (tmp_path / "r").exists()


@pytest.mark.parametrize("where", ["same", "inside", "around"])
def test_out_equal_to_inside_or_around_the_data_is_refused(tmp_path, where):
    data = tmp_path / "proj" / "data"
    shutil.copytree(MINIMAL, data)
    out = {"same": data, "inside": data / "reports", "around": tmp_path / "proj"}[where]
    before = _files(tmp_path)
    with pytest.raises(b.BuildError, match="data"):
        b.build(["anhui"], out, data_dir=data, notebooks_dir=STUBS)
    assert _files(tmp_path) == before
    assert not (data / "reports").exists()


def fake_run(edit=None):
    """A stand-in for running the notebooks: commits small files through the real commit code."""

    def run(plan, out, snap, *, formats, on_result=None, done=0, total=0, report_skipped=None, **kw):
        todo, skipped = plan()
        report_skipped(skipped)
        if edit:
            edit()
        results = []
        for job in todo:
            files = {f: f"{job.digest} {f}".encode() for f in formats}
            files["ipynb"] = b"{}"
            state.commit_briefing(job, snap, files, {"meta": {"data_dir": job.params["data_dir"]}}, formats, 0.1)
            results.append(b.ScopeResult(job.scope.slug, "", "built", lang=job.lang))
        return results

    return run


@pytest.fixture
def no_preflight(monkeypatch):
    monkeypatch.setattr(b, "preflight", lambda *a, **k: None)


def test_build_writes_both_languages_by_default(tmp_path, monkeypatch, no_preflight):
    data = tmp_path / "data"
    shutil.copytree(MINIMAL, data)
    monkeypatch.setattr(b, "_run_jobs", fake_run())
    s = b.build(["anhui"], tmp_path / "r", data_dir=data, notebooks_dir=STUBS)
    assert [(r.slug, r.lang, r.status) for r in s.results] == [("anhui", "zh", "built"), ("anhui", "en", "built")]
    r = tmp_path / "r"
    for p in ("anhui.html", "anhui.pdf", "en/anhui.html", "en/anhui.pdf", "notebooks/anhui.ipynb",
              "en/notebooks/anhui.ipynb", ".state/zh/anhui.json", ".state/en/anhui.json", "index.html", "en/index.html"):
        assert (r / p).exists(), p
    zh_page = (r / "index.html").read_text(encoding="utf-8")
    assert 'href="en/anhui.pdf"' in zh_page and 'href="anhui.html"' in zh_page
    assert 'href="../anhui.html"' in (r / "en" / "index.html").read_text(encoding="utf-8")
    s = b.build(["anhui"], tmp_path / "r", langs="en", data_dir=data, notebooks_dir=STUBS, force=True)
    assert [(x.slug, x.lang) for x in s.results] == [("anhui", "en")]
    # the notebooks read the build's snapshot of the data, not the folder itself
    st = json.loads((r / ".state" / "en" / "anhui.json").read_text(encoding="utf-8"))
    assert Path(st["report"]["meta"]["data_dir"]).parent == r / ".state" / "snapshots"


def test_a_data_edit_during_a_build_makes_the_next_build_rebuild(tmp_path, monkeypatch, no_preflight):
    data = tmp_path / "data"
    shutil.copytree(MINIMAL, data)

    def edit():  # a new figure about Anhui's centre arrives while the build runs
        with open(data / "metrics.csv", "a", encoding="utf-8") as f:
            f.write("AH-01,new_technologies,,460,,项,2025-11,publication,cumulative,S01,460项,,,,\n")

    monkeypatch.setattr(b, "_run_jobs", fake_run(edit))
    b.build(["anhui"], tmp_path / "r", langs="zh", data_dir=data, notebooks_dir=STUBS)
    monkeypatch.setattr(b, "_run_jobs", fake_run())
    s = b.build(["anhui"], tmp_path / "r", langs="zh", data_dir=data, notebooks_dir=STUBS)
    assert [r.status for r in s.results] == ["built"]
    s = b.build(["anhui"], tmp_path / "r", langs="zh", data_dir=data, notebooks_dir=STUBS)
    assert [r.status for r in s.results] == ["skipped"]
    # one snapshot is kept: the one the current briefings were built from
    assert len(list((tmp_path / "r" / ".state" / "snapshots").iterdir())) == 1


def test_a_language_built_from_old_data_is_not_linked_as_current(tmp_path, monkeypatch, no_preflight):
    data = tmp_path / "data"
    shutil.copytree(MINIMAL, data)
    monkeypatch.setattr(b, "_run_jobs", fake_run())
    b.build(["anhui"], tmp_path / "r", data_dir=data, notebooks_dir=STUBS)
    with open(data / "metrics.csv", "a", encoding="utf-8") as f:
        f.write("AH-01,new_technologies,,460,,项,2025-11,publication,cumulative,S01,460项,,,,\n")
    b.build(["anhui"], tmp_path / "r", langs="zh", data_dir=data, notebooks_dir=STUBS)
    zh = (tmp_path / "r" / "index.html").read_text(encoding="utf-8")
    en = (tmp_path / "r" / "en" / "index.html").read_text(encoding="utf-8")
    assert 'href="en/anhui.html"' not in zh
    assert '<a href="anhui.html">' not in en  # not linked as current…
    assert 'class="stale" href="anhui.html"' in en  # …only as out of date


def test_summary_text_names_failures():
    s = b.BuildSummary([b.ScopeResult("anhui", "安徽省", "failed", 1.0, cell=3, error="RuntimeError: boom"),
                        b.ScopeResult("beijing", "Beijing", "skipped", lang="en")], 2.0, Path("/r"))
    text = s.text()
    assert "0 built, 1 skipped as unchanged, 1 failed" in text
    assert "anhui (安徽省, zh) FAILED cell 3: RuntimeError: boom" in text
    assert not s.ok


# ---------------------------------------------------------------------------------------------
# Limits and time
# ---------------------------------------------------------------------------------------------

def test_jobs_are_capped_to_the_cores_and_said_so():
    from nrmc.limits import plan_parallelism

    jobs, pages, note = plan_parallelism(1000, 64, cores=2, memory_mb=20_000)
    assert (jobs, pages) == (2, 2)
    assert note == "--jobs 1000 capped to 2: this machine has 2 cores."
    assert plan_parallelism(None, 64, cores=4, memory_mb=20_000) == (4, 4, None)  # default: the cores
    assert plan_parallelism(2, 64, cores=4, memory_mb=20_000) == (2, 2, None)
    assert plan_parallelism(None, 1, cores=4, memory_mb=20_000)[:2] == (1, 1)  # no idle kernels
    assert plan_parallelism(4, 64, cores=4, memory_mb=None, pdf=False) == (4, 0, None)


def test_jobs_are_capped_to_the_memory_and_said_so():
    from nrmc.limits import plan_parallelism

    jobs, pages, note = plan_parallelism(16, 64, cores=16, memory_mb=1600)
    assert jobs == pages == 2
    assert "capped to 2" in note and "1.6 GiB of memory available" in note


def test_build_passes_the_capped_jobs_and_tells_the_user(tmp_path, monkeypatch, no_preflight):
    data = tmp_path / "data"
    shutil.copytree(MINIMAL, data)
    seen = {}

    def run(plan, out, snap, **kw):
        seen.update(kw)
        return fake_run()(plan, out, snap, **kw)

    monkeypatch.setattr(b, "_run_jobs", run)
    messages = []
    b.build(["anhui", "national"], tmp_path / "r", data_dir=data, notebooks_dir=STUBS, jobs=1000,
            on_message=messages.append)
    from nrmc.limits import usable_cores

    assert seen["jobs"] <= usable_cores() and seen["pages"] == seen["jobs"]
    assert any(m.startswith("--jobs 1000 capped to") for m in messages)


def test_long_cells_are_reported_well_before_the_timeout():
    assert b.long_cell_after(300) == 60
    assert b.long_cell_after(8) == 2
    assert b.DEFAULT_TIMEOUT >= 120


@pytest.mark.parametrize("value,expected", [
    (2023, "2023-12-31"), ("2023", "2023-12-31"), (" 2024-02 ", "2024-02-29"), ("2023-06-15", "2023-06-15"),
    ("2023/06/15", "2023-06-15"), (None, None), ("", None), ("None", None)])
def test_as_of_is_normalised_to_an_iso_date(value, expected):
    assert parameters.normalize_as_of(value) == expected


@pytest.mark.parametrize("value", ["last year", "2023-13", "2023-02-30", True, 20231, "2023-1-1-1"])
def test_a_bad_as_of_is_a_clear_parameter_error(value):
    with pytest.raises(parameters.ParameterError, match="is not a date"):
        parameters.normalize_as_of(value)


def test_as_of_reaches_the_notebooks_as_an_iso_string(data_dir):
    nat = resolve_scope("national", data_dir)
    assert parameters.parameters_for(nat, lang="zh", as_of=2023)["as_of"] == "2023-12-31"


def test_as_of_before_the_first_data_is_refused_before_anything_runs(tmp_path):
    with pytest.raises(b.BuildError, match="before the first dated fact in the data"):
        b.preflight(MINIMAL, ("html",), as_of="1990-12-31")
    b.preflight(MINIMAL, ("html",), as_of="2030-12-31")  # later than the data: everything was known


def test_everything_generated_is_git_ignored():
    import subprocess

    if not (REPO / ".git").exists() or shutil.which("git") is None:
        pytest.skip("not a git checkout")
    generated = ["reports/index.html", "reports/anhui.pdf", "reports/en/anhui.html", "reports/en/index.html",
                 "reports/notebooks/anhui.ipynb", "reports/en/notebooks/anhui.failed.ipynb",
                 "reports/.state/zh/anhui.json", "reports/.state/snapshots/0123/metrics.csv",
                 ".venv/bin/python", "src/nrmc.egg-info/PKG-INFO", "build/lib/nrmc/_bundled/data/metrics.csv",
                 "dist/nrmc-0.1.0-py3-none-any.whl", ".pytest_cache/v", "node_modules/axe-core/axe.min.js",
                 "benchmarks/out/results.md", "src/nrmc/__pycache__/build.cpython-311.pyc",
                 "notebooks/.ipynb_checkpoints/province-checkpoint.ipynb", "reports/.nrmc-tmp.1.2.anhui.pdf"]
    r = subprocess.run(["git", "check-ignore", "--no-index", *generated], cwd=REPO, capture_output=True, text=True)
    assert sorted(r.stdout.split()) == sorted(generated)
    r = subprocess.run(["git", "check-ignore", "--no-index", "reports/.gitkeep", "data/metrics.csv",
                        "constraints.txt", "setup.py"], cwd=REPO, capture_output=True, text=True)
    assert r.stdout.split() == []


def test_the_end_to_end_half_starts_the_longest_modules_first():
    """`make test` runs the e2e tests a module per worker (--dist loadscope) in the order
    tests/conftest.py gives (FIRST: the longest first). xdist reorders the modules by their number
    of tests unless told not to, which left the one 90-second test of random edits to the end, on
    one worker while the other idled."""
    from conftest import FIRST

    make = (ROOT / "Makefile").read_text(encoding="utf-8")
    e2e = [line for line in make.splitlines() if "pytest" in line.lower() and "-m e2e" in line]
    assert e2e and all("--dist loadscope" in line and "--no-loadscope-reorder" in line for line in e2e), e2e
    assert FIRST[0] == "test_incremental.py"
    # every module FIRST names holds e2e tests, and the long ones that read no shared site come
    # before those that do (the site builds meanwhile)
    for name in FIRST:
        assert "e2e" in (ROOT / "tests" / name).read_text(encoding="utf-8"), name
    assert FIRST.index("test_signals_e2e.py") < FIRST.index("test_browser.py")


def test_make_test_runs_pytest_so_that_it_keeps_its_rewritten_test_modules():
    """With PYTHONDONTWRITEBYTECODE set (some CI machines), pytest rewrote every test module's
    asserts again in each worker of each half (collection 6 s instead of 2 s a worker)."""
    r = subprocess.run(["make", "-n", "-o", ".venv/.nrmc-installed", "-o", "setup-test-system", "-o", "bytecode",
                        "test"], cwd=ROOT, capture_output=True, text=True, env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"})
    runs = [line for line in r.stdout.splitlines() if "bin/pytest" in line]
    assert len(runs) == 2 and all(line.startswith("PYTHONDONTWRITEBYTECODE= ") for line in runs), r.stdout + r.stderr
