"""Build briefings: orchestration of one `nrmc build`.

    summary = build(["anhui", "national"], out_dir="reports")

Each concern lives in a module of its own:
- `nrmc.parameters`: which notebook builds a scope, and its papermill parameters;
- `nrmc.state`: digests of the inputs, state files, atomic writes, the build lock;
- `nrmc.kernels`: the pool of warm Jupyter kernels and running a notebook on one;
- `nrmc.export`: HTML (nbconvert) and PDF (one shared Chromium);
- `nrmc.index`: the front page (index.html).
This module resolves the scopes, skips the up-to-date ones (the no-op path starts no kernel or
browser and imports none of papermill, nbclient, nbconvert or playwright), runs the rest in
parallel, isolates every failure to its scope and writes the summary.
"""
from __future__ import annotations

import asyncio
import contextlib
import json
import os
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Callable, Iterable, Sequence

from nrmc import __version__
from nrmc.index import write_index
from nrmc.parameters import notebook_for, parameters_for
from nrmc.state import (NOTEBOOK_SUBDIR, STATE_DIR, build_lock, inputs_digest, is_up_to_date, output_paths,
                        read_state, remove_stale_temp_files, scope_digest, state_path, write_atomic)

PACKAGE_DIR = Path(__file__).resolve().parent
REPO_DIR = PACKAGE_DIR.parents[1]
DEFAULT_NOTEBOOKS_DIR = REPO_DIR / "notebooks"
FORMATS = ("html", "pdf")
LANGS = ("zh", "en")


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


@dataclass
class _Job:
    scope: Any
    notebook: Path
    params: dict
    digest: str


def _build_meta(job: _Job, lang: str) -> dict:
    return {
        "scope": _scope_dict(job.scope),
        "lang": lang,
        "built": datetime.now().strftime("%Y-%m-%d"),
        "version": __version__,
        "notebook": job.notebook.name,
    }


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
        remove_stale_temp_files(out)
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
    from nrmc.kernels import KernelPool, execute_notebook, prepare_notebook

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
                nb = await loop.run_in_executor(cpu, prepare_notebook, job.notebook, job.params,
                                                _build_meta(job, lang))
            acquired = {}

            def on_acquire():
                acquired["t"] = time.monotonic()  # time spent building excludes the wait for a kernel
                trace.append((scope.slug, "kernel-acquired", round(acquired["t"] - t0, 3), None))

            async with phase(scope.slug, "execute"):
                nb, cell, error = await execute_notebook(pool, nb, cwd, timeout, on_acquire=on_acquire)
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
            write_atomic(state_path(out, scope.slug), json.dumps({
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
                write_atomic(state_path(out, scope.slug), json.dumps({
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
