"""Paths and options a careless user or an attacker gives (issue 21, point 5), without a kernel.

- `nrmc init` never writes through a symbolic link, names a target that is a folder and leaves no
  partial copy, refuses an empty DEST;
- `nrmc build` never lets an output overwrite an input (`--notebooks OUT/notebooks --out OUT`, a
  notebook or a data file linked from inside --out), never writes through a linked folder inside
  --out, refuses empty folders, a timeout it cannot keep and an as-of outside 1949–today (exit 2);
- `nrmc preview` names a missing data folder, answers only requests addressed to localhost, and
  never leaves a page waiting for a build that will not come.
Signals and a --out deleted mid-build need kernels: tests/test_signals_e2e.py.
"""
from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import MINIMAL, ROOT
from nrmc.cli import main


def run(*args, cwd=None):
    if cwd is None:
        return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False, env={"CI": "true"})
    old = os.getcwd()
    os.chdir(cwd)
    try:
        return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False, env={"CI": "true"})
    finally:
        os.chdir(old)


def tree(root: Path) -> dict[str, bytes | None]:
    return {str(p.relative_to(root)): (None if p.is_dir() or p.is_symlink() else p.read_bytes())
            for p in sorted(root.rglob("*"))}


# ---------------------------------------------------------------------------------------------
# nrmc init
# ---------------------------------------------------------------------------------------------
def test_init_force_replaces_a_linked_file_and_leaves_its_target_alone(tmp_path):
    victim = tmp_path / "victim.txt"
    victim.write_text("precious", encoding="utf-8")
    dest = tmp_path / "mydata"
    dest.mkdir()
    (dest / "centers.csv").symlink_to(victim)
    (dest / "notebooks").mkdir()
    (dest / "notebooks" / "national.ipynb").symlink_to(victim)
    r = run("init", dest, "--force")
    assert r.exit_code == 0, r.output
    assert victim.read_text(encoding="utf-8") == "precious"
    for p in (dest / "centers.csv", dest / "notebooks" / "national.ipynb"):
        assert not p.is_symlink() and p.stat().st_size > 100
    assert (dest / "centers.csv").read_bytes() == (ROOT / "data" / "centers.csv").read_bytes()


