"""The command line, without building anything (fast)."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from nrmc.cli import main

REPO = Path(__file__).resolve().parents[1]


def run(*args, **kw):
    return CliRunner().invoke(main, list(args), catch_exceptions=False, **kw)


def test_unknown_scope_exits_2_with_valid_names_and_suggestion(tmp_path):
    out = tmp_path / "reports"
    r = run("build", "anhui", "anhwi", "--out", str(out))
    assert r.exit_code == 2
    assert "anhwi" in r.output
    assert "Did you mean" in r.output and "anhui" in r.output.split("Did you mean", 1)[1].splitlines()[0].lower()
    assert "national" in r.output and "北京" in r.output
    assert not out.exists()  # nothing built, not even the directory


def test_bad_format_is_a_usage_error(tmp_path):
    r = run("build", "anhui", "--format", "html,docx", "--out", str(tmp_path / "r"))
    assert r.exit_code == 2 and "docx" in r.output


def test_bad_lang_is_a_usage_error(tmp_path):
    r = run("build", "--lang", "fr", "--out", str(tmp_path / "r"))
    assert r.exit_code == 2


def test_list_prints_31_provinces_and_national():
    r = run("list")
    assert r.exit_code == 0
    lines = r.output.strip().splitlines()
    assert len(lines) == 32
    assert lines[-1].startswith("national")
    assert any(line.startswith("anhui ") and "安徽省" in line for line in lines)


def test_list_aligns_chinese_columns_by_display_width():
    from wcwidth import wcswidth

    from nrmc.regions import all_scopes

    lines = run("list").output.strip().splitlines()
    columns = set()
    for line, scope in zip(lines, all_scopes()):
        line = line.expandtabs()
        columns.add((wcswidth(line[:line.index(scope.name_zh)]), wcswidth(line[:line.index(scope.name_en)])))
    assert len(columns) == 1, columns  # every name starts in the same terminal column


def test_init_copies_the_dataset_and_notebooks_for_editing(tmp_path):
    from nrmc import resources

    dest = tmp_path / "mine"
    r = run("init", str(dest))
    assert r.exit_code == 0, r.output
    assert (dest / "provinces.csv").read_bytes() == (REPO / "data" / "provinces.csv").read_bytes()
    assert (dest / "notebooks" / "province.ipynb").exists() and (dest / "notebooks" / "national.ipynb").exists()
    assert f"--data {dest}" in r.output
    assert resources.notebooks_dir(dest) == dest / "notebooks"  # a build with --data DEST uses these
    (dest / "metrics.csv").write_text("edited", encoding="utf-8")
    r = CliRunner().invoke(main, ["init", str(dest)])
    assert r.exit_code == 1 and "already exist" in r.output
    assert (dest / "metrics.csv").read_text(encoding="utf-8") == "edited"  # nothing overwritten


def test_nrmc_data_points_the_build_at_a_copy(tmp_path, monkeypatch):
    from nrmc import regions

    monkeypatch.setenv("NRMC_DATA", str(tmp_path))
    assert regions.default_data_dir() == tmp_path.resolve()


def test_help_names_the_commands():
    r = run("--help")
    for cmd in ("build", "list", "validate"):
        assert cmd in r.output
    r = run("build", "--help")
    for opt in ("--out", "--format", "--lang", "--jobs", "--force", "--data", "--notebooks", "--as-of", "--timeout"):
        assert opt in r.output, opt


def test_python_dash_m_and_console_script():
    r = subprocess.run([sys.executable, "-m", "nrmc", "list"], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0 and "national" in r.stdout
    exe = Path(sys.executable).with_name("nrmc")
    if exe.exists():
        r = subprocess.run([str(exe), "--version"], capture_output=True, text=True, timeout=60)
        assert r.returncode == 0 and "nrmc" in r.stdout


def test_build_options_reach_the_build_normalised(monkeypatch, tmp_path):
    from nrmc import build as b

    seen = {}

    def fake_build(scopes, out_dir, **kw):
        seen.update(kw, scopes=[s.slug for s in scopes], out=out_dir)
        return b.BuildSummary([], 0.0, Path(out_dir))

    monkeypatch.setattr(b, "build", fake_build)
    r = CliRunner().invoke(main, ["build", "皖", "--lang", "zh,en", "--as-of", "2023", "--timeout", "30",
                                  "--out", str(tmp_path / "r")])
    assert r.exit_code == 0, r.output
    assert seen["scopes"] == ["anhui"] and seen["langs"] == ("zh", "en")
    assert seen["as_of"] == "2023-12-31" and seen["timeout"] == 30
    CliRunner().invoke(main, ["build", "anhui", "--out", str(tmp_path / "r")])
    assert seen["langs"] == ("zh", "en")  # both by default
    CliRunner().invoke(main, ["build", "anhui", "--lang", "en", "--as-of", "2024-02", "--out", str(tmp_path / "r")])
    assert seen["langs"] == ("en",) and seen["as_of"] == "2024-02-29"


def test_bad_as_of_is_a_usage_error_that_says_what_is_accepted(tmp_path):
    r = run("build", "anhui", "--as-of", "last year", "--out", str(tmp_path / "r"))
    assert r.exit_code == 2
    assert "as_of 'last year' is not a date" in r.output and "2023-12-31" in r.output
    assert not (tmp_path / "r").exists()


PROBE = '''
import ctypes, signal, sys
from nrmc import build, cli

# What an extension module does while it is imported: run Python code with PyRun_String. A signal's
# KeyboardInterrupt raised in there, and handled by the build, is remembered by CPython as unhandled.
run = ctypes.pythonapi.PyRun_String
run.restype, run.argtypes = ctypes.py_object, [ctypes.c_char_p, ctypes.c_int, ctypes.py_object, ctypes.py_object]
try:
    run(b"raise KeyboardInterrupt", 257, {}, {})
except KeyboardInterrupt as err:
    build.note_signal(int(getattr(signal, sys.argv[1])))
    cli._interrupted(err, lambda: None)
'''


@pytest.mark.parametrize("name,status", [("SIGINT", 130), ("SIGTERM", 143)])
def test_an_interrupted_build_exits_128_plus_the_signal_even_when_the_interrupt_passed_through_c_code(
        tmp_path, name, status):
    """CI saw `python -m nrmc build` end with SIGINT (-2) after printing that SIGTERM had stopped
    it: CPython, at exit, kills a `-m` process with SIGINT when a KeyboardInterrupt went through
    PyRun_String, even one that was handled. The status must still say which signal (130, 143)."""
    (tmp_path / "nrmc_signal_probe.py").write_text(PROBE)
    env = {**os.environ, "PYTHONPATH": f"{tmp_path}:{REPO / 'src'}"}
    r = subprocess.run([sys.executable, "-m", "nrmc_signal_probe", name], capture_output=True, text=True,
                       timeout=60, env=env, cwd=tmp_path)
    assert r.returncode == status, (r.returncode, r.stdout, r.stderr)
    assert f"interrupted by {name}" in r.stderr and "Traceback" not in r.stderr


IMPORT_PROBE = '''
import signal, sys, time
from nrmc import cli

seen = []
signal.signal(signal.SIGTERM, lambda signum, frame: cli._interrupt_when_safe(signum, frame, seen.append))
# The signal arrives while code of importlib's own file runs (as between its taking the global
# import lock and its `try:`): the handler must not raise there, and the signal must not be lost.
inside_import = compile("import os; os.kill(os.getpid(), signal.SIGTERM); print('went on', flush=True)",
                        "<frozen importlib._bootstrap>", "exec")
try:
    exec(inside_import, {"signal": signal})
    time.sleep(10)
    print("the signal was lost")
except KeyboardInterrupt as err:
    print("interrupted in ordinary code", err.args, len(seen) >= 2)
'''


def test_a_signal_inside_the_import_machinery_waits_for_it_to_end_and_is_not_lost(tmp_path):
    """A build once hung for good after SIGTERM 0.4 s into it: the KeyboardInterrupt was raised inside
    importlib while it held its import lock (and swallowed there), so every other thread's next
    import waited forever. The handler defers the signal out of importlib's code (nrmc.cli)."""
    (tmp_path / "nrmc_import_probe.py").write_text(IMPORT_PROBE)
    env = {**os.environ, "PYTHONPATH": f"{tmp_path}:{REPO / 'src'}"}
    r = subprocess.run([sys.executable, "-m", "nrmc_import_probe"], capture_output=True, text=True, timeout=60,
                       env=env, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines() == ["went on", "interrupted in ordinary code (15,) True"], r.stdout + r.stderr
