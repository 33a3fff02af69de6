"""Build briefings: orchestration of one `nrmc build`.

    summary = build(["anhui", "national"], out_dir="reports")            # zh and en
    summary = build(["anhui"], out_dir="reports", langs=("en",), formats=("html",))

Each concern lives in a module of its own:
- `nrmc.parameters`: which notebook builds a scope, its papermill parameters (as_of normalised);
- `nrmc.layout`: where each output of a scope and language lives;
- `nrmc.state`: the data snapshot and digests, state files, replacing a briefing's files whole,
  the build lock;
- `nrmc.kernels`: the pool of warm Jupyter kernels and running a notebook on one;
- `nrmc.export`: HTML (nbconvert) and PDF (one shared Chromium);
- `nrmc.index` (entries) and `nrmc.frontpage` (the page): each language's index.html;
- `nrmc.limits`: how many notebooks and browser pages this machine can run at once;
- `nrmc.checks`: what must hold before anything starts (folders, data, browser).
This module checks the arguments, snapshots the data, skips the up-to-date briefings (the no-op
path starts no kernel or browser and imports none of papermill, nbclient, nbconvert or
playwright), runs the rest in parallel on one kernel pool and one browser for both languages,
isolates every failure to its briefing, and writes the front pages.
"""
from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Callable, Iterable, Sequence

from nrmc import __version__
from nrmc.checks import BuildError, _inside, check_paths, preflight, prepare_out
from nrmc.layout import FORMATS, LANGS, STATE_DIR, Layout
from nrmc.parameters import NOTEBOOKS, ParameterError, normalize_as_of, notebook_for, parameters_for
from nrmc.digests import BuildDigests
from nrmc.state import (DataSnapshot, build_lock, commit_briefing, is_up_to_date, prune_snapshots, record_failure,
                        recover, scope_dict, snapshot_data, write_atomic)

# A cell of these notebooks takes seconds; a minute is a cell in trouble, five minutes a hang.
DEFAULT_TIMEOUT = 300.0


def long_cell_after(timeout: float) -> float:
    """Seconds after which a running cell is reported (then again each time as long passes)."""
    return min(60.0, max(1.0, timeout / 4))


@dataclass
class ScopeResult:
    """What happened to one briefing (a scope in one language)."""

    slug: str
    name: str
    status: str  # "built" | "skipped" | "failed"
    seconds: float = 0.0
    cell: int | None = None  # 1-based index of the failing cell in the executed notebook
    error: str | None = None  # "RuntimeError: …" for a failure
    outputs: list[Path] = field(default_factory=list)
    lang: str = "zh"

    def describe(self) -> str:
        who = f"{self.slug} ({self.name}, {self.lang})"
        if self.status == "failed":
            where = f"cell {self.cell}: " if self.cell else ""
            return f"{who} FAILED {where}{self.error}"
        if self.status == "skipped":
            return f"{who} unchanged, skipped"
        return f"{who} built in {self.seconds:.1f}s"


@dataclass
class BuildSummary:
    results: list[ScopeResult]
    seconds: float
    out_dir: Path
    interrupted: str = ""  # the signal that stopped the build (SIGINT, SIGTERM), if one did
    total: int | None = None  # briefings asked for

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
        if self.interrupted:
            left = f"; {self.total - len(self.results)} not built" if self.total is not None else ""
            lines[0] += f" (interrupted by {self.interrupted}{left})"
        for r in self.failed:
            lines.append("  " + r.describe())
        return "\n".join(lines)


class BuildInterrupted(KeyboardInterrupt):
    """A build stopped by Ctrl-C (SIGINT) or SIGTERM at any moment: `summary` is what was finished
    (briefings built before the signal are kept), `signum` the signal (exit status 128 + signum)."""

    def __init__(self, summary: BuildSummary, signum: int):
        super().__init__(summary.interrupted)
        self.summary, self.signum = summary, signum