def test_init_never_writes_into_a_linked_notebooks_folder(tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    dest = tmp_path / "mydata"
    dest.mkdir()
    (dest / "notebooks").symlink_to(elsewhere, target_is_directory=True)
    r = run("init", dest, "--force")
    assert r.exit_code == 1 and "is a symbolic link" in r.output and "nothing was copied" in r.output
    assert list(elsewhere.iterdir()) == [] and [p.name for p in dest.iterdir()] == ["notebooks"]


def test_init_where_a_target_is_a_folder_names_it_and_copies_nothing(tmp_path):
    dest = tmp_path / "mydata"
    (dest / "sources.csv").mkdir(parents=True)
    before = tree(dest)
    r = run("init", dest, "--force")
    assert r.exit_code == 1, r.output
    assert f"{dest / 'sources.csv'} is a folder" in r.output and "nothing was copied" in r.output
    assert tree(dest) == before  # no partial copy, no temporary file


def test_init_leaves_no_partial_copy_when_a_write_fails(tmp_path, monkeypatch):
    import nrmc.resources as res

    dest = tmp_path / "mydata"
    real = os.replace
    calls = {"n": 0}

    def failing_replace(a, b):
        calls["n"] += 1
        raise OSError(28, "No space left on device", str(b))

    monkeypatch.setattr(res.os, "replace", failing_replace)
    with pytest.raises(OSError):
        res.init(dest)
    monkeypatch.setattr(res.os, "replace", real)
    assert [p for p in dest.rglob("*") if p.is_file()] == []


@pytest.mark.parametrize("dest", ["", "  "])
def test_init_with_an_empty_dest_is_refused(tmp_path, dest):
    r = run("init", dest, cwd=tmp_path)
    assert r.exit_code == 2 and "DEST is empty" in r.output
    assert list(tmp_path.iterdir()) == []


def test_init_into_the_dataset_it_copies_from_is_refused():
    r = run("init", ROOT / "data", "--force")
    assert r.exit_code == 1 and "nrmc copies from" in r.output


# ---------------------------------------------------------------------------------------------
# nrmc build: folders and options, refused before anything is written
# ---------------------------------------------------------------------------------------------
@pytest.fixture
def data(tmp_path):
    d = tmp_path / "data"
    shutil.copytree(MINIMAL, d)
    return d


def stubs_in(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for nb in (ROOT / "tests" / "fixtures" / "notebooks").glob("*.ipynb"):
        shutil.copy(nb, folder / nb.name)
    return folder


def test_notebooks_inside_out_are_refused_and_left_as_they_are(tmp_path, data):
    out = tmp_path / "out"
    nbdir = stubs_in(out / "notebooks")
    before = tree(out)
    r = run("build", "national", "--notebooks", nbdir, "--out", out, "--data", data, "--format", "html")
    assert r.exit_code == 1, r.output
    assert "is inside --out" in r.output and "could be overwritten" in r.output
    assert tree(out) == before


@pytest.mark.parametrize("what", ["notebook", "data file"])
def test_an_input_linked_from_inside_out_is_refused(tmp_path, data, what):
    out = tmp_path / "out"
    (out / "notebooks").mkdir(parents=True)
    nbdir = stubs_in(tmp_path / "nb")
    if what == "notebook":
        target = out / "notebooks" / "national.ipynb"
        shutil.move(nbdir / "national.ipynb", target)
        (nbdir / "national.ipynb").symlink_to(target)
    else:
        target = out / "notebooks" / "centers.csv"
        shutil.move(data / "centers.csv", target)
        (data / "centers.csv").symlink_to(target)
    before = target.read_bytes()
    r = run("build", "national", "--notebooks", nbdir, "--out", out, "--data", data, "--format", "html")
    assert r.exit_code == 1 and f"a link to {target}" in r.output, r.output
    assert target.read_bytes() == before


@pytest.mark.parametrize("link", ["notebooks", "en", ".state", "en/notebooks"])
def test_a_linked_folder_inside_out_is_refused(tmp_path, data, link):
    out = tmp_path / "out"
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (out / link).parent.mkdir(parents=True, exist_ok=True)
    (out / link).symlink_to(elsewhere, target_is_directory=True)
    r = run("build", "anhui", "--out", out, "--data", data, "--format", "html",
            "--notebooks", ROOT / "tests" / "fixtures" / "notebooks")
    assert r.exit_code == 1 and f"{out / link} is a symbolic link" in r.output, r.output
    assert list(elsewhere.iterdir()) == []


def test_a_lock_file_that_is_a_link_is_never_opened_through(tmp_path, data):
    out = tmp_path / "out"
    (out / ".state").mkdir(parents=True)
    planted = tmp_path / "planted"
    (out / ".state" / ".build.lock").symlink_to(planted)
    r = run("build", "anhui", "--out", out, "--data", data, "--format", "html",
            "--notebooks", ROOT / "tests" / "fixtures" / "notebooks")
    assert r.exit_code == 1 and "is a symbolic link" in r.output, r.output
    assert not planted.exists()


@pytest.mark.parametrize("option", ["--out", "--data", "--notebooks"])
def test_an_empty_folder_option_is_refused(tmp_path, option):
    r = run("build", "anhui", option, "", cwd=tmp_path)
    assert r.exit_code == 2 and f"{option} is empty" in r.output
    assert list(tmp_path.iterdir()) == []


def test_the_build_api_refuses_an_empty_out(tmp_path):
    from nrmc.build import BuildError, build

    with pytest.raises(BuildError, match="--out is empty"):
        build(["anhui"], "", data_dir=MINIMAL, formats=("html",))


@pytest.mark.parametrize("value", ["inf", "nan", "1e308", "-inf", "0", "0.5", "-1", "86401", "abc", ""])
def test_a_timeout_that_cannot_be_kept_is_refused(tmp_path, value):
    r = run("build", "anhui", "--timeout", value, "--out", tmp_path / "out")
    assert r.exit_code == 2 and "--timeout" in r.output, r.output
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("value,words", [("1000", "lies before 1949"), ("0001", "lies before 1949"),
                                         ("1948-12-31", "lies before 1949"), ("2999", "lies after today"),
                                         ("9999-12", "lies after today")])
def test_an_as_of_outside_1949_to_today_is_a_usage_error(tmp_path, value, words):
    r = subprocess.run([sys.executable, "-m", "nrmc", "build", "national", "--as-of", value, "--out", str(tmp_path / "o")],
                       capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert r.returncode == 2 and words in r.stderr and "Traceback" not in r.stderr, r.stderr
    assert not (tmp_path / "o").exists()


def test_an_as_of_this_year_is_accepted():
    from datetime import date

    from nrmc.parameters import normalize_as_of

    this = date.today()
    assert normalize_as_of(this.year) == f"{this.year}-12-31"  # the year has begun
    assert normalize_as_of(this.isoformat()) == this.isoformat()
    assert normalize_as_of("1949") == "1949-12-31"


# ---------------------------------------------------------------------------------------------
# nrmc preview
# ---------------------------------------------------------------------------------------------
def test_preview_names_a_missing_data_folder(tmp_path):
    r = subprocess.run([sys.executable, "-m", "nrmc", "preview", "--data", str(tmp_path / "nonexistent"),
                        "--out", str(tmp_path / "o")], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert r.returncode == 1 and "the data folder" in r.stderr and "does not exist" in r.stderr
    assert "Traceback" not in r.stderr and not (tmp_path / "o").exists()


def preview_requests(tmp_path, requests):
    """(status, text) of each (path, Host header) through the preview's own application."""
    from aiohttp.test_utils import TestClient, TestServer

    from nrmc import preview as pv

    data = tmp_path / "data"
    shutil.copytree(ROOT / "data", data)
    out = tmp_path / "reports"
    out.mkdir()
    (out / "index.html").write_text("<html><body>front</body></html>", encoding="utf-8")
    (out / "notebooks").mkdir()
    p = pv.Preview(["anhui"], out, data, ROOT / "notebooks", langs=("zh",))

    async def go():
        async with TestClient(TestServer(p.app())) as client:
            p.bound_port = client.port
            got = []
            for path, host in requests:
                host = host.replace("PORT", str(client.port))
                resp = await asyncio.wait_for(client.get(path, headers={"Host": host}), 10)
                got.append((resp.status, await resp.text()))
            return got
    return asyncio.run(go())


def test_preview_answers_only_requests_addressed_to_localhost(tmp_path):
    hosts = ["127.0.0.1:PORT", "localhost:PORT", "LOCALHOST:PORT", "[::1]:PORT", "localhost",
             "evil.example", "evil.example:PORT", "127.0.0.1.nip.io:PORT", "localhost.evil.example:PORT",
             "127.0.0.1:1", "127.0.0.1:PORT@evil.example", ""]
    got = preview_requests(tmp_path, [("/", h) for h in hosts])
    assert [s for s, _ in got] == [200] * 5 + [421] * 7
    assert "front" in got[0][1] and "front" not in got[5][1]


def test_preview_events_stream_is_local_only_too(tmp_path):
    from nrmc.preview import EVENTS_PATH

    [(status, _)] = preview_requests(tmp_path, [(EVENTS_PATH, "evil.example:PORT")])
    assert status == 421


def test_a_page_no_build_will_write_is_not_found_at_once(tmp_path):
    """`/notebooks/` waited forever on 'Building the front page…'."""
    got = preview_requests(tmp_path, [("/notebooks/", "127.0.0.1:PORT"), ("/notebooks/index.html", "localhost:PORT"),
                                      ("/en/notebooks/", "127.0.0.1:PORT")])
    assert [s for s, _ in got] == [404, 404, 404]
    assert not any("Building" in t for _, t in got)
