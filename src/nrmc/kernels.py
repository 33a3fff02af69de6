"""Warm Jupyter kernels, and running a parameterised notebook on one of them.

    pool = KernelPool(2, cwd=notebooks_dir, data_dir=data_dir)
    await pool.start()
    nb = prepare_notebook(path, {"scope": "anhui", "lang": "zh"}, build_meta={...})
    result = await execute_notebook(pool, nb, cwd=notebooks_dir, timeout=300)

- A pool of `size` long-lived kernels, started one after another (no port races), each warmed up
  once (pandas, matplotlib, nrmc and its briefings, the dataset, the CJK font's metrics) and reset
  as soon as a notebook is done with it (namespace as after the warm-up, figures closed, rcParams,
  warnings and cwd restored), so the next notebook starts at once. Kernels are handed out first
  come, first served.
- Papermill injects the parameters; nbclient runs the cells on a warm kernel. A kernel whose run
  failed is thrown away and replaced in the background.
"""
from __future__ import annotations

import asyncio
import contextlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable


class KernelUnavailable(RuntimeError):
    """No Jupyter kernel could be started at all."""

_STATE_MODULE = "_nrmc_build_state"

# Run in the kernel (this module imports only the standard library at its top, so the kernel can
# import it): `_warm_up` once per kernel, `_reset` between two notebooks.
WARMUP_CODE = ('__import__("nrmc.kernels", fromlist=["_warm_up"])._warm_up(get_ipython(), {data_dir!r}, {cwd!r}, '
               '{checks!r})')
RESET_CODE = '__import__("nrmc.kernels", fromlist=["_reset"])._reset(get_ipython())'
WARM_IMPORTS = ("numpy", "pandas", "matplotlib", "matplotlib.pyplot", "IPython.display", "nrmc", "nrmc.regions",
                "nrmc.data", "nrmc.coverage", "nrmc.specialty", "nrmc.performance", "nrmc.charts", "nrmc.context", "nrmc.sections")


def _warm_up(ip, data_dir: str, cwd: str, checks: bool = False) -> None:
    """In a new kernel: import what the notebooks use, load (and cache) the dataset, read the CJK
    font's metrics, and remember what `_reset` restores (namespace, cwd, warnings, rcParams).
    `checks`: also set up the schema checker, which loading the data from the disk cache does not
    need (the preview's kernels then check an edited file at once)."""
    import importlib
    import sys
    import types
    import warnings

    for name in WARM_IMPORTS:
        with contextlib.suppress(Exception):
            importlib.import_module(name)
    with contextlib.suppress(Exception):
        sys.modules["nrmc"].load(data_dir)
    if checks:
        with contextlib.suppress(Exception):
            sys.modules["nrmc.data"].warm_checks()
    with contextlib.suppress(Exception):
        sys.modules["nrmc.charts"].wrap("国家区域医疗中心 National Regional Medical Centres", 100.0)
    with contextlib.suppress(Exception):
        importlib.import_module("nrmc.i18n").warm()  # the sentence templates, compiled once per kernel
    st = types.ModuleType(_STATE_MODULE)
    st.cwd = cwd
    st.warnings = list(warnings.filters)
    try:
        import matplotlib

        st.rc = dict(matplotlib.rcParams)
    except Exception:  # noqa: BLE001
        st.rc = None
    st.names = set(ip.user_ns)
    sys.modules[_STATE_MODULE] = st


def _reset(ip) -> None:
    """Between two notebooks: the user namespace back to what it was after the warm-up, figures
    closed, rcParams, warnings and cwd restored. (Like `%reset -f`, without its full garbage
    collection, which costs a few tenths of a second per notebook.)"""
    import sys
    import warnings

    st = sys.modules.get(_STATE_MODULE)
    if st is None:
        ip.run_line_magic("reset", "-f")
        return
    os.chdir(st.cwd)
    warnings.filters[:] = st.warnings
    if st.rc is not None and "matplotlib.pyplot" in sys.modules:
        import matplotlib
        import matplotlib.pyplot as plt

        plt.close("all")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            matplotlib.rcParams.update(st.rc)
    ns = ip.user_ns
    for k in [k for k in ns if k not in st.names]:
        del ns[k]
    with contextlib.suppress(Exception):
        ip.history_manager.reset(new_session=False)  # In/Out and _oh: the inputs and results of the last notebook
    for k in ("_oh", "Out"):
        if isinstance(ns.get(k), dict):
            ns[k].clear()
    dh = ip.displayhook
    dh._ = dh.__ = dh.___ = ""
    ns.update({"_": "", "__": "", "___": ""})


