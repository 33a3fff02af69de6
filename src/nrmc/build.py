"""Build briefings: execute the notebooks once per scope, export HTML and PDF, write an index.

    summary = build(["anhui", "national"], out_dir="reports")

How it stays fast, safe and incremental:
- Incremental: each scope's inputs (its notebook, every data file, every file of the nrmc package
  including the templates, the parameters, formats, language and version) are hashed; a scope
  whose hash matches `<out>/.state/<slug>.json` and whose outputs exist is skipped. The no-op path
  starts no kernel or browser and imports none of papermill, nbclient, nbconvert or playwright.
- Parallel: a pool of `jobs` long-lived Jupyter kernels, started one after another (no port races),
  each warmed up once (pandas, matplotlib, nrmc, the dataset) and reset between notebooks
  (`%reset -f`, figures closed, rcParams and cwd restored). Papermill injects the parameters;
  nbclient runs the cells on the warm kernel. One Chromium (Playwright, system executable) prints
  the PDFs with several pages at once, while the kernels run the next notebooks.
- Failure-isolated: a failing notebook is reported (scope, cell, error), its previous good report
  is left untouched, its kernel is restarted, and the other scopes go on.
- Atomic: every file is written to `<name>.tmp-<pid>` and renamed; a lock on the output directory
  serialises concurrent builds.
"""
from __future__ import annotations

import asyncio
import contextlib
import errno
import fcntl
import hashlib
import html
import json
import os
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Callable, Iterable, Sequence

from nrmc import __version__

PACKAGE_DIR = Path(__file__).resolve().parent
REPO_DIR = PACKAGE_DIR.parents[1]
DEFAULT_NOTEBOOKS_DIR = REPO_DIR / "notebooks"
FORMATS = ("html", "pdf")
LANGS = ("zh", "en")
STATE_DIR = ".state"
NOTEBOOK_SUBDIR = "notebooks"
LOCK_NAME = ".build.lock"
# Bump when the build itself changes what it writes for the same inputs.
BUILD_SCHEMA = 1


class BuildError(RuntimeError):
    """A problem that stops the whole build (bad arguments, no kernel, no browser)."""


@dataclass
class ScopeResult:
    """What happened to one scope."""

    slug: str
    name: str
    status: str  # "built" | "skipped" | "failed"
    seconds: float = 0.0
    cell: int | None = None  # 1-based index of the failing cell in the executed notebook
    error: str | None = None  # "RuntimeError: …" for a failure
    outputs: list[Path] = field(default_factory=list)

    def describe(self) -> str:
        if self.status == "failed":
            where = f"cell {self.cell}: " if self.cell else ""
            return f"{self.slug} ({self.name}) FAILED {where}{self.error}"
        if self.status == "skipped":
            return f"{self.slug} ({self.name}) unchanged, skipped"
        return f"{self.slug} ({self.name}) built in {self.seconds:.1f}s"


@dataclass
class BuildSummary:
    results: list[ScopeResult]
    seconds: float
    out_dir: Path

    @property
    def built(self) -> list[ScopeResult]:
        return [r for r in self.results if r.status == "built"]

    @property
    def skipped(self) -> list[ScopeResult]:
        return [r for r in self.results if r.status == "skipped"]

    @property
    def failed(self) -> list[ScopeResult]:
        return [r for r in self.results if r.status == "failed"]

    @property
    def ok(self) -> bool:
        return not self.failed

    def text(self) -> str:
        lines = [f"{len(self.built)} built, {len(self.skipped)} skipped as unchanged, "
                 f"{len(self.failed)} failed in {self.seconds:.1f}s → {self.out_dir}"]
        for r in self.failed:
            lines.append("  " + r.describe())
        return "\n".join(lines)


# ---------------------------------------------------------------------------------------------
# Scopes, hashing, state
# ---------------------------------------------------------------------------------------------

def _scope_dict(scope) -> dict:
    return {k: getattr(scope, k, "") for k in ("kind", "slug", "code", "name_zh", "name_en")}


def _scope_name(scope, lang: str = "zh") -> str:
    return (scope.name_en if lang == "en" else scope.name_zh) or scope.slug


