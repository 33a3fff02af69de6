"""Build state: what a briefing was built from (digests), where that is recorded (state files),
writing files atomically, and the lock that serialises builds into one output directory.

- Incremental: each scope's inputs (its notebook, every data file, every file of the nrmc package
  including the templates, the parameters, formats, language and version) are hashed; a scope
  whose hash matches `<out>/.state/<slug>.json` and whose outputs exist is up to date.
- Atomic: every file is written to `<name>.tmp-<pid>` and renamed; a lock on the output directory
  serialises concurrent builds.
"""
from __future__ import annotations

import contextlib
import errno
import fcntl
import hashlib
import json
import os
from pathlib import Path
from typing import Callable, Sequence

from nrmc import __version__

PACKAGE_DIR = Path(__file__).resolve().parent
STATE_DIR = ".state"
NOTEBOOK_SUBDIR = "notebooks"
LOCK_NAME = ".build.lock"
# Bump when the build itself changes what it writes for the same inputs.
BUILD_SCHEMA = 1


def _files_digest(root: Path, h, *, skip_dirs=("__pycache__",), suffixes: tuple | None = None) -> None:
    if not root.exists():
        h.update(f"missing:{root}".encode())
        return
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d not in skip_dirs and not d.startswith("."))
        for fn in sorted(filenames):
            if fn.startswith(".") or fn.endswith((".pyc", ".pyo")) or ".tmp-" in fn:
                continue
            if suffixes and not fn.endswith(suffixes):
                continue
            p = Path(dirpath) / fn
            h.update(str(p.relative_to(root)).encode() + b"\0")
            h.update(hashlib.sha256(p.read_bytes()).digest())


def inputs_digest(data_dir: Path) -> str:
    """Digest of what every scope depends on: the data files and the nrmc package (code + templates)."""
    h = hashlib.sha256()
    h.update(f"nrmc {__version__} build {BUILD_SCHEMA}".encode())
    _files_digest(Path(data_dir), h)
    h.update(b"\0package\0")
    _files_digest(PACKAGE_DIR, h)
    return h.hexdigest()


def scope_digest(common: str, notebook: Path, params: dict, formats: Sequence[str]) -> str:
    h = hashlib.sha256(common.encode())
    try:
        h.update(notebook.read_bytes())
    except OSError:
        h.update(f"missing notebook {notebook}".encode())
    h.update(json.dumps(params, sort_keys=True, ensure_ascii=False).encode())
    h.update(",".join(sorted(formats)).encode())
    return h.hexdigest()


def state_path(out: Path, slug: str) -> Path:
    return out / STATE_DIR / f"{slug}.json"


def read_state(out: Path, slug: str) -> dict:
    try:
        return json.loads(state_path(out, slug).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def output_paths(out: Path, slug: str, formats: Sequence[str]) -> dict[str, Path]:
    paths = {fmt: out / f"{slug}.{fmt}" for fmt in formats}
    paths["ipynb"] = out / NOTEBOOK_SUBDIR / f"{slug}.ipynb"
    return paths


def is_up_to_date(out: Path, slug: str, digest: str, formats: Sequence[str]) -> bool:
    st = read_state(out, slug)
    if st.get("hash") != digest or st.get("status") != "ok":
        return False
    return all(p.exists() for p in output_paths(out, slug, formats).values())


# ---- files: atomic writes, lock ----------------------------------------------------------------

def write_atomic(path: Path, data: bytes | str) -> None:
    """Write to `<name>.tmp-<pid>` beside `path`, fsync, then rename over it."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, str):
        data = data.encode("utf-8")
    tmp = path.with_name(f"{path.name}.tmp-{os.getpid()}")
    try:
        with open(tmp, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise


def remove_stale_temp_files(out: Path) -> None:
    """Under the lock no other build writes, so any *.tmp-* left here is from a killed build."""
    for sub in (out, out / NOTEBOOK_SUBDIR, out / STATE_DIR):
        if sub.is_dir():
            for p in sub.iterdir():
                if ".tmp-" in p.name and p.is_file():
                    with contextlib.suppress(OSError):
                        p.unlink()


@contextlib.contextmanager
def build_lock(out: Path, on_wait: Callable[[str], None] | None = None):
    """Exclusive lock on the output directory; a second build waits for the first."""
    out.mkdir(parents=True, exist_ok=True)
    (out / STATE_DIR).mkdir(exist_ok=True)
    fd = os.open(out / STATE_DIR / LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as err:
            if err.errno not in (errno.EAGAIN, errno.EACCES):
                raise
            if on_wait:
                on_wait(f"another build is writing to {out}; waiting for it to finish…")
            fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        with contextlib.suppress(OSError):
            fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)