# Kernels keep no input history on disk (an SQLite write per cell, read by nobody).
KERNEL_ARGS = ["--HistoryManager.enabled=False"]


class _Kernel:
    def __init__(self, km, kc, n: int):
        self.km, self.kc, self.n = km, kc, n
        self.runs = 0


class KernelPool:
    """`size` warm kernels, started one at a time; `acquire()` → kernel, `release()` / `replace()`."""

    def __init__(self, size: int, cwd: Path, data_dir: Path, kernel_name: str = "python3",
                 startup_timeout: float = 120, warm_checks: bool = False):
        self.size = max(1, size)
        self.warm_checks = warm_checks
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
        self._logs: list = []

    async def start(self) -> None:
        """Launch every kernel (one launch at a time; warm-ups overlap); return when one is ready.

        Raises KernelUnavailable when no kernel can be started at all.
        """
        for _ in range(self.size):
            self._spawn(self._add_one())
        while self._free.empty():
            if not self._tasks:
                raise KernelUnavailable(f"no Jupyter kernel could be started: {self._failed}")
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
                await km.start_kernel(cwd=self.cwd, extra_arguments=KERNEL_ARGS, **self._log(n))
            except Exception:
                km = AsyncKernelManager(kernel_name=self.kernel_name)
                await km.start_kernel(cwd=self.cwd, extra_arguments=KERNEL_ARGS, **self._log(n))
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
            k = _Kernel(km, kc, n)
            self._all.add(k)
        # Warm up outside the lock, so the next kernel starts meanwhile.
        code = WARMUP_CODE.format(data_dir=self.data_dir, cwd=self.cwd, checks=self.warm_checks)
        with contextlib.suppress(Exception):
            await kc.execute_interactive(code, silent=True, store_history=False, timeout=300,
                                         output_hook=lambda msg: None)
        return k

    def _log(self, n: int) -> dict:
        """The kernel's own stdout and stderr go to a file, not to the user's terminal (no "Parent
        appears to have exited" or ZMQ messages after the summary); `log_tail` reads it."""
        f = open(os.path.join(self._ipc_dir(), f"k{n}.log"), "ab")  # noqa: SIM115 - closed in close()
        self._logs.append(f)
        return {"stdout": f, "stderr": f}

    def log_tail(self, k: "_Kernel", lines: int = 5) -> str:
        with contextlib.suppress(OSError):
            with open(os.path.join(self._ipc_dir(), f"k{k.n}.log"), "rb") as f:
                return "\n".join(f.read().decode("utf-8", "replace").strip().splitlines()[-lines:])
        return ""

    def _ipc_dir(self) -> str:
        if self._ipc is None:
            import tempfile

            self._ipc = tempfile.mkdtemp(prefix="nrmc-kernels-")
        return self._ipc

    async def acquire(self) -> _Kernel:
        """The next free kernel, first come first served (a clean one: reset when it was released)."""
        get = asyncio.ensure_future(self._free.get())
        try:
            while True:
                done, _ = await asyncio.wait({get}, timeout=1.0)
                if done:
                    return get.result()
                if not self._all and not self._tasks:
                    raise KernelUnavailable(f"no Jupyter kernel could be started: {self._failed}")
        except BaseException:
            if get.done() and not get.cancelled():
                self._free.put_nowait(get.result())  # handed over just as this waiter gave up: keep it
            else:
                get.cancel()
            raise

    async def reset(self, k: _Kernel) -> None:
        await k.kc.execute_interactive(RESET_CODE, silent=True, store_history=False, timeout=60,
                                       output_hook=lambda msg: None)

    def release(self, k: _Kernel) -> None:
        """Give a kernel back after a successful run: it is reset meanwhile, then handed out again
        (or replaced when the reset fails)."""

        async def clean():
            try:
                await self.reset(k)
            except asyncio.CancelledError:
                raise
            except Exception:  # noqa: BLE001 - a kernel that cannot be reset is not reused
                await self._stop(k)
                await self._add_one()
                return
            self._free.put_nowait(k)

        self._spawn(clean())

    def replace(self, k: _Kernel) -> None:
        """Throw a kernel away (failed run, dead kernel) and start a fresh one in the background."""

        async def swap():
            await self._stop(k)
            await self._add_one()

        self._spawn(swap())

    async def _stop(self, k: _Kernel) -> None:
        """Stop a kernel and wait until its process has exited (its sockets go with it)."""
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
        for f in self._logs:
            with contextlib.suppress(OSError):
                f.close()
        if self._ipc:
            import shutil

            shutil.rmtree(self._ipc, ignore_errors=True)