def resolve_scopes(names: Iterable[Any] | None, data_dir: Path | None = None) -> list:
    """Scope objects for names (any form nrmc.regions accepts), or all 31 provinces + national.

    Objects with a `slug` attribute pass through, which lets tests supply their own scopes.
    Raises nrmc.regions.UnknownProvinceError for a name that matches nothing.
    """
    from nrmc import regions

    if not names:
        return regions.all_scopes(data_dir)
    out, seen = [], set()
    for name in names:
        scope = name if hasattr(name, "slug") else regions.resolve_scope(name, data_dir)
        if scope.slug not in seen:
            seen.add(scope.slug)
            out.append(scope)
    return out


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


def preflight(data_dir: Path, formats: Sequence[str]) -> None:
    """What must hold before any kernel or browser starts: the data is valid, and for PDFs there is
    a Chromium and a Chinese font. Raises BuildError saying what to fix; nothing has been written
    (a build with nothing to do never gets here, so the no-op path stays free of pandas)."""
    from nrmc.data import DataValidationError, load

    try:
        load(data_dir)
    except DataValidationError as err:
        raise BuildError(f"the data is not valid, so nothing was built and existing reports were left "
                         f"as they are. Fix these and run again (`nrmc validate` lists them):\n{err}") from err
    if "pdf" in formats:
        from nrmc.export import BrowserUnavailable, check_cjk_fonts, find_chromium

        try:
            find_chromium()
            check_cjk_fonts()
        except BrowserUnavailable as err:
            raise BuildError(f"{err} Nothing was built (`--format html` builds without a browser).") from err


def inputs_digest(data_dir: Path) -> str:
    """Digest of what every scope depends on: the data files and the nrmc package (code + templates)."""
    h = hashlib.sha256()
    h.update(f"nrmc {__version__} build {BUILD_SCHEMA}".encode())
    _files_digest(Path(data_dir), h)
    h.update(b"\0package\0")
    _files_digest(PACKAGE_DIR, h)
    return h.hexdigest()


def notebook_for(scope, notebooks_dir: Path) -> Path:
    return Path(notebooks_dir) / ("national.ipynb" if scope.kind == "national" else "province.ipynb")


def parameters_for(scope, *, lang: str, data_dir: Path, as_of: str | None = None) -> dict:
    """Papermill parameters for a scope: `province` (the slug) for provinces, then lang, data_dir, as_of."""
    params: dict[str, Any] = {}
    if scope.kind != "national":
        params["province"] = scope.slug
    params["lang"] = lang
    params["data_dir"] = str(data_dir)
    if as_of:
        params["as_of"] = as_of
    return params


def scope_digest(common: str, notebook: Path, params: dict, formats: Sequence[str]) -> str:
    h = hashlib.sha256(common.encode())
    try:
        h.update(notebook.read_bytes())
    except OSError:
        h.update(f"missing notebook {notebook}".encode())
    h.update(json.dumps(params, sort_keys=True, ensure_ascii=False).encode())
    h.update(",".join(sorted(formats)).encode())
    return h.hexdigest()


def _state_path(out: Path, slug: str) -> Path:
    return out / STATE_DIR / f"{slug}.json"


def read_state(out: Path, slug: str) -> dict:
    try:
        return json.loads(_state_path(out, slug).read_text(encoding="utf-8"))
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


# ---------------------------------------------------------------------------------------------
# Files: atomic writes, lock
# ---------------------------------------------------------------------------------------------

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


def _remove_stale_temp_files(out: Path) -> None:
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


# ---------------------------------------------------------------------------------------------
# Index
# ---------------------------------------------------------------------------------------------

