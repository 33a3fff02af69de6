"""Build internals that need neither a kernel nor a browser: hashing, state, atomic files, lock, index."""
from __future__ import annotations

import json
import multiprocessing
import os
import shutil
import time
from pathlib import Path

import pytest

from nrmc import build as b
from nrmc import index, parameters, state
from nrmc.regions import all_scopes, resolve_scope

REPO = Path(__file__).resolve().parents[1]
STUBS = REPO / "tests" / "fixtures" / "notebooks"


@pytest.fixture
def data_dir(tmp_path):
    d = tmp_path / "data"
    d.mkdir()
    shutil.copy(REPO / "data" / "provinces.csv", d / "provinces.csv")
    return d


def test_inputs_digest_follows_data_files(data_dir):
    first = state.inputs_digest(data_dir)
    assert state.inputs_digest(data_dir) == first
    (data_dir / "metrics.csv").write_text("subject_id\n", encoding="utf-8")
    second = state.inputs_digest(data_dir)
    assert second != first
    (data_dir / "metrics.csv").write_text("subject_id\nx\n", encoding="utf-8")
    assert state.inputs_digest(data_dir) != second


def test_scope_digest_follows_notebook_parameters_and_formats(data_dir, tmp_path):
    nb = tmp_path / "province.ipynb"
    shutil.copy(STUBS / "province.ipynb", nb)
    common = state.inputs_digest(data_dir)
    anhui = resolve_scope("anhui", data_dir)
    p = parameters.parameters_for(anhui, lang="zh", data_dir=data_dir)
    assert p == {"province": "anhui", "lang": "zh", "data_dir": str(data_dir)}
    d = state.scope_digest(common, nb, p, ("html", "pdf"))
    assert d == state.scope_digest(common, nb, dict(p), ("pdf", "html"))
    assert d != state.scope_digest(common, nb, {**p, "lang": "en"}, ("html", "pdf"))
    assert d != state.scope_digest(common, nb, p, ("html",))
    nb.write_bytes(nb.read_bytes() + b" ")
    assert d != state.scope_digest(common, nb, p, ("html", "pdf"))


def test_national_gets_no_province_parameter(data_dir):
    nat = resolve_scope("national", data_dir)
    assert "province" not in parameters.parameters_for(nat, lang="zh", data_dir=data_dir)
    assert parameters.notebook_for(nat, STUBS).name == "national.ipynb"


def test_up_to_date_needs_matching_hash_ok_status_and_outputs(tmp_path):
    out = tmp_path / "reports"
    (out / state.STATE_DIR).mkdir(parents=True)
    state.write_atomic(out / state.STATE_DIR / "anhui.json", json.dumps({"hash": "h", "status": "ok"}))
    assert not state.is_up_to_date(out, "anhui", "h", ("html",))  # outputs missing
    for p in state.output_paths(out, "anhui", ("html",)).values():
        state.write_atomic(p, "x")
    assert state.is_up_to_date(out, "anhui", "h", ("html",))
    assert not state.is_up_to_date(out, "anhui", "other", ("html",))
    assert not state.is_up_to_date(out, "anhui", "h", ("html", "pdf"))
    state.write_atomic(out / state.STATE_DIR / "anhui.json", json.dumps({"hash": "h", "status": "failed"}))
    assert not state.is_up_to_date(out, "anhui", "h", ("html",))


def test_write_atomic_leaves_old_file_when_writing_fails(tmp_path, monkeypatch):
    target = tmp_path / "a.html"
    state.write_atomic(target, "good")

    def boom(*a, **k):
        raise OSError("disk full")

    monkeypatch.setattr(os, "fsync", boom)
    with pytest.raises(OSError):
        state.write_atomic(target, "half")
    assert target.read_text() == "good"
    assert [p.name for p in tmp_path.iterdir()] == ["a.html"]


def test_stale_temp_files_are_removed_under_the_lock(tmp_path):
    out = tmp_path / "reports"
    (out / "notebooks").mkdir(parents=True)
    (out / "anhui.pdf.tmp-99999").write_text("partial")
    (out / "notebooks" / "anhui.ipynb.tmp-99999").write_text("partial")
    (out / "anhui.pdf").write_text("good")
    with state.build_lock(out):
        state.remove_stale_temp_files(out)
    assert sorted(p.name for p in out.iterdir() if p.is_file()) == ["anhui.pdf"]


