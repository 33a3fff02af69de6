"""The package installed outside the checkout builds a briefing with its own data and notebooks.

A fresh virtual environment in a temporary folder, `pip install <checkout>` (a real wheel build in
pip's isolated build environment, not an editable install), then, in an empty folder elsewhere:
`nrmc list`, `nrmc validate`, `nrmc.load()`, and `nrmc build anhui` writing ./reports (HTML and
PDF). Marked e2e.

The package itself is installed clean; its dependencies are not downloaded and installed a second
time: the fresh environment sees the test environment's (made by `make` from constraints.txt, the
same pip install of the same pins) through a path file (and their data files under
share/jupyter through a link), and `pip check` proves that they satisfy
every requirement the built wheel declares. (Installing every dependency again took a minute or two
of the suite's critical path.) NRMC_TEST_FULL_INSTALL=1 installs them into the fresh environment
as well, with the tested versions from constraints.txt.
"""
from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e

REPO = Path(__file__).resolve().parents[1]


def clean_env(**extra) -> dict:
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "NRMC_DATA", "VIRTUAL_ENV", "PYTHONHOME") and not k.startswith("PYTEST")}
    return {**env, "CI": "true", **extra}


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    root = tmp_path_factory.mktemp("install")
    venv = root / "venv"
    full = os.environ.get("NRMC_TEST_FULL_INSTALL") == "1"
    if full:
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, env=clean_env())
        pip = [str(venv / "bin" / "python"), "-m", "pip", "--disable-pip-version-check"]
    else:
        # pip itself is not installed into it (ensurepip: 5 CPU-seconds): this environment's pip
        # installs into it (`pip --python`), the same pip and the same wheel build
        subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, env=clean_env())
        pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "--python", str(venv / "bin" / "python")]
    if not full:
        # the dependencies as installed in this environment, after the fresh one's own site-packages
        # (a plain path: this environment's own path files, its editable nrmc, are not read)
        site = subprocess.run([str(venv / "bin" / "python"), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
                              capture_output=True, text=True, check=True, env=clean_env()).stdout.strip()
        deps = dict.fromkeys([sysconfig.get_path("purelib"), sysconfig.get_path("platlib")])
        Path(site, "_nrmc_test_dependencies.pth").write_text("".join(f"{d}\n" for d in deps), encoding="utf-8")
        # and their data files (nbconvert's templates, the kernel spec), which pip puts under the prefix
        shared = Path(sys.prefix) / "share" / "jupyter"
        if shared.is_dir():
            (venv / "share").mkdir(exist_ok=True)
            (venv / "share" / "jupyter").symlink_to(shared, target_is_directory=True)
    r = subprocess.run([*pip, "install", "-q", "-c", str(REPO / "constraints.txt"), *([] if full else ["--no-deps"]),
                        str(REPO)], capture_output=True, text=True, timeout=1800, env=clean_env(), cwd=root)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    # every requirement of the installed wheel is met (by the tested versions), nothing is broken
    r = subprocess.run([*pip, "check"], capture_output=True, text=True, timeout=300, env=clean_env(), cwd=root)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    work = root / "elsewhere"
    work.mkdir()
    return {"venv": venv, "work": work}


def run(installed, *args, timeout=600):
    return subprocess.run([str(installed["venv"] / "bin" / args[0]), *map(str, args[1:])], capture_output=True,
                          text=True, timeout=timeout, env=clean_env(), cwd=installed["work"])


def test_installed_package_is_not_the_checkout_and_has_its_data(installed):
    r = run(installed, "python", "-c",
            "import nrmc, nrmc.resources as r; ds = nrmc.load(); "
            "print(nrmc.__file__); print(r.data_dir()); print(r.notebooks_dir()); print(len(ds.centers))")
    assert r.returncode == 0, r.stderr
    module, data, notebooks, n = r.stdout.split()
    assert str(REPO) not in module and str(installed["venv"]) in module
    assert data.endswith("nrmc/_bundled/data") and notebooks.endswith("nrmc/_bundled/notebooks")
    assert int(n) > 50
    r = run(installed, "nrmc", "list")
    assert r.returncode == 0 and "anhui" in r.stdout and "national" in r.stdout, r.stderr
    r = run(installed, "nrmc", "validate")
    assert r.returncode == 0 and ": OK" in r.stdout, r.stdout + r.stderr


def test_installed_package_builds_a_briefing_in_any_folder(installed):
    r = run(installed, "nrmc", "build", "anhui", "--lang", "zh")
    assert r.returncode == 0, r.stdout + r.stderr
    reports = installed["work"] / "reports"
    page = (reports / "anhui.html").read_text(encoding="utf-8")
    assert "安徽" in page and "Traceback" not in page
    pdf = (reports / "anhui.pdf").read_bytes()
    assert pdf.startswith(b"%PDF") and b"%%EOF" in pdf[-1024:]
    assert (reports / "notebooks" / "anhui.ipynb").exists() and (reports / "index.html").exists()