# The last SIGINT or SIGTERM this process received (the command line's handler and the build's
# event loop record it), so that an interruption reports the signal it was.
_signal = {"num": None}


def note_signal(signum: int) -> None:
    _signal["num"] = signum


def _signal_name(signum: int | None) -> str:
    return {int(signal.SIGTERM): "SIGTERM"}.get(signum or 0, "SIGINT")


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


def parse_langs(langs: str | Sequence[str] | None) -> tuple[str, ...]:
    """'zh', 'en', 'zh,en' or a sequence of them → a tuple in the order given; None → both."""
    if langs is None:
        return LANGS
    items = langs.split(",") if isinstance(langs, str) else list(langs)
    out = tuple(dict.fromkeys(str(x).strip().lower() for x in items if str(x).strip()))
    bad = [x for x in out if x not in LANGS]
    if bad or not out:
        raise BuildError(f"unknown language {', '.join(bad) or '(none)'}: choose from {', '.join(LANGS)} "
                         f"(or zh,en for both)")
    return out


@dataclass
class _Job:
    scope: Any
    lang: str
    layout: Layout
    notebook: Path
    params: dict
    digest: str


def _downloads(snap, scope, lang: str, as_of) -> dict[str, bytes]:
    """The briefing's figures as a download, from the data the build read (the annex links them)."""
    from nrmc.data import load
    from nrmc.downloads import download_bytes

    return download_bytes(load(snap.dir), scope.slug, lang, as_of)


def _build_meta(job: _Job, snap: DataSnapshot) -> dict:
    return {
        "scope": scope_dict(job.scope),
        "lang": job.lang,
        "built": datetime.now().strftime("%Y-%m-%d"),
        "version": __version__,
        "notebook": job.notebook.name,
        "data": {"dir": str(snap.source), "digest": snap.digest},
    }


def default_notebooks_dir(data: Path | None = None) -> Path:
    from nrmc.resources import notebooks_dir

    return notebooks_dir(data)


def default_data_dir() -> Path:
    from nrmc.regions import default_data_dir as _default

    return _default()


# ---------------------------------------------------------------------------------------------
# The build
# ---------------------------------------------------------------------------------------------

def build(
    scopes: Iterable[Any] | None = None,
    out_dir: str | os.PathLike = "reports",
    *,
    formats: Sequence[str] = FORMATS,
    langs: str | Sequence[str] | None = None,
    lang: str | None = None,
    jobs: int | None = None,
    force: bool = False,
    data_dir: str | os.PathLike | None = None,
    notebooks_dir: str | os.PathLike | None = None,
    as_of: Any = None,
    index_scopes: Sequence[Any] | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    on_result: Callable[[ScopeResult, int, int], None] | None = None,
    on_message: Callable[[str], None] | None = None,
) -> BuildSummary:
    """Build the briefings of `scopes` (names in any form, Scope objects, or None for all 32) in
    each language of `langs` (default both; `lang` is a synonym for one).

    Writes `<out>/<slug>.html|.pdf`, `<out>/notebooks/<slug>.ipynb`, `<out>/index.html` for zh and
    the same under `<out>/en/` for en. `on_result(result, done, total)` is called as each briefing
    finishes (skipped ones included); `on_message(text)` for notices (waiting for another build's
    lock, a capped --jobs, a cell that runs long).
    Raises BuildError for problems that stop everything (bad arguments, missing notebook, an output
    folder that cannot be written, invalid data, no kernel, no browser),
    nrmc.regions.UnknownProvinceError for an unknown scope name, and BuildInterrupted (a
    KeyboardInterrupt carrying the summary of what was finished and the signal) when interrupted
    at any moment (finished briefings are kept; nothing half-written is left).
    """
    t0 = time.monotonic()
    reported: list[ScopeResult] = []
    asked: dict[str, int] = {}

    def record(r: ScopeResult, done: int, total: int) -> None:
        reported.append(r)
        asked["total"] = total
        if on_result:
            on_result(r, done, total)

    _signal["num"] = None
    try:
        return _build(scopes, out_dir, formats=formats, langs=langs, lang=lang, jobs=jobs, force=force,
                      data_dir=data_dir, notebooks_dir=notebooks_dir, as_of=as_of, index_scopes=index_scopes,
                      timeout=timeout, on_result=record, on_message=on_message, t0=t0, asked=asked)
    except BuildInterrupted:
        raise
    except KeyboardInterrupt:
        signum = _signal["num"] or int(signal.SIGINT)
        raise BuildInterrupted(BuildSummary(list(reported), time.monotonic() - t0, Path(out_dir).expanduser().absolute(),
                                            interrupted=_signal_name(signum), total=asked.get("total")),
                               signum) from None