def render_index(out: Path, scopes: Sequence, formats: Sequence[str] = FORMATS, lang: str = "zh") -> str:
    """reports/index.html: every scope with links, as-of date, build time and status (all escaped)."""
    e = html.escape
    rows = []
    n_ok = n_failed = n_missing = 0
    for scope in scopes:
        st = read_state(out, scope.slug)
        links = []
        for fmt in FORMATS:
            if (out / f"{scope.slug}.{fmt}").exists():
                links.append(f'<a href="{e(scope.slug)}.{fmt}">{fmt.upper()}</a>')
        status = st.get("status")
        if status == "ok":
            n_ok += 1
            status_html = '<span class="ok">ok</span>'
        elif status == "failed":
            n_failed += 1
            err = st.get("error") or ""
            cell = st.get("cell")
            kept = " (previous report kept)" if links else ""
            status_html = (f'<span class="failed">failed{e(kept)}</span>'
                           f'<div class="err">{e(("cell " + str(cell) + ": ") if cell else "")}{e(err[:300])}</div>')
        else:
            n_missing += 1
            status_html = '<span class="missing">not built</span>'
        report = st.get("report") or {}
        rows.append(
            "<tr>"
            f'<td class="name">{e(scope.name_zh)}<br><small>{e(scope.name_en)}</small></td>'
            f"<td><code>{e(scope.slug)}</code></td>"
            f'<td class="links">{" · ".join(links) or "—"}</td>'
            f"<td>{e(report.get('as_of') or '—')}</td>"
            f"<td>{e(report.get('built_at') or '—')}</td>"
            f"<td>{status_html}</td>"
            "</tr>")
    generated = datetime.now().strftime("%Y-%m-%d")
    return f"""<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>国家区域医疗中心简报 · NRMC briefings</title>
<style>
body {{ font-family: "Noto Sans CJK SC", "Noto Sans SC", "PingFang SC", "Microsoft YaHei", sans-serif; color: #1d2430; max-width: 64rem; margin: 0 auto; padding: 1.5rem; }}
h1 {{ border-bottom: 3px solid #0b5fa5; padding-bottom: .5rem; }}
table {{ border-collapse: collapse; width: 100%; font-size: .92rem; }}
th, td {{ border-bottom: 1px solid #d5dae1; padding: .35rem .6rem; text-align: left; vertical-align: top; }}
thead th {{ background: #f3f6f9; border-bottom: 2px solid #1d2430; }}
.ok {{ color: #17753a; font-weight: 600; }} .failed {{ color: #b3261e; font-weight: 600; }} .missing {{ color: #5b6472; }}
.err {{ color: #5b6472; font-size: .8rem; max-width: 28rem; }}
small {{ color: #5b6472; }} a {{ color: #0b5fa5; }}
.table-wrap {{ overflow-x: auto; max-width: 100%; }}
@media (max-width: 30rem) {{ body {{ padding: 1rem .8rem; }} }}
</style></head>
<body>
<main>
<h1>国家区域医疗中心简报 <small>NRMC briefings</small></h1>
<p>{n_ok} ok · {n_failed} failed · {n_missing} not built · index generated {e(generated)} by nrmc {e(__version__)}</p>
<div class="table-wrap" tabindex="0" role="region" aria-label="简报列表 Briefings">
<table><thead><tr><th>范围 Scope</th><th>slug</th><th>报告 Report</th><th>数据截至 As of</th><th>生成 Built</th><th>状态 Status</th></tr></thead>
<tbody>
{chr(10).join(rows)}
</tbody></table>
</div>
</main>
</body></html>
"""


def write_index(out: Path, scopes: Sequence, formats: Sequence[str] = FORMATS) -> Path:
    page = render_index(out, scopes, formats)
    path = out / "index.html"
    # The generation date changes daily; compare without it so a no-op build writes nothing.
    try:
        old = path.read_text(encoding="utf-8")
    except OSError:
        old = None
    if old is None or _strip_generated(old) != _strip_generated(page):
        write_atomic(path, page)
    return path


def _strip_generated(page: str) -> str:
    import re

    return re.sub(r"index generated \S+", "", page)


# ---------------------------------------------------------------------------------------------
# Kernels
# ---------------------------------------------------------------------------------------------

_STATE_MODULE = "_nrmc_build_state"

WARMUP_CODE = """
import importlib as _il, os as _os, sys as _sys, types as _types, warnings as _w
for _name in ("numpy", "pandas", "matplotlib", "matplotlib.pyplot", "IPython.display", "nrmc",
              "nrmc.regions", "nrmc.data", "nrmc.coverage", "nrmc.specialty", "nrmc.performance",
              "nrmc.charts"):
    try:
        _il.import_module(_name)
    except Exception:
        pass
try:  # load (and cache) the dataset once per kernel
    _sys.modules["nrmc"].load({data_dir!r})
except Exception:
    pass
_st = _types.ModuleType({state!r})
_st.cwd = {cwd!r}
_st.warnings = list(_w.filters)
try:
    import matplotlib as _mpl
    _st.rc = dict(_mpl.rcParams)
except Exception:
    _st.rc = None
_sys.modules[{state!r}] = _st
"""