# ---------------------------------------------------------------------------------------------
# Running one notebook
# ---------------------------------------------------------------------------------------------

def prepare_notebook(notebook: Path, params: dict, build_meta: dict | None = None):
    """The notebook at `notebook` with papermill's parameters cell injected and papermill's
    metadata (input path, parameters), plus `metadata.nrmc_build` when given."""
    from papermill.execute import prepare_notebook_metadata, remove_error_markers
    from papermill.iorw import load_notebook_node
    from papermill.parameterize import parameterize_notebook

    nb = load_notebook_node(str(notebook))
    nb = parameterize_notebook(nb, params, report_mode=False, kernel_name="python3", language="python")
    nb = prepare_notebook_metadata(nb, str(notebook), None)
    nb = remove_error_markers(nb)
    if build_meta is not None:
        nb.metadata["nrmc_build"] = build_meta
    return nb


def for_rerun(nb, params: dict, data_dir: Path, data_digest: str, made_by: dict | None = None):
    """The executed notebook as it is kept in reports/notebooks/: its parameters point at the
    user's data folder (not the build's private snapshot), so that `papermill <it> out.ipynb`
    reruns it against the data as it is then, and its metadata says how it was made (scope,
    language, as-of date, data folder, digest of the data it was built from)."""
    from papermill.parameterize import parameterize_notebook

    params = {**params, "data_dir": str(data_dir)}
    ran = next((c for c in nb.cells if "injected-parameters" in c.get("metadata", {}).get("tags", [])), None)
    out = parameterize_notebook(nb, params, report_mode=False, kernel_name="python3", language="python")
    if ran is not None:  # the new injected cell keeps how the one it replaces ran (papermill's record)
        new = next(c for c in out.cells if "injected-parameters" in c.get("metadata", {}).get("tags", []))
        for key in ("papermill", "execution"):
            if key in ran.metadata:
                new.metadata[key] = ran.metadata[key]
        new.execution_count = ran.get("execution_count")
    out.metadata.setdefault("papermill", {})["parameters"] = params
    out.metadata["nrmc"] = {**(out.metadata.get("nrmc") or {}), "scope": params.get("scope"), "lang": params.get("lang"),
                            "as_of": params.get("as_of"), "data_dir": str(data_dir), "data_digest": data_digest,
                            **(made_by or {})}
    return out


def source_cell(nb, index: int) -> int:
    """1-based number of cell `index` in the notebook as its author sees it (without papermill's injected cell)."""
    injected = sum(1 for c in nb.cells[:index] if "injected-parameters" in c.get("metadata", {}).get("tags", []))
    return index + 1 - injected


@dataclass
class Execution:
    """The executed notebook, and where and why it failed (cell is 1-based, as its author counts)."""

    nb: Any
    cell: int | None = None
    error: str | None = None
    traceback: str = ""