def _build(scopes, out_dir, *, formats, langs, lang, jobs, force, data_dir, notebooks_dir, as_of, index_scopes,
           timeout, on_result, on_message, t0, asked) -> BuildSummary:
    say = on_message or (lambda text: None)
    formats = tuple(dict.fromkeys(f.strip().lower() for f in formats if f.strip()))
    bad = [f for f in formats if f not in FORMATS]
    if bad or not formats:
        raise BuildError(f"unknown format {', '.join(bad) or '(none)'}: choose from {', '.join(FORMATS)}")
    langs = parse_langs(lang if lang is not None and langs is None else langs)
    try:
        as_of = normalize_as_of(as_of)
    except ParameterError as err:
        raise BuildError(str(err)) from err
    data = Path(data_dir).expanduser().resolve() if data_dir else default_data_dir()
    if not data.is_dir():
        raise BuildError(f"data directory not found: {data}" if not data.exists()
                         else f"the data directory {data} is a file, not a folder")
    try:
        nbdir = Path(notebooks_dir).expanduser().resolve() if notebooks_dir else default_notebooks_dir(data)
    except FileNotFoundError as err:  # a copy of src/ without its checkout or bundle: say so, no traceback
        raise BuildError(str(err)) from err
    if not str(out_dir).strip():
        raise BuildError("--out is empty: name a folder for the briefings (e.g. --out reports)")
    out = Path(out_dir).expanduser().resolve()
    selected = resolve_scopes(list(scopes) if scopes is not None else None, data)
    for scope in selected:
        nbpath = notebook_for(scope, nbdir)
        if not nbpath.exists():
            raise BuildError(f"notebook not found: {nbpath}")
    check_paths(data, out, [nbdir / n for n in NOTEBOOKS.values()])
    if index_scopes is None:
        try:
            index_scopes = resolve_scopes(None, data)
        except Exception:  # noqa: BLE001 - the index then lists what was built
            index_scopes = []
    listed = {s.slug for s in index_scopes}
    index_scopes = list(index_scopes) + [s for s in selected if s.slug not in listed]
    prepare_out(out)

    with build_lock(out, say):
        recover(out)
        skip = [nbdir] if _inside(nbdir, data) else []
        try:
            snap = snapshot_data(data, out, skip)
        except OSError as err:
            raise BuildError(f"cannot read the data directory {data}: {err.strerror or err}"
                             + (f" ({err.filename})" if err.filename else "")) from err
        digests = BuildDigests(out / STATE_DIR, snap, as_of)
        codes = [_code(s) for s in [*selected, *index_scopes]]
        total = len(selected) * len(langs)
        asked["total"] = total

        def plan() -> tuple[list[_Job], list[ScopeResult]]:
            """The briefings to build (national first: the longest) and the ones skipped as current;
            raises BuildError when the data cannot be built from (preflight)."""
            digests.prepare(codes)
            todo: list[_Job] = []
            skipped: list[ScopeResult] = []
            for scope in sorted(selected, key=lambda s: s.kind != "national"):
                nbpath = notebook_for(scope, nbdir)
                for lg in langs:
                    layout = Layout(out, lg)
                    params = parameters_for(scope, lang=lg, data_dir=snap.dir, as_of=as_of)
                    digest = digests.briefing(scope, nbpath, params)
                    if not force and is_up_to_date(layout, scope.slug, digest, formats):
                        skipped.append(ScopeResult(scope.slug, _scope_name(scope, lg), "skipped", lang=lg))
                    else:
                        todo.append(_Job(scope, lg, layout, nbpath, params, digest))
            if todo:
                check(formats)
            return todo, skipped

        def check(formats_: Sequence[str]) -> None:
            """preflight: raises BuildError (nothing written, no copy of this data kept) when the
            data cannot be built from, or (for PDFs) there is no browser or Chinese font."""
            try:
                preflight(snap.dir, formats_, shown_as=data, as_of=as_of)
            except BuildError as err:
                _check_out(out, snap, err)
                with contextlib.suppress(OSError):
                    prune_snapshots(out, keep=())  # this data was never used: keep no copy of it
                raise

        results: list[ScopeResult] = []

        def report_skipped(skipped: list[ScopeResult]) -> None:
            for r in skipped:
                results.append(r)
                if on_result:
                    on_result(r, len(results), total)

        def parallelism(n_max: int) -> dict:
            from nrmc.limits import plan_parallelism

            n_jobs, pages, note = plan_parallelism(jobs, n_max, pdf="pdf" in formats)
            if note:
                say(note)
            return {"jobs": n_jobs, "pages": pages}

        def warm() -> None:
            """While the notebooks run: draw the front pages' map with the links it will have when
            every briefing is built (the final front page then finds it in the chart cache)."""
            if "html" not in formats:
                return
            from nrmc.frontpage import render_frontpage

            for lg in langs:
                lay = Layout(out, lg)
                guess = [{"kind": s.kind, "code": getattr(s, "code", "") or "", "status": "ok",
                          "links": {"html": lay.href(lay.output(s.slug, "html"))}} for s in index_scopes]
                with contextlib.suppress(Exception):
                    render_frontpage(lg, guess, data_dir=snap.dir)

        ran = False
        keep_cache = False  # a build that fails before building (no browser, say) leaves no new file
        try:
            if force or digests.missing(codes):
                # The data is validated first, so that a build of invalid data fails before any
                # kernel or browser starts (the same message as plan's preflight, which then finds
                # the loaded data in load's cache). Computing the digests takes seconds more: the
                # kernels and the browser start meanwhile (and are closed again if nothing turns
                # out to need building).
                check(())
                ran = True
                results += _run_jobs(plan, out, snap, formats=formats, **parallelism(total), cwd=nbdir,
                                     timeout=timeout, on_result=on_result, on_message=say, total=total,
                                     report_skipped=report_skipped, done=len(results), warm=warm)
            else:
                todo, skipped = plan()
                report_skipped(skipped)
                if todo:
                    ran = True
                    results += _run_jobs(lambda: (todo, []), out, snap, formats=formats, **parallelism(len(todo)),
                                         cwd=nbdir, timeout=timeout, on_result=on_result, on_message=say, total=total,
                                         report_skipped=report_skipped, done=len(results), warm=warm)
            _check_out(out, snap)
            _write_indexes(out, index_scopes, langs, digests, nbdir, as_of, snap.dir, say)
            keep_cache = True
        except KeyboardInterrupt:
            keep_cache = ran
            if ran:  # what was finished before the interruption is on the front page
                with contextlib.suppress(Exception):
                    _write_indexes(out, index_scopes, langs, digests, nbdir, as_of, snap.dir, say)
            raise
        finally:
            if (keep_cache or any(r.status == "built" for r in results)) and _out_gone(out, snap) is None:
                digests.save()
        with contextlib.suppress(OSError):
            prune_snapshots(out, keep=[snap.dir.name])
    order = {(s.slug, lg): i for i, (s, lg) in enumerate((s, lg) for s in selected for lg in langs)}
    results.sort(key=lambda r: order.get((r.slug, r.lang), 0))
    return BuildSummary(results, time.monotonic() - t0, out)