RESET_CODE = """
import sys as _sys, os as _os, warnings as _w
_st = _sys.modules.get({state!r})
if _st is not None:
    _os.chdir(_st.cwd)
    _w.filters[:] = _st.warnings
    if _st.rc is not None and "matplotlib.pyplot" in _sys.modules:
        import matplotlib as _mpl, matplotlib.pyplot as _plt
        _plt.close("all")
        with _w.catch_warnings():
            _w.simplefilter("ignore")
            _mpl.rcParams.update(_st.rc)
get_ipython().run_line_magic("reset", "-f")
"""


class _Kernel:
    def __init__(self, km, kc, n: int):
        self.km, self.kc, self.n = km, kc, n
        self.runs = 0


class KernelPool:
    """`size` warm kernels, started one at a time; `acquire()` → kernel, `release()` / `replace()`."""

    def __init__(self, size: int, cwd: Path, data_dir: Path, kernel_name: str = "python3",
                 startup_timeout: float = 120):
        self.size = max(1, size)
        self.cwd = str(cwd)
        self.data_dir = str(data_dir)
        self.kernel_name = kernel_name
        self.startup_timeout = startup_timeout
        self._free: asyncio.Queue[_Kernel] = asyncio.Queue()
        self._start_lock = asyncio.Lock()
        self._all: set[_Kernel] = set()
        self._tasks: set[asyncio.Task] = set()
        self._count = 0
        self._failed: BaseException | None = None
        self._ipc: str | None = None

    async def start(self) -> None:
        """Launch every kernel (one launch at a time; warm-ups overlap); return when one is ready.

        Raises BuildError when no kernel can be started at all.
        """
        for _ in range(self.size):
            self._spawn(self._add_one())
        while self._free.empty():
            if not self._tasks:
                raise BuildError(f"no Jupyter kernel could be started: {self._failed}")
            await asyncio.wait(set(self._tasks), return_when=asyncio.FIRST_COMPLETED)

    def _spawn(self, coro) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _add_one(self) -> None:
        try:
            self._free.put_nowait(await self._start_one())
        except asyncio.CancelledError:
            raise
        except Exception as err:  # a smaller pool still works
            self._failed = err

    async def _start_one(self) -> _Kernel:
        from jupyter_client.manager import AsyncKernelManager

        async with self._start_lock:  # one start at a time
            n = self._count + 1
            try:
                # IPC sockets in a private directory: no TCP ports to race for, nothing on the network.
                km = AsyncKernelManager(kernel_name=self.kernel_name, transport="ipc",
                                        ip=os.path.join(self._ipc_dir(), f"k{n}"))
                await km.start_kernel(cwd=self.cwd)
            except Exception:
                km = AsyncKernelManager(kernel_name=self.kernel_name)
                await km.start_kernel(cwd=self.cwd)
            kc = km.client()
            kc.start_channels()
            try:
                await kc.wait_for_ready(timeout=self.startup_timeout)
            except Exception:
                kc.stop_channels()
                await km.shutdown_kernel(now=True)
                raise
            kc.allow_stdin = False
            self._count += 1
            k = _Kernel(km, kc, self._count)
            self._all.add(k)
        # Warm up outside the lock, so the next kernel starts meanwhile.
        code = WARMUP_CODE.format(data_dir=self.data_dir, cwd=self.cwd, state=_STATE_MODULE)
        with contextlib.suppress(Exception):
            await kc.execute_interactive(code, silent=True, store_history=False, timeout=300,
                                         output_hook=lambda msg: None)
        return k

    def _ipc_dir(self) -> str:
        if self._ipc is None:
            import tempfile

            self._ipc = tempfile.mkdtemp(prefix="nrmc-kernels-")
        return self._ipc

    async def acquire(self) -> _Kernel:
        while True:
            try:
                return await asyncio.wait_for(self._free.get(), timeout=1.0)
            except asyncio.TimeoutError:
                if not self._all and not self._tasks:
                    raise BuildError(f"no Jupyter kernel could be started: {self._failed}")

    async def reset(self, k: _Kernel) -> None:
        await k.kc.execute_interactive(RESET_CODE.format(state=_STATE_MODULE), silent=True,
                                       store_history=False, timeout=60, output_hook=lambda msg: None)

    def release(self, k: _Kernel) -> None:
        self._free.put_nowait(k)

    def replace(self, k: _Kernel) -> None:
        """Throw a kernel away (failed run, dead kernel) and start a fresh one in the background."""

        async def swap():
            await self._stop(k)
            await self._add_one()

        self._spawn(swap())

    async def _stop(self, k: _Kernel) -> None:
        self._all.discard(k)
        with contextlib.suppress(Exception):
            k.kc.stop_channels()
        with contextlib.suppress(Exception):
            await k.km.shutdown_kernel(now=True)

    async def close(self) -> None:
        for t in list(self._tasks):
            t.cancel()
        for t in list(self._tasks):
            with contextlib.suppress(BaseException):
                await t
        await asyncio.gather(*(self._stop(k) for k in list(self._all)), return_exceptions=True)
        if self._ipc:
            import shutil

            shutil.rmtree(self._ipc, ignore_errors=True)