def _hold_lock(out, started, seconds):
    with state.build_lock(Path(out)):
        started.set()
        time.sleep(seconds)


def test_second_build_waits_for_the_lock(tmp_path):
    out = tmp_path / "reports"
    ctx = multiprocessing.get_context("fork")
    started = ctx.Event()
    proc = ctx.Process(target=_hold_lock, args=(str(out), started, 1.5))
    proc.start()
    try:
        assert started.wait(10)
        messages = []
        t = time.monotonic()
        with state.build_lock(out, messages.append):
            waited = time.monotonic() - t
        assert waited > 0.5
        assert messages and "waiting" in messages[0]
    finally:
        proc.join(10)


def test_index_lists_every_scope_escaped(tmp_path, data_dir):
    out = tmp_path / "reports"
    (out / state.STATE_DIR).mkdir(parents=True)
    scopes = all_scopes(data_dir)
    class Evil:
        kind, slug, code = "province", "evil", "999999"
        name_zh, name_en = "<script>alert(1)</script>", "<b>x</b>"

    state.write_atomic(out / "anhui.html", "x")
    state.write_atomic(out / "anhui.pdf", "x")
    state.write_atomic(out / state.STATE_DIR / "anhui.json", json.dumps(
        {"status": "ok", "report": {"as_of": "2025-11-30", "built_at": "2026-01-01T00:00:00"}}))
    state.write_atomic(out / state.STATE_DIR / "beijing.json", json.dumps(
        {"status": "failed", "cell": 3, "error": "ValueError: <bad>", "report": None}))
    page = index.render_index(out, scopes + [Evil()])
    assert page.count("<tr>") == 1 + len(scopes) + 1
    assert '<a href="anhui.html">HTML</a>' in page and '<a href="anhui.pdf">PDF</a>' in page
    assert "2025-11-30" in page
    assert "cell 3: ValueError: &lt;bad&gt;" in page
    assert "not built" in page
    assert "<script>alert" not in page and "&lt;script&gt;" in page


def test_index_not_rewritten_when_unchanged(tmp_path, data_dir):
    out = tmp_path / "reports"
    (out / state.STATE_DIR).mkdir(parents=True)
    scopes = all_scopes(data_dir)
    path = index.write_index(out, scopes)
    before = path.stat().st_mtime_ns
    time.sleep(0.01)
    index.write_index(out, scopes)
    assert path.stat().st_mtime_ns == before


def test_build_rejects_bad_arguments(tmp_path, data_dir):
    with pytest.raises(b.BuildError, match="format"):
        b.build(["anhui"], tmp_path / "r", formats=("docx",), data_dir=data_dir, notebooks_dir=STUBS)
    with pytest.raises(b.BuildError, match="language"):
        b.build(["anhui"], tmp_path / "r", lang="fr", data_dir=data_dir, notebooks_dir=STUBS)
    with pytest.raises(b.BuildError, match="notebook not found"):
        b.build(["anhui"], tmp_path / "r", data_dir=data_dir, notebooks_dir=tmp_path)
    assert not (tmp_path / "r").exists()


def test_summary_text_names_failures():
    s = b.BuildSummary([b.ScopeResult("anhui", "安徽省", "failed", 1.0, cell=3, error="RuntimeError: boom"),
                        b.ScopeResult("beijing", "北京市", "skipped")], 2.0, Path("/r"))
    text = s.text()
    assert "0 built, 1 skipped as unchanged, 1 failed" in text
    assert "anhui (安徽省) FAILED cell 3: RuntimeError: boom" in text
    assert not s.ok


def test_build_is_split_by_concern():
    """A newcomer finds each concern from the file names: kernels, state, front page, orchestration."""
    import inspect

    from nrmc import kernels

    assert hasattr(kernels, "KernelPool") and hasattr(kernels, "execute_notebook")
    assert hasattr(state, "build_lock") and hasattr(state, "write_atomic") and hasattr(state, "inputs_digest")
    src = inspect.getsource(b)
    for concern in ("class KernelPool", "def write_atomic", "def build_lock", "<!DOCTYPE html>", "WARMUP_CODE"):
        assert concern not in src, concern
    assert len(src.splitlines()) < 450