def _out_gone(out: Path, snap: DataSnapshot) -> str | None:
    """What to say when the output folder (and with it the snapshot of the data the notebooks read)
    was deleted or moved while the build ran: every later error would otherwise blame the data."""
    if out.is_dir() and snap.dir.is_dir():
        return None
    what = f"--out {out}" if not out.is_dir() else f"the build's copy of the data in {snap.dir.parent.parent}"
    return (f"{what} was deleted or moved while the build was running, so nothing more could be built or "
            f"written (it held the copy of the data the notebooks read). Run the build again.")


def _check_out(out: Path, snap: DataSnapshot, cause: BaseException | None = None) -> None:
    gone = _out_gone(out, snap)
    if gone:
        raise BuildError(gone) from cause


def _code(scope) -> str | None:
    return None if scope.kind == "national" else (getattr(scope, "code", None) or scope.slug)


def _write_indexes(out: Path, scopes: Sequence, langs: Sequence[str], digests: BuildDigests, nbdir: Path,
                   as_of: str | None, data: Path, say: Callable[[str], None]) -> None:
    """Front pages of the languages built, and of the other language when it already has one (its
    links to this language may have changed). `data` is the build's snapshot of the data."""
    from nrmc.index import write_index

    wanted = [lg for lg in LANGS if lg in langs or Layout(out, lg).index.exists()]
    if not wanted:
        return
    current = {lg: {s.slug: digests.briefing(s, notebook_for(s, nbdir), parameters_for(s, lang=lg, as_of=as_of))
                    for s in scopes} for lg in LANGS}
    for lg in wanted:
        try:
            write_index(out, lg, scopes, current, data_dir=data, langs_built=langs,
                        inputs_key=digests.frontpage)
        except OSError as err:
            say(f"could not write {Layout(out, lg).index}: {err.strerror or err}")