# ---------------------------------------------------------------------------------------------
# One scope
# ---------------------------------------------------------------------------------------------

@dataclass
class _Job:
    scope: Any
    notebook: Path
    params: dict
    digest: str


def _prepare(job: _Job, lang: str):
    from papermill.iorw import load_notebook_node
    from papermill.parameterize import parameterize_notebook

    nb = load_notebook_node(str(job.notebook))
    nb = parameterize_notebook(nb, job.params, report_mode=False, kernel_name="python3", language="python")
    nb.metadata["nrmc_build"] = {
        "scope": _scope_dict(job.scope),
        "lang": lang,
        "built": datetime.now().strftime("%Y-%m-%d"),
        "version": __version__,
        "notebook": job.notebook.name,
    }
    return nb


def _source_cell(nb, index: int) -> int:
    """1-based number of cell `index` in the notebook as its author sees it (without papermill's injected cell)."""
    injected = sum(1 for c in nb.cells[:index] if "injected-parameters" in c.get("metadata", {}).get("tags", []))
    return index + 1 - injected


async def _execute(pool: KernelPool, nb, cwd: Path, timeout: float,
                   on_acquire: Callable[[], None] | None = None) -> tuple[Any, int | None, str | None]:
    """Run every cell on a warm kernel. Returns (nb, failing cell (1-based) or None, error or None)."""
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

    k = await pool.acquire()
    if on_acquire:
        on_acquire()
    healthy = False
    index = 0
    try:
        await pool.reset(k)
        client = NotebookClient(nb, km=k.km, kernel_name=pool.kernel_name, timeout=timeout,
                                allow_errors=False, record_timing=False,
                                resources={"metadata": {"path": str(cwd)}})
        client.kc = k.kc
        client.reset_execution_trackers()
        for index, cell in enumerate(nb.cells):
            await client.async_execute_cell(cell, index)
        healthy = True
        k.runs += 1
        return nb, None, None
    except CellExecutionError as err:
        return nb, _source_cell(nb, index), f"{err.ename}: {err.evalue}".strip()
    except CellTimeoutError:
        return nb, _source_cell(nb, index), f"TimeoutError: cell ran longer than {timeout:.0f}s"
    except DeadKernelError:
        return nb, _source_cell(nb, index), "DeadKernelError: the kernel died while running this cell"
    except asyncio.CancelledError:
        raise
    except Exception as err:  # noqa: BLE001 - reported per scope
        return nb, _source_cell(nb, index) if index else None, f"{type(err).__name__}: {err}"
    finally:
        if healthy:
            pool.release(k)
        else:
            pool.replace(k)


# ---------------------------------------------------------------------------------------------
# The build
# ---------------------------------------------------------------------------------------------

