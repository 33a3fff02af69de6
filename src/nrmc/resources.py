"""The dataset and notebooks the package ships with, and where a build finds them.

Run from a checkout, the checkout's own `data/` and `notebooks/` are used (edit them, rebuild).
Installed from a wheel or with `pip install <checkout>`, the copies inside the package are used
(`nrmc/_bundled/data`, `nrmc/_bundled/notebooks`, put there at build time by the project's
setup.py). `nrmc init DIR` copies both into DIR for editing; `--data DIR` or `NRMC_DATA=DIR` then
uses that copy, and its `DIR/notebooks/` when it holds the briefing notebooks.
"""
from __future__ import annotations

import contextlib
import os
import shutil
from importlib import resources
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
BUNDLE = "_bundled"
BRIEFING_NOTEBOOKS = ("province.ipynb", "national.ipynb")


def _checkout() -> Path | None:
    """The repository this package runs from (an editable install or PYTHONPATH=src), if any."""
    root = PACKAGE_DIR.parents[1]
    if (root / "pyproject.toml").is_file() and (root / "data" / "provinces.csv").is_file():
        return root
    return None


def _bundled(name: str) -> Path | None:
    try:
        p = Path(str(resources.files("nrmc") / BUNDLE / name))
    except (ModuleNotFoundError, TypeError):
        return None
    return p if p.is_dir() else None


def packaged_data_dir() -> Path:
    """The dataset that comes with nrmc (the checkout's data/ when run from one)."""
    root = _checkout()
    if root is not None:
        return root / "data"
    bundled = _bundled("data")
    if bundled is not None:
        return bundled
    raise FileNotFoundError("the nrmc package has no dataset: reinstall it (pip install nrmc) or pass --data DIR")


def data_dir() -> Path:
    """$NRMC_DATA if set, else the dataset that comes with nrmc."""
    env = os.environ.get("NRMC_DATA")
    if env:
        return Path(env).expanduser().resolve()
    return packaged_data_dir()


def _has_notebooks(d: Path) -> bool:
    return all((d / n).is_file() for n in BRIEFING_NOTEBOOKS)


def packaged_notebooks_dir() -> Path:
    root = _checkout()
    if root is not None and _has_notebooks(root / "notebooks"):
        return root / "notebooks"
    bundled = _bundled("notebooks")
    if bundled is not None:
        return bundled
    raise FileNotFoundError("the nrmc package has no notebooks: reinstall it or pass --notebooks DIR")


def notebooks_dir(data: Path | None = None) -> Path:
    """`<data>/notebooks` when that holds the briefing notebooks (a folder made by `nrmc init`),
    else the notebooks that come with nrmc."""
    if data is not None and _has_notebooks(Path(data) / "notebooks"):
        return Path(data) / "notebooks"
    return packaged_notebooks_dir()


class InitError(ValueError):
    """`nrmc init` cannot copy into DEST as asked; nothing was copied."""


def init(dest: Path, *, force: bool = False) -> list[Path]:
    """Copy the dataset (into DEST) and the notebooks (into DEST/notebooks) for editing.

    Refuses to overwrite an existing file unless `force`; refuses in any case (InitError, nothing
    copied) an empty DEST, a DEST that is the dataset it copies from, a target that is a folder (or
    a device …), and a `notebooks` folder that is a symbolic link. Never writes through a link: a
    target that is a symbolic link is replaced by the file (the file it pointed to is untouched).
    Every file is first copied to a temporary name beside its target and renamed into place only
    when all are copied, so a failure leaves no partial copy. Returns the files written."""
    from nrmc.layout import TMP_PREFIX

    if not str(dest).strip():
        raise InitError("DEST is empty: name the folder to copy the dataset into (e.g. nrmc init mydata)")
    dest = Path(dest).expanduser().resolve()
    src_data, src_nb = packaged_data_dir(), packaged_notebooks_dir()
    for src in (src_data.resolve(), src_nb.resolve()):
        if dest == src or src in dest.parents:
            raise InitError(f"{dest} is {'inside ' if dest != src else ''}the dataset or notebooks nrmc copies from "
                            f"({src}); nothing was copied. Choose another folder.")
    plan: list[tuple[Path, Path]] = []
    for p in sorted(src_data.iterdir()):
        if p.is_file() and not p.name.startswith("."):
            plan.append((p, dest / p.name))
    for p in sorted(src_nb.glob("*.ipynb")):
        plan.append((p, dest / "notebooks" / p.name))
    for folder in (dest, dest / "notebooks"):
        if folder != dest and folder.is_symlink():
            raise InitError(f"{folder} is a symbolic link: nrmc init writes only into real folders, never through a "
                            f"link; nothing was copied. Remove the link or choose another DEST.")
        if folder.exists() and not folder.is_dir():
            raise InitError(f"{folder} is a file, not a folder; nothing was copied.")
    for _, d in plan:
        if d.is_symlink():
            continue  # replaced by the copy, never written through
        if d.exists() and not d.is_file():
            what = "a folder" if d.is_dir() else "not a regular file"
            raise InitError(f"{d} is {what}, where nrmc init would put the file {d.name}; nothing was copied. "
                            "Move it away or choose another DEST.")
    clash = [d for _, d in plan if d.exists() or d.is_symlink()]
    if clash and not force:
        raise FileExistsError(f"{len(clash)} file(s) already exist in {dest} (e.g. {clash[0].name}); "
                              f"nothing was copied. Use --force to overwrite them.")
    temps: list[tuple[Path, Path]] = []
    try:
        for s, d in plan:
            d.parent.mkdir(parents=True, exist_ok=True)
            tmp = d.with_name(f"{TMP_PREFIX}{os.getpid()}.{d.name}")
            temps.append((tmp, d))
            with open(s, "rb") as fin, open(tmp, "xb") as fout:  # x: never opens an existing file or link
                shutil.copyfileobj(fin, fout)
        for tmp, d in temps:
            os.replace(tmp, d)  # replaces a link itself, not the file it points to
    finally:
        for tmp, _ in temps:
            with contextlib.suppress(OSError):
                if tmp.exists():
                    tmp.unlink()
    return [d for _, d in plan]


def user_cache_root() -> Path:
    """The per-user folder of nrmc's caches (charts, fonts, checked tables, digests):
    $XDG_CACHE_HOME/nrmc, else ~/.cache/nrmc."""
    return Path(os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")) / "nrmc"