def _run_jobs(plan: Callable[[], tuple[list[_Job], list[ScopeResult]]], out: Path, snap: DataSnapshot,
              **kw) -> list[ScopeResult]:
    """Start the kernels and the browser, run `plan()` in a thread meanwhile, then build its jobs."""
    stop: dict = {}
    results = asyncio.run(_run_jobs_async(plan, out, snap, stop=stop, **kw))
    if results is None or stop.get("signal"):  # interrupted, maybe while the kernels were closing
        raise KeyboardInterrupt
    return results


class _ScopeFailed(Exception):
    def __init__(self, cell: int | None, error: str):
        super().__init__(error)
        self.cell, self.error = cell, error


def _data_hint(error: str, traceback_text: str, snap: DataSnapshot) -> str:
    """When an error names a file of the data (or its snapshot), say which, in the user's folder."""
    text = f"{error}\n{traceback_text}"
    names = sorted({p.name for p in snap.dir.rglob("*") if p.is_file()}, key=len, reverse=True)
    for name in names:
        if name in text:
            return f"{error} (data: {snap.source / name})"
    return error.replace(str(snap.dir), str(snap.source))


async def _run_jobs_async(plan, out: Path, snap: DataSnapshot, *, formats, jobs, pages, cwd, timeout,
                          on_result, on_message, total, report_skipped, done,
                          warm=None, stop: dict | None = None) -> list[ScopeResult] | None:
    from concurrent.futures import ThreadPoolExecutor

    import nbformat

    from nrmc.export import BriefingHTMLExporter, PdfPrinter
    from nrmc.kernels import KernelPool, KernelUnavailable, execute_notebook, for_rerun, prepare_notebook

    counter = {"done": done}
    trace: list[tuple] = []  # (slug, phase, start, end) relative to t0; written when $NRMC_TRACE is set
    t0 = time.monotonic()
    interrupted = asyncio.Event()

    @contextlib.asynccontextmanager
    async def phase(slug, name):
        start = time.monotonic() - t0
        try:
            yield
        finally:
            trace.append((slug, name, round(start, 3), round(time.monotonic() - t0, 3)))

    results: list[ScopeResult] = []
    pool = KernelPool(jobs, cwd=cwd, data_dir=snap.dir)
    if "pdf" in formats:
        from nrmc import fonts

        # the print font covers every character of the data the briefings are built from
        printer = PdfPrinter(pages=pages, font_text=fonts.project_text(snap.dir))
    else:
        printer = None
    exporter = BriefingHTMLExporter()
    cpu = ThreadPoolExecutor(max_workers=1, thread_name_prefix="nrmc-export")
    loop = asyncio.get_running_loop()

    def finish(r: ScopeResult):
        if interrupted.is_set():
            return
        results.append(r)
        counter["done"] += 1
        if on_result:
            on_result(r, counter["done"], total)

    async def one(job: _Job):
        t = time.monotonic()
        scope, lang = job.scope, job.lang
        name = _scope_name(scope, lang)
        tag = f"{scope.slug}/{lang}"
        nb = None
        try:
            async with phase(tag, "prepare"):
                nb = await loop.run_in_executor(cpu, prepare_notebook, job.notebook, job.params,
                                                _build_meta(job, snap))
            acquired = {}

            def on_acquire():
                acquired["t"] = time.monotonic()  # time spent building excludes the wait for a kernel
                trace.append((tag, "kernel-acquired", round(acquired["t"] - t0, 3), None))

            def on_long_cell(cell: int, seconds: float):
                if not interrupted.is_set():
                    on_message(f"{scope.slug} ({name}, {lang}): cell {cell} has been running for "
                               f"{seconds:.0f}s (stops at --timeout {timeout:.0f}s)")

            async with phase(tag, "execute"):
                res = await execute_notebook(pool, nb, cwd, timeout, on_acquire=on_acquire,
                                             on_long_cell=on_long_cell, long_after=long_cell_after(timeout))
            nb = res.nb
            t = acquired.get("t", t)
            if res.error:
                raise _ScopeFailed(res.cell, _data_hint(res.error, res.traceback, snap))
            async with phase(tag, "html"):
                page, resources = await loop.run_in_executor(cpu, exporter.from_notebook_node, nb)
            header = resources.get("nrmc", {})
            files: dict[str, bytes] = {}
            if "pdf" in formats:
                try:
                    async with phase(tag, "pdf"):
                        files["pdf"] = await printer.pdf(page, footer_title=header.get("title", ""), lang=lang)
                except Exception as err:  # noqa: BLE001
                    raise _ScopeFailed(None, f"PDF: {type(err).__name__}: {err}") from err
            if "html" in formats:
                files["html"] = page.encode("utf-8")
                async with phase(tag, "downloads"):
                    files.update(await loop.run_in_executor(cpu, _downloads, snap, scope, lang, job.params.get("as_of")))
            kept = for_rerun(nb, job.params, snap.source, snap.digest, {"nrmc_version": __version__})
            files["ipynb"] = nbformat.writes(kept).encode("utf-8")
            meta = resources.get("nrmc_meta") or {}
            report = {"as_of": header.get("as_of"), "title": header.get("title"),
                      "built_at": datetime.now().isoformat(timespec="seconds"), "meta": meta}
            seconds = time.monotonic() - t
            _check_out(out, snap)  # never recreate a deleted --out with one briefing in it
            async with phase(tag, "commit"):
                written = await loop.run_in_executor(cpu, commit_briefing, job, snap, files, report, formats, seconds)
            finish(ScopeResult(scope.slug, name, "built", seconds, outputs=written, lang=lang))
        except asyncio.CancelledError:
            raise
        except Exception as err:  # noqa: BLE001 - isolate every failure to its briefing
            if interrupted.is_set():
                return
            gone = _out_gone(out, snap)
            if gone:
                cell, error = None, gone
            elif isinstance(err, _ScopeFailed):
                cell, error = err.cell, err.error
            elif isinstance(err, OSError) and err.filename:
                cell, error = None, f"could not write {err.filename}: {err.strerror or err}"
            else:
                cell, error = None, f"{type(err).__name__}: {err}"
            nb_bytes = None
            if nb is not None:
                with contextlib.suppress(Exception):
                    nb_bytes = nbformat.writes(nb).encode("utf-8")
            if not gone:  # no state to write into a folder that is gone
                with contextlib.suppress(Exception):
                    await loop.run_in_executor(cpu, record_failure, job, snap, nb_bytes, formats, error, cell)
            finish(ScopeResult(scope.slug, name, "failed", time.monotonic() - t, cell=cell, error=error, lang=lang))

    def warm_exporter():  # compile the templates while the kernels start
        exporter.from_notebook_node(nbformat.v4.new_notebook())

    main = asyncio.current_task()
    stop = {} if stop is None else stop
    closing = {"now": False}

    def on_signal(sig: int):
        # Ctrl-C or SIGTERM: stop at once, report nothing as failed, write nothing more. Once the
        # kernels and the browser are being closed, let that finish (cancelling it would end in a
        # CancelledError and leave processes behind): the caller sees the signal and stops.
        note_signal(int(sig))
        stop["signal"] = int(sig)
        interrupted.set()
        if not closing["now"]:
            main.cancel()

    def quiet_when_interrupted(lp, context):
        # Ctrl-C reaches the whole process group: the browser's driver dies with it, and its
        # pending futures report "Connection closed" (even once the loop is closed). Expected then.
        if not interrupted.is_set():
            lp.default_exception_handler(context)

    loop.set_exception_handler(quiet_when_interrupted)
    signals = []
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(ValueError, RuntimeError, NotImplementedError):  # not the main thread
            previous = signal.getsignal(sig)
            loop.add_signal_handler(sig, on_signal, sig)
            signals.append((sig, previous))
    starting: asyncio.Future | None = None

    async def settle_starts():
        # Cancelling a browser half-way through its start leaves Playwright's futures with
        # exceptions nobody reads (printed as tracebacks): let the starts finish, then close.
        if starting is not None:
            with contextlib.suppress(BaseException):
                await asyncio.wait_for(asyncio.shield(starting), 60)

    try:
        loop.run_in_executor(cpu, warm_exporter)
        starts = [pool.start()]
        if printer is not None:
            starts.append(printer.start())
        starting = asyncio.ensure_future(asyncio.gather(*starts, return_exceptions=True))
        todo, skipped = await loop.run_in_executor(None, plan)
        counter["done"] += len(skipped)
        report_skipped(skipped)
        if not todo:
            return results
        if warm is not None:
            loop.run_in_executor(None, warm)
        for res in await asyncio.shield(starting):
            if isinstance(res, BaseException):
                raise BuildError(str(res)) from res
        await asyncio.gather(*(one(job) for job in todo))
    except asyncio.CancelledError:
        if interrupted.is_set():
            await settle_starts()
            return None  # _run_jobs raises KeyboardInterrupt once the kernels and the browser are closed
        raise
    except KernelUnavailable as err:
        raise BuildError(str(err)) from err
    finally:
        closing["now"] = True
        await settle_starts()
        if os.environ.get("NRMC_TRACE"):
            with contextlib.suppress(OSError):
                write_atomic(out / STATE_DIR / "trace.json", json.dumps(trace))
        await pool.close()
        if printer is not None:
            await printer.close()
        cpu.shutdown(wait=True)
        # Hand the signals back to the caller's handlers; a signal in between (when asyncio has set
        # the default, which would kill the process without a summary) waits, blocked, until then.
        blocked = {sig for sig, _ in signals}
        with contextlib.suppress(Exception):
            signal.pthread_sigmask(signal.SIG_BLOCK, blocked)
        try:
            for sig, previous in signals:
                with contextlib.suppress(Exception):
                    loop.remove_signal_handler(sig)
                    signal.signal(sig, previous)
        finally:
            with contextlib.suppress(Exception):
                signal.pthread_sigmask(signal.SIG_UNBLOCK, blocked)
    return results