def build(
    scopes: Iterable[Any] | None = None,
    out_dir: str | os.PathLike = "reports",
    *,
    formats: Sequence[str] = FORMATS,
    lang: str = "zh",
    jobs: int | None = None,
    force: bool = False,
    data_dir: str | os.PathLike | None = None,
    notebooks_dir: str | os.PathLike | None = None,
    as_of: str | None = None,
    index_scopes: Sequence[Any] | None = None,
    timeout: float = 600,
    on_result: Callable[[ScopeResult, int, int], None] | None = None,
    on_message: Callable[[str], None] | None = None,
) -> BuildSummary:
    """Build the briefings of `scopes` (names in any form, Scope objects, or None for all 32).

    Writes `<out>/<slug>.html|.pdf`, `<out>/notebooks/<slug>.ipynb` and `<out>/index.html`.
    `on_result(result, done, total)` is called as each scope finishes (skipped ones included);
    `on_message(text)` for notices such as waiting for another build's lock.
    Raises BuildError for problems that stop everything (bad format, missing notebook directory,
    no kernel, no browser) and nrmc.regions.UnknownProvinceError for an unknown scope name.
    """
    t0 = time.monotonic()
    from nrmc.regions import default_data_dir

    formats = tuple(dict.fromkeys(f.strip().lower() for f in formats if f.strip()))
    bad = [f for f in formats if f not in FORMATS]
    if bad or not formats:
        raise BuildError(f"unknown format {', '.join(bad) or '(none)'}: choose from {', '.join(FORMATS)}")
    if lang not in LANGS:
        raise BuildError(f"unknown language {lang!r}: choose from {', '.join(LANGS)}")
    data = Path(data_dir).resolve() if data_dir else default_data_dir()
    if not data.is_dir():
        raise BuildError(f"data directory not found: {data}")
    nbdir = Path(notebooks_dir).resolve() if notebooks_dir else DEFAULT_NOTEBOOKS_DIR
    out = Path(out_dir).resolve()
    selected = resolve_scopes(list(scopes) if scopes is not None else None, data)
    for scope in selected:
        nbpath = notebook_for(scope, nbdir)
        if not nbpath.exists():
            raise BuildError(f"notebook not found: {nbpath}")
    if index_scopes is None:
        try:
            index_scopes = resolve_scopes(None, data)
        except Exception:  # noqa: BLE001 - the index then lists what was built
            index_scopes = []
    listed = {s.slug for s in index_scopes}
    index_scopes = list(index_scopes) + [s for s in selected if s.slug not in listed]
    jobs = max(1, jobs or os.cpu_count() or 1)

    with build_lock(out, on_message):
        _remove_stale_temp_files(out)
        common = inputs_digest(data)
        todo: list[_Job] = []
        results: list[ScopeResult] = []
        total = len(selected)
        for scope in selected:
            nbpath = notebook_for(scope, nbdir)
            params = parameters_for(scope, lang=lang, data_dir=data, as_of=as_of)
            digest = scope_digest(common, nbpath, params, formats)
            if not force and is_up_to_date(out, scope.slug, digest, formats):
                r = ScopeResult(scope.slug, _scope_name(scope, lang), "skipped")
                results.append(r)
                if on_result:
                    on_result(r, len(results), total)
            else:
                todo.append(_Job(scope, nbpath, params, digest))
        if todo:
            preflight(data, formats)
            results += _run_jobs(todo, out, formats=formats, lang=lang, jobs=jobs, cwd=nbdir, data=data,
                                 timeout=timeout, on_result=on_result, done=len(results), total=total)
        write_index(out, index_scopes, formats)
    order = {s.slug: i for i, s in enumerate(selected)}
    results.sort(key=lambda r: order.get(r.slug, 0))
    return BuildSummary(results, time.monotonic() - t0, out)


def _run_jobs(todo: list[_Job], out: Path, *, formats, lang, jobs, cwd, data, timeout, on_result, done, total):
    return asyncio.run(_run_jobs_async(todo, out, formats=formats, lang=lang, jobs=jobs, cwd=cwd, data=data,
                                       timeout=timeout, on_result=on_result, done=done, total=total))