def _mark_error(nb, index: int) -> None:
    """Papermill's error marker cells: a note at the top and an anchor before the failing cell."""
    import nbformat
    from papermill.execute import ERROR_ANCHOR_MSG, ERROR_MARKER_TAG, ERROR_MESSAGE_TEMPLATE

    count = nb.cells[index].get("execution_count")
    top = nbformat.v4.new_markdown_cell(ERROR_MESSAGE_TEMPLATE % str(count))
    top.metadata["tags"] = [ERROR_MARKER_TAG]
    anchor = nbformat.v4.new_markdown_cell(ERROR_ANCHOR_MSG)
    anchor.metadata["tags"] = [ERROR_MARKER_TAG]
    nb.cells.insert(index, anchor)
    nb.cells.insert(0, top)


def _plain(lines) -> str:
    import re

    return re.sub(r"\x1b\[[0-9;]*m", "", "\n".join(lines or []))


async def execute_notebook(pool: KernelPool, nb, cwd: Path, timeout: float, *,
                           on_acquire: Callable[[], None] | None = None,
                           on_long_cell: Callable[[int, float], None] | None = None,
                           long_after: float = 60.0) -> Execution:
    """Run every cell on a warm kernel, recording papermill's metadata (start and end time,
    duration and exception, for the notebook and each cell) as `papermill` would.

    A cell running longer than `long_after` seconds is reported through `on_long_cell(cell, seconds)`
    (then again each time that long again passes); one running longer than `timeout` fails.
    """
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError
    from papermill.engines import NotebookExecutionManager

    k = await pool.acquire()
    if on_acquire:
        on_acquire()
    healthy = False
    index = 0
    manager = NotebookExecutionManager(nb, output_path=None, progress_bar=False, autosave_cell_every=0)
    manager.notebook_start()
    result = Execution(nb)
    try:
        client = NotebookClient(nb, km=k.km, kernel_name=pool.kernel_name, timeout=timeout,
                                allow_errors=False, record_timing=True,
                                resources={"metadata": {"path": str(cwd)}})
        client.kc = k.kc
        client.reset_execution_trackers()
        for index, cell in enumerate(nb.cells):
            manager.cell_start(cell, index)
            try:
                await _with_notice(client.async_execute_cell(cell, index), source_cell(nb, index),
                                   on_long_cell, long_after)
            except Exception:
                manager.cell_exception(cell, index)
                raise
            finally:
                manager.cell_complete(cell, index)
        healthy = True
        k.runs += 1
    except CellExecutionError as err:
        result.cell, result.error = source_cell(nb, index), f"{err.ename}: {err.evalue}".strip()
        outputs = [o for o in nb.cells[index].get("outputs", []) if o.get("output_type") == "error"]
        result.traceback = _plain(outputs[-1].get("traceback")) if outputs else ""
    except CellTimeoutError:
        result.cell, result.error = source_cell(nb, index), f"TimeoutError: cell ran longer than {timeout:.0f}s (--timeout)"
    except DeadKernelError:
        tail = pool.log_tail(k)
        result.cell = source_cell(nb, index)
        result.error = "DeadKernelError: the kernel died while running this cell" + (f" ({tail.splitlines()[-1]})" if tail else "")
    except asyncio.CancelledError:
        raise
    except Exception as err:  # noqa: BLE001 - reported per scope
        result.cell, result.error = (source_cell(nb, index) if index else None), f"{type(err).__name__}: {err}"
    finally:
        manager.notebook_complete()
        if healthy:
            pool.release(k)
        else:
            pool.replace(k)
    if result.error:
        nb.metadata.papermill["exception"] = True
        with contextlib.suppress(Exception):
            _mark_error(nb, index)
    return result


async def _with_notice(coro, cell: int, on_long_cell, long_after: float):
    """Await `coro`; every `long_after` seconds it is still running, call on_long_cell(cell, seconds)."""
    if on_long_cell is None or long_after <= 0:
        return await coro
    task = asyncio.ensure_future(coro)
    waited = 0.0
    try:
        while True:
            done, _ = await asyncio.wait({task}, timeout=long_after)
            if done:
                return task.result()
            waited += long_after
            on_long_cell(cell, waited)
    finally:
        if not task.done():
            task.cancel()
            with contextlib.suppress(BaseException):
                await task
