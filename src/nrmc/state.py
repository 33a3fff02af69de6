"""Build state: what a briefing was built from, replacing its files whole, and the build lock.

- **Snapshot.** A build first reads the whole data directory once (small CSV files) into a snapshot,
  `<out>/.state/snapshots/<digest>/`, and the notebooks run on that snapshot: the digests are of
  the data the build actually read, so an edit made during a build makes the next build rebuild.
  What a briefing's digest covers (its part of that data, its notebook and parameters, the code
  and tools that change output) is the rule of `nrmc.digests`.
- **State files.** `<out>/.state/<lang>/<slug>.json` records, for each output (html, pdf, the
  executed notebook), the digest it was built from and its size. An output is *current* when its
  digest is the briefing's digest today and the file is there with that size (a 0-byte or
  truncated file counts as missing).
- **Whole or not at all.** `commit_briefing` (through `Commit`) writes every file of a briefing (HTML, PDF, executed notebook,
  state) to a temporary name, fsyncs them, writes a small journal, then renames them into place.
  A build that dies during the renames is rolled forward by the next one (`recover`); one that dies
  before the journal leaves only temporary files, which the next build deletes. A failure while
  writing the temporary files (a full disk) leaves the previous set as it was.
- **Temporary files** are named `.nrmc-tmp.<pid>.<n>.<name>`; cleanup removes only those, never a
  user's file.
- **Lock.** One build at a time per output directory; a second one waits.
"""
from __future__ import annotations

import contextlib
import errno
import fcntl
import hashlib
import itertools
import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable, Sequence

from nrmc.layout import DOWNLOADS, FORMATS, LANGS, NOTEBOOK_SUBDIR, STATE_DIR, TMP_PREFIX, Layout, is_temp

LOCK_NAME = ".build.lock"
JOURNAL_DIR = "journal"
SNAPSHOT_DIR = "snapshots"

_counter = itertools.count(1)


# ---------------------------------------------------------------------------------------------
# The data snapshot
# ---------------------------------------------------------------------------------------------

def _skip_name(name: str) -> bool:
    return name.startswith(".") or name.endswith((".pyc", ".pyo")) or name == "__pycache__"


def read_data(data_dir: Path, skip_dirs: Iterable[Path] = ()) -> tuple[dict[str, bytes | None], str]:
    """Every file of the data directory (relative path → bytes; folders → None, so that a folder
    where a data file should be stays a folder) and their digest, read once."""
    data_dir = Path(data_dir)
    skip = {Path(p).resolve() for p in skip_dirs}
    files: dict[str, bytes | None] = {}
    h = hashlib.sha256(b"data\0")
    for dirpath, dirnames, filenames in os.walk(data_dir):
        here = Path(dirpath)
        dirnames[:] = sorted(d for d in dirnames if not _skip_name(d) and (here / d).resolve() not in skip)
        for d in dirnames:
            rel = (here / d).relative_to(data_dir).as_posix()
            files[rel] = None
            h.update(b"dir\0" + rel.encode() + b"\0")
        for fn in sorted(filenames):
            if _skip_name(fn):
                continue
            rel = (here / fn).relative_to(data_dir).as_posix()
            files[rel] = (here / fn).read_bytes()
            h.update(rel.encode() + b"\0" + hashlib.sha256(files[rel]).digest())
    return files, h.hexdigest()


@dataclass(frozen=True)
class DataSnapshot:
    """The data one build read: `dir` holds a copy of the files whose digest is `digest`."""

    source: Path
    dir: Path
    digest: str