async def _run_jobs_async(todo, out, *, formats, lang, jobs, cwd, data, timeout, on_result, done, total):
    from concurrent.futures import ThreadPoolExecutor

    from nrmc.export import BriefingHTMLExporter, PdfPrinter

    counter = {"done": done}
    trace: list[tuple] = []  # (slug, phase, start, end) relative to t0; written when $NRMC_TRACE is set
    t0 = time.monotonic()

    @contextlib.asynccontextmanager
    async def phase(slug, name):
        start = time.monotonic() - t0
        try:
            yield
        finally:
            trace.append((slug, name, round(start, 3), round(time.monotonic() - t0, 3)))
    results: list[ScopeResult] = []
    pool = KernelPool(min(jobs, len(todo)), cwd=cwd, data_dir=data)
    printer = PdfPrinter(pages=jobs) if "pdf" in formats else None
    exporter = BriefingHTMLExporter()
    cpu = ThreadPoolExecutor(max_workers=1, thread_name_prefix="nrmc-export")
    loop = asyncio.get_running_loop()

    def finish(r: ScopeResult):
        results.append(r)
        counter["done"] += 1
        if on_result:
            on_result(r, counter["done"], total)

    async def one(job: _Job):
        t = time.monotonic()
        scope = job.scope
        name = _scope_name(scope, lang)
        previous = read_state(out, scope.slug)
        nb = None
        try:
            async with phase(scope.slug, "prepare"):
                nb = await loop.run_in_executor(cpu, _prepare, job, lang)
            acquired = {}

            def on_acquire():
                acquired["t"] = time.monotonic()  # time spent building excludes the wait for a kernel
                trace.append((scope.slug, "kernel-acquired", round(acquired["t"] - t0, 3), None))

            async with phase(scope.slug, "execute"):
                nb, cell, error = await _execute(pool, nb, cwd, timeout, on_acquire=on_acquire)
            t = acquired.get("t", t)
            if error:
                raise _ScopeFailed(cell, error)
            async with phase(scope.slug, "html"):
                page, resources = await loop.run_in_executor(cpu, exporter.from_notebook_node, nb)
            header = resources.get("nrmc", {})
            pdf = None
            if printer is not None:
                try:
                    async with phase(scope.slug, "pdf"):
                        pdf = await printer.pdf(page, footer_title=header.get("title", ""), lang=lang)
                except Exception as err:  # noqa: BLE001
                    raise _ScopeFailed(None, f"PDF: {type(err).__name__}: {err}") from err
            import nbformat

            paths = output_paths(out, scope.slug, formats)
            write_atomic(paths["ipynb"], nbformat.writes(nb))
            if "html" in formats:
                write_atomic(paths["html"], page)
            if pdf is not None:
                write_atomic(paths["pdf"], pdf)
            with contextlib.suppress(OSError):
                (out / NOTEBOOK_SUBDIR / f"{scope.slug}.failed.ipynb").unlink()
            now = datetime.now().isoformat(timespec="seconds")
            report = {"as_of": header.get("as_of"), "title": header.get("title"), "built_at": now}
            seconds = time.monotonic() - t
            write_atomic(_state_path(out, scope.slug), json.dumps({
                "scope": _scope_dict(scope), "hash": job.digest, "status": "ok", "formats": list(formats),
                "lang": lang, "seconds": round(seconds, 2), "report": report, "error": None, "cell": None,
            }, ensure_ascii=False, indent=1))
            finish(ScopeResult(scope.slug, name, "built", seconds, outputs=[paths[f] for f in formats]))
        except asyncio.CancelledError:
            raise
        except Exception as err:  # noqa: BLE001 - isolate every failure to its scope
            cell, error = (err.cell, err.error) if isinstance(err, _ScopeFailed) else (None, f"{type(err).__name__}: {err}")
            if nb is not None:
                import nbformat

                with contextlib.suppress(Exception):
                    write_atomic(out / NOTEBOOK_SUBDIR / f"{scope.slug}.failed.ipynb", nbformat.writes(nb))
            with contextlib.suppress(Exception):
                write_atomic(_state_path(out, scope.slug), json.dumps({
                    "scope": _scope_dict(scope), "hash": job.digest, "status": "failed", "formats": list(formats),
                    "lang": lang, "report": previous.get("report"), "error": error, "cell": cell,
                }, ensure_ascii=False, indent=1))
            finish(ScopeResult(scope.slug, name, "failed", time.monotonic() - t, cell=cell, error=error))

    def warm_exporter():  # compile the templates while the kernels start
        import nbformat

        exporter.from_notebook_node(nbformat.v4.new_notebook())

    try:
        loop.run_in_executor(cpu, warm_exporter)
        starts = [pool.start()]
        if printer is not None:
            starts.append(printer.start())
        started = await asyncio.gather(*starts, return_exceptions=True)
        for res in started:
            if isinstance(res, BaseException):
                raise BuildError(str(res)) from res
        await asyncio.gather(*(one(job) for job in todo))
    finally:
        if os.environ.get("NRMC_TRACE"):
            with contextlib.suppress(OSError):
                write_atomic(out / STATE_DIR / "trace.json", json.dumps(trace))
        await pool.close()
        if printer is not None:
            await printer.close()
        cpu.shutdown(wait=True)
    return results


class _ScopeFailed(Exception):
    def __init__(self, cell: int | None, error: str):
        super().__init__(error)
        self.cell, self.error = cell, error