def snapshot_data(data_dir: Path, out_root: Path, skip_dirs: Iterable[Path] = ()) -> DataSnapshot:
    """Copy the data directory into `<out>/.state/snapshots/<digest>/` (once per distinct content)."""
    files, digest = read_data(data_dir, skip_dirs)
    root = Path(out_root) / STATE_DIR / SNAPSHOT_DIR
    dest = root / digest[:16]
    if not dest.is_dir():
        tmp = root / f"{TMP_PREFIX}{os.getpid()}.{next(_counter)}.{dest.name}"
        try:
            for rel, data in files.items():
                p = tmp / rel
                if data is None:
                    p.mkdir(parents=True, exist_ok=True)
                else:
                    p.parent.mkdir(parents=True, exist_ok=True)
                    p.write_bytes(data)
            tmp.mkdir(parents=True, exist_ok=True)  # an empty data directory
            os.replace(tmp, dest)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
    return DataSnapshot(Path(data_dir), dest, digest)


def prune_snapshots(out_root: Path, keep: Iterable[str]) -> None:
    """Remove the data snapshots that no state file refers to (and that are not in `keep`)."""
    root = Path(out_root) / STATE_DIR / SNAPSHOT_DIR
    if not root.is_dir():
        return
    used = set(keep)
    for lang_dir in (Path(out_root) / STATE_DIR).iterdir():
        if lang_dir.is_dir() and lang_dir.name not in (SNAPSHOT_DIR, JOURNAL_DIR):
            for f in lang_dir.glob("*.json"):
                with contextlib.suppress(OSError, ValueError):
                    used.add(json.loads(f.read_text(encoding="utf-8")).get("data_snapshot") or "")
    for d in root.iterdir():
        if d.is_dir() and not is_temp(d.name) and d.name not in used:
            shutil.rmtree(d, ignore_errors=True)


# ---------------------------------------------------------------------------------------------
# State files
# ---------------------------------------------------------------------------------------------

def read_state(layout: Layout, slug: str) -> dict:
    try:
        st = json.loads(layout.state(slug).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return st if isinstance(st, dict) else {}


def _valid_output(path: Path, record: dict) -> bool:
    try:
        size = path.stat().st_size
    except OSError:
        return False
    return size > 0 and size == record.get("bytes")


def current_outputs(layout: Layout, slug: str, digest: str, st: dict | None = None) -> dict[str, Path]:
    """The outputs (html, pdf, ipynb) of a briefing that were built from `digest` and are intact."""
    st = read_state(layout, slug) if st is None else st
    out = {}
    for fmt, record in (st.get("outputs") or {}).items():
        if isinstance(record, dict) and record.get("digest") == digest:
            path = layout.output(slug, fmt)
            if _valid_output(path, record):
                out[fmt] = path
    return out


def existing_outputs(layout: Layout, slug: str) -> dict[str, Path]:
    """Every non-empty html/pdf file of a briefing, current or not."""
    out = {}
    for fmt in ("html", "pdf"):
        p = layout.output(slug, fmt)
        with contextlib.suppress(OSError):
            if p.stat().st_size > 0:
                out[fmt] = p
    return out


def is_up_to_date(layout: Layout, slug: str, digest: str, formats: Sequence[str]) -> bool:
    """The last build of this briefing succeeded from `digest` and every output asked for is current."""
    st = read_state(layout, slug)
    if st.get("status") != "ok" or st.get("digest") != digest:
        return False
    current = current_outputs(layout, slug, digest, st)
    return all(f in current for f in (*formats, "ipynb"))


def scope_dict(scope) -> dict:
    return {k: getattr(scope, k, "") for k in ("kind", "slug", "code", "name_zh", "name_en")}


# ---------------------------------------------------------------------------------------------
# One briefing's files (`job`: any object with .scope, .lang, .layout and .digest)
# ---------------------------------------------------------------------------------------------

def _state_record(job, snap: DataSnapshot, *, status: str, outputs: dict, report: dict | None,
                  formats: Sequence[str], seconds: float | None = None, error: str | None = None,
                  cell: int | None = None) -> str:
    return json.dumps({
        "scope": scope_dict(job.scope), "lang": job.lang, "status": status, "digest": job.digest,
        "formats": list(formats), "data_digest": snap.digest, "data_snapshot": snap.dir.name,
        "outputs": outputs, "report": report, "error": error, "cell": cell,
        "seconds": None if seconds is None else round(seconds, 2),
    }, ensure_ascii=False, indent=1, default=str)


def commit_briefing(job, snap: DataSnapshot, files: dict[str, bytes], report: dict,
                    formats: Sequence[str], seconds: float) -> list[Path]:
    """Replace the outputs of one briefing together with its state, or leave them all as they were.

    An output of the previous build that this one does not rewrite stays only if it was built from
    the same inputs; otherwise it is deleted in the same commit, so that an old PDF never sits
    beside a new HTML looking current."""
    layout, slug = job.layout, job.scope.slug
    previous = read_state(layout, slug)
    keep = current_outputs(layout, slug, job.digest, previous)
    outputs = {fmt: (previous.get("outputs") or {})[fmt] for fmt in keep if fmt not in files}
    commit = Commit(layout.root)
    for fmt, data in files.items():
        commit.write(layout.output(slug, fmt), data)
        outputs[fmt] = {"digest": job.digest, "bytes": len(data)}
    for fmt in FORMATS:
        if fmt not in outputs and layout.output(slug, fmt).exists():
            commit.delete(layout.output(slug, fmt))
    for fmt in DOWNLOADS:  # the downloads go with the HTML: never left beside a newer one
        if fmt not in files and "html" not in outputs and layout.output(slug, fmt).exists():
            commit.delete(layout.output(slug, fmt))
    commit.delete(layout.failed_notebook(slug))
    commit.write(layout.state(slug), _state_record(job, snap, status="ok", outputs=outputs, report=report,
                                                   formats=formats, seconds=seconds))
    commit.apply()
    return [layout.output(slug, f) for f in files if f in FORMATS]


def record_failure(job, snap: DataSnapshot, nb_bytes: bytes | None, formats: Sequence[str],
                   error: str, cell: int | None) -> None:
    """The failed notebook and a state saying so; the previous outputs stay as they are."""
    layout, slug = job.layout, job.scope.slug
    previous = read_state(layout, slug)
    commit = Commit(layout.root)
    if nb_bytes is not None:
        commit.write(layout.failed_notebook(slug), nb_bytes)
    commit.write(layout.state(slug), _state_record(
        job, snap, status="failed", outputs=previous.get("outputs") or {}, report=previous.get("report"),
        formats=formats, error=error, cell=cell))
    commit.apply()


# ---------------------------------------------------------------------------------------------
# Files: temporary names, atomic writes, commits of several files
# ---------------------------------------------------------------------------------------------

def temp_path(path: Path) -> Path:
    return path.with_name(f"{TMP_PREFIX}{os.getpid()}.{next(_counter)}.{path.name}")


def _fsync_dir(d: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(d, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _write_temp(path: Path, data: bytes | str) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, str):
        data = data.encode("utf-8")
    tmp = temp_path(path)
    try:
        with open(tmp, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
    except BaseException as err:
        with contextlib.suppress(OSError):
            tmp.unlink()
        if isinstance(err, OSError) and err.errno is not None:  # name the file, not its temporary name
            raise OSError(err.errno, err.strerror, str(path)) from err
        raise
    return tmp


def write_atomic(path: Path, data: bytes | str) -> None:
    """Write to a temporary file beside `path`, fsync, then rename over it."""
    path = Path(path)
    tmp = _write_temp(path, data)
    try:
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    _fsync_dir(path.parent)


class Commit:
    """Files that are replaced together or not at all (the outputs and the state of one briefing).

        c = Commit(out_root)
        c.write(html_path, page); c.write(state_path, json_text); c.delete(old_pdf)
        c.apply()
    Paths are written in the order given (put the state file last).
    """

    def __init__(self, root: Path):
        self.root = Path(root)
        self.writes: list[tuple[Path, bytes | str]] = []
        self.deletes: list[Path] = []

    def write(self, path: Path, data: bytes | str) -> None:
        self.writes.append((Path(path), data))

    def delete(self, path: Path) -> None:
        self.deletes.append(Path(path))

    def _rel(self, p: Path) -> str:
        return os.path.relpath(p, self.root)

    def apply(self) -> None:
        temps: list[tuple[Path, Path]] = []
        try:
            for path, data in self.writes:
                temps.append((_write_temp(path, data), path))
            journal = {"renames": [[self._rel(t), self._rel(p)] for t, p in temps],
                       "deletes": [self._rel(p) for p in self.deletes]}
            jpath = self.root / STATE_DIR / JOURNAL_DIR / f"{os.getpid()}.{next(_counter)}.json"
            write_atomic(jpath, json.dumps(journal))
        except BaseException:
            for t, _ in temps:
                with contextlib.suppress(OSError):
                    t.unlink()
            raise
        # From here the commit is decided: whatever happens, it is completed (now or by the next build).
        try:
            roll_forward(self.root, jpath)
        except BaseException:
            with contextlib.suppress(BaseException):
                roll_forward(self.root, jpath)
            raise


def roll_forward(root: Path, journal: Path) -> None:
    """Complete a decided commit: rename what is still temporary, delete what it replaces."""
    spec = json.loads(journal.read_text(encoding="utf-8"))
    dirs = set()
    for tmp, final in spec.get("renames", []):
        t, f = root / tmp, root / final
        if t.exists():
            os.replace(t, f)
            dirs.add(f.parent)
    for rel in spec.get("deletes", []):
        p = root / rel
        with contextlib.suppress(FileNotFoundError):
            p.unlink()
            dirs.add(p.parent)
    for d in dirs:
        _fsync_dir(d)
    journal.unlink()
    _fsync_dir(journal.parent)


def recover(root: Path) -> None:
    """Under the lock: finish the commits a killed build had decided, delete its other temporary files.

    Only nrmc's own temporary files (`.nrmc-tmp.*`) are removed."""
    root = Path(root)
    jdir = root / STATE_DIR / JOURNAL_DIR
    if jdir.is_dir():
        for j in sorted(jdir.glob("*.json")):
            if is_temp(j.name):
                continue
            try:
                roll_forward(root, j)
            except (OSError, ValueError):
                with contextlib.suppress(OSError):
                    j.unlink()
    dirs = [root, root / STATE_DIR, root / STATE_DIR / JOURNAL_DIR, root / STATE_DIR / SNAPSHOT_DIR]
    for lang in LANGS:
        lay = Layout(root, lang)
        dirs += [lay.dir, lay.dir / NOTEBOOK_SUBDIR, lay.state_dir]
    for d in dict.fromkeys(dirs):
        if not d.is_dir():
            continue
        for p in d.iterdir():
            if not is_temp(p.name):
                continue
            if p.is_dir() and not p.is_symlink():
                shutil.rmtree(p, ignore_errors=True)
            else:
                with contextlib.suppress(OSError):
                    p.unlink()


def open_lock(path: Path) -> int:
    """The lock file's descriptor, never through a symbolic link (O_NOFOLLOW: a link planted at
    .state/.build.lock would otherwise have the build create or open a file elsewhere)."""
    try:
        return os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o644)
    except OSError as err:
        if err.errno == errno.ELOOP:
            from nrmc.checks import BuildError

            raise BuildError(f"{path} is a symbolic link: the build never opens or writes a file through a link. "
                             "Remove it.") from None
        raise


@contextlib.contextmanager
def build_lock(out: Path, on_wait: Callable[[str], None] | None = None):
    """Exclusive lock on the output directory; a second build waits for the first."""
    out = Path(out)
    (out / STATE_DIR).mkdir(parents=True, exist_ok=True)
    fd = open_lock(out / STATE_DIR / LOCK_NAME)
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
