"""`nrmc preview`: edit the data, see the briefing.

    nrmc preview anhui                 # serves http://127.0.0.1:8765/ and opens nothing itself
    nrmc preview anhui hubei --lang zh --data mydata --port 9000

It serves the output folder (the front page and the briefings) on localhost, watches the data
folder, the notebooks and the nrmc package, and keeps one Jupyter kernel per core and one Chromium
warm. On a change it snapshots the data, rebuilds the briefings whose digest changed (the rule of
`nrmc.digests`, the same as `nrmc build`), open pages first, and reloads the pages open in a
browser (server-sent events). The briefing a page shows is started on a kernel as soon as the
change is seen, while the data is validated and the digests computed beside it; its result is kept
only if its digest did change.

- **HTML first, PDF in the background.** A rebuilt briefing's HTML (and executed notebook) is
  committed and its page reloaded at once; its PDF is printed afterwards on the warm browser and
  committed when it is still current (an output of older inputs is never left looking current).
- **Bad data** keeps the last good briefings on disk and shows the validation problems (file, line,
  column, reason) at the top of every page served; a failing notebook shows its cell and error on
  its page. Fixing the data rebuilds and reloads.
- **Only pages served by the preview** carry the reload script and these notices: nothing is
  injected into a file on disk.
- **A change to the package** (code or templates) restarts the preview (its kernels import the
  package once); open pages reconnect and reload.
- **Ctrl-C or SIGTERM** stops it: the server, the kernels and the browser are closed, and it exits
  with status 0.
The output folder is locked (as `nrmc build` locks it) while the preview writes to it, so a build
into the same folder waits for the preview to be idle.
"""
from __future__ import annotations

import asyncio
import contextlib
import fcntl
import html as _html
import json
import os
import re
import secrets
import signal
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Callable, Sequence

from nrmc.build import _build_meta, _code, _data_hint, _Job, _scope_name, _write_indexes, resolve_scopes
from nrmc.checks import BuildError, _inside, check_paths, prepare_out
from nrmc.digests import PACKAGE_DIR, BuildDigests
from nrmc.layout import LANGS, STATE_DIR, Layout
from nrmc.parameters import NOTEBOOKS, notebook_for, parameters_for
from nrmc.state import (LOCK_NAME, DataSnapshot, open_lock, commit_briefing, is_up_to_date, prune_snapshots, read_state,
                        record_failure, recover, snapshot_data)

DEFAULT_PORT = 8765
EVENTS_PATH = "/_nrmc/events"
TIMEOUT = 300.0

# Injected into pages served by the preview only (never into files on disk): reload when the
# server says this page changed, or when the server itself was restarted.
RELOAD_SCRIPT = """<script data-nrmc-preview>
(function () {
  var server = %s, page = location.pathname;
  if (page.slice(-1) === "/") page += "index.html";
  var es = new EventSource(%s + "?page=" + encodeURIComponent(page));
  es.addEventListener("hello", function (e) { if (e.data !== server) location.reload(); });
  es.addEventListener("reload", function (e) {
    var d = JSON.parse(e.data);
    if (d.all || d.pages.indexOf(page) >= 0) location.reload();
  });
})();
</script>"""
NOTICE_STYLE = ("position:sticky;top:0;z-index:2147483647;margin:0;padding:.6rem 1rem;background:#fff4f2;"
                "border:2px solid #b3261e;color:#1d2430;font:14px/1.45 'Noto Sans CJK SC',sans-serif;"
                "max-height:45vh;overflow:auto")
_BODY = re.compile(r"<body\b[^>]*>", re.I)
_BODY_END = re.compile(r"</body\s*>", re.I)


def _warm_checks() -> None:
    """In a thread at the start: set up the schema checker (nrmc.data.warm_checks), so that the
    first edit's check does not wait for it."""
    with contextlib.suppress(Exception):
        from nrmc.data import warm_checks

        warm_checks()


def notice_html(title: str, items: Sequence[str], note: str = "") -> str:
    """A box at the top of a served page: what is wrong, escaped."""
    lis = "".join(f"<li>{_html.escape(i)}</li>" for i in items[:100])
    more = f"<li>… and {len(items) - 100} more</li>" if len(items) > 100 else ""
    tail = f"<p style='margin:.3rem 0 0'>{_html.escape(note)}</p>" if note else ""
    return (f'<div id="nrmc-preview-notice" role="alert" style="{NOTICE_STYLE}"><strong>{_html.escape(title)}</strong>'
            f"<ul style='margin:.3rem 0 0;padding-left:1.3rem'>{lis}{more}</ul>{tail}</div>")


def inject(page: str, server_id: str, notice: str = "") -> str:
    """`page` as the preview serves it: a notice at the top of <body> and the reload script at its end.
    The briefing's policy allows no script; the served copy allows this one script (by a nonce
    drawn for each response) and its connection back to the preview, nothing else."""
    nonce = secrets.token_urlsafe(16)
    script = RELOAD_SCRIPT.replace("<script data-nrmc-preview>", f'<script data-nrmc-preview nonce="{nonce}">', 1) % (
        json.dumps(server_id), json.dumps(EVENTS_PATH))
    page = _allow_reload_script(page, nonce)
    m = _BODY.search(page)
    if notice:
        page = page[:m.end()] + notice + page[m.end():] if m else notice + page
    ends = list(_BODY_END.finditer(page))
    if ends:
        at = ends[-1].start()
        return page[:at] + script + page[at:]
    return page + script


_CSP_META = re.compile(r'<meta http-equiv="Content-Security-Policy" content="([^"]*)">', re.I)


def _allow_reload_script(page: str, nonce: str) -> str:
    """The page's own policy (the first CSP meta, in its <head>, before any data) with the reload
    script's nonce added to script-src ('none' replaced; a hash of the front page's own script
    kept) and a connection back to the preview. A page without a policy is left as it is."""
    m = _CSP_META.search(page)
    if m is None:
        return page
    directives = [d.strip() for d in m.group(1).split(";") if d.strip()]
    out, seen = [], False
    for d in directives:
        name, *values = d.split()
        if name == "connect-src":
            continue
        if name == "script-src":
            values = [v for v in values if v != "'none'"] + [f"'nonce-{nonce}'"]
            seen = True
        out.append(" ".join([name, *values]))
        if name == "script-src":
            out.append("connect-src 'self'")
    if not seen:
        out += [f"script-src 'nonce-{nonce}'", "connect-src 'self'"]
    return page[:m.start(1)] + "; ".join(out) + page[m.end(1):]


def placeholder(title: str, text: str) -> str:
    return (f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{_html.escape(title)}</title></head>'
            f'<body style="font:16px/1.5 sans-serif;max-width:40rem;margin:3rem auto"><h1>{_html.escape(title)}</h1>'
            f"<p>{_html.escape(text)}</p></body></html>")


# ---------------------------------------------------------------------------------------------
# What is previewed
# ---------------------------------------------------------------------------------------------

@dataclass
class Target:
    """One briefing (a scope in one language) that the preview keeps built."""

    scope: Any
    lang: str
    layout: Layout
    notebook: Path

    @property
    def key(self) -> tuple[str, str]:
        return (self.scope.slug, self.lang)

    @property
    def url(self) -> str:
        return "/" + self.layout.output(self.scope.slug, "html").relative_to(self.layout.root).as_posix()


@dataclass
class Run:
    """A briefing to build in one generation (one state of the inputs)."""

    target: Target
    generation: int
    snap: DataSnapshot
    params: dict
    digest: "asyncio.Future[str | None]"  # None: do not keep the result (unchanged, or invalid data)
    started: bool = False
    dropped: bool = False
    seen: float = field(default_factory=time.monotonic)  # when the change was seen


@dataclass(eq=False)
class _Client:
    page: str
    queue: "asyncio.Queue[tuple[str, str]]" = field(default_factory=asyncio.Queue)


class _FolderLock:
    """The output folder's build lock (nrmc.state's), held while the preview writes to it."""

    def __init__(self, out: Path):
        self.path = out / STATE_DIR / LOCK_NAME
        self.fd: int | None = None

    async def acquire(self, say: Callable[[str], None]) -> None:
        if self.fd is not None:
            return
        fd = open_lock(self.path)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            say(f"another build is writing to {self.path.parent.parent}; waiting for it to finish…")
            try:
                await asyncio.to_thread(fcntl.flock, fd, fcntl.LOCK_EX)
            except BaseException:
                os.close(fd)
                raise
        self.fd = fd

    def release(self) -> None:
        if self.fd is not None:
            with contextlib.suppress(OSError):
                fcntl.flock(self.fd, fcntl.LOCK_UN)
            os.close(self.fd)
            self.fd = None


class Preview:
    """The preview server; `await Preview(...).run()` returns "stop" or "restart"."""

    def __init__(self, scopes: Sequence[Any] | None, out: Path, data: Path, notebooks: Path | None = None, *,
                 langs: Sequence[str] = LANGS, host: str = "127.0.0.1", port: int = DEFAULT_PORT,
                 pdf: bool = True, jobs: int | None = None, timeout: float = TIMEOUT,
                 say: Callable[[str], None] = print):
        from nrmc.build import default_notebooks_dir

        self.data = Path(data).expanduser().resolve()
        self.nbdir = Path(notebooks).expanduser().resolve() if notebooks else default_notebooks_dir(self.data)
        self.out = Path(out).expanduser().resolve()
        if not self.data.is_dir():
            raise BuildError(f"the data folder {self.data} {'is a file' if self.data.exists() else 'does not exist'}")
        check_paths(self.data, self.out, [self.nbdir / n for n in NOTEBOOKS.values()])
        self.langs = tuple(langs)
        self.selected = resolve_scopes(list(scopes) if scopes else None, self.data)
        self.index_scopes = resolve_scopes(None, self.data)
        listed = {s.slug for s in self.index_scopes}
        self.index_scopes += [s for s in self.selected if s.slug not in listed]
        self.targets = {}
        for scope in self.selected:
            nb = notebook_for(scope, self.nbdir)
            if not nb.exists():
                raise BuildError(f"notebook not found: {nb}")
            for lang in self.langs:
                t = Target(scope, lang, Layout(self.out, lang), nb)
                self.targets[t.key] = t
        self.by_url = {t.url: t for t in self.targets.values()}
        self.host, self.port = host, port
        self.pdf, self.jobs, self.timeout = pdf, jobs, timeout
        self.say = say
        self.server_id = secrets.token_hex(6)
        self.generation = 0
        self.snap: DataSnapshot | None = None
        self.problems: list[str] = []  # validation problems of the current data (the last good briefings stay)
        self.failures: dict[tuple[str, str], str] = {}  # notebook failures, per briefing
        self.queue: list[Run] = []
        self.running: set[int] = set()
        self.running_keys: list[tuple[str, str]] = []
        self.pdf_queue: list[tuple[Run, str, str]] = []
        self.clients: set[_Client] = set()
        self.url: str | None = None
        self.bound_port: int | None = None
        self._wake = asyncio.Event()
        self._pdf_wake = asyncio.Event()
        self._refresh_lock = asyncio.Lock()
        self._stop = asyncio.Event()
        self._result = "stop"
        self._lock = _FolderLock(self.out)
        self._idle = asyncio.Event()
        self.pool = None
        self.printer = None
        self._printer_key: str | None = None
        self.exporter = None
        self.stats: dict[str, Any] = {"built": 0, "last": None}

    # ---- serving ---------------------------------------------------------------------------
    def _notice(self, target: Target | None) -> str:
        if self.problems:
            return notice_html("The data has problems; the briefings shown are the last good ones.", self.problems,
                               f"Fix the data in {self.data} and save: the briefings are rebuilt.")
        if target is not None and target.key in self.failures:
            return notice_html("This briefing could not be rebuilt; it is the last good one.",
                               [self.failures[target.key]])
        return ""

    async def handle(self, request):
        from aiohttp import web

        rel = request.match_info.get("path", "")
        parts = [p for p in rel.split("/") if p]
        if any(p.startswith(".") or p == ".." for p in parts):
            raise web.HTTPNotFound()
        path = (self.out / Path(*parts)) if parts else self.out
        if path.is_dir():
            if not request.path.endswith("/"):
                raise web.HTTPFound(request.path + "/")
            path = path / "index.html"
        try:
            path.resolve().relative_to(self.out)
        except ValueError:
            raise web.HTTPNotFound() from None
        url = "/" + path.relative_to(self.out).as_posix()
        target = self.by_url.get(url)
        headers = {"Cache-Control": "no-store"}
        if path.suffix == ".html":
            try:
                page = path.read_text(encoding="utf-8")
            except FileNotFoundError:
                # a placeholder that reloads only for a page a build will write (a briefing of the
                # preview, a front page); any other missing page (/notebooks/) is not found, at once
                if target is None and path not in {Layout(self.out, lg).index for lg in LANGS}:
                    raise web.HTTPNotFound() from None
                what = _scope_name(target.scope, target.lang) if target else "the front page"
                page = placeholder(f"Building {what}…", "This page reloads when it is ready.")
            except OSError as err:
                raise web.HTTPNotFound(text=str(err)) from None
            return web.Response(text=inject(page, self.server_id, self._notice(target)),
                                content_type="text/html", charset="utf-8", headers=headers)
        if not path.is_file():
            raise web.HTTPNotFound()
        return web.FileResponse(path, headers=headers)

    def host_allowed(self, host: str | None) -> bool:
        """Whether a request's Host header names this server as localhost: 127.0.0.1, localhost or
        [::1], with no port or the port it listens on. Anything else (a DNS-rebinding page's own
        name, pointed at 127.0.0.1) is refused: the preview serves only its own browser tabs."""
        if not host:
            return False
        m = re.fullmatch(r"(\[::1\]|[A-Za-z0-9.\-]+)(?::([0-9]{1,5}))?", host.strip())
        if m is None or m.group(1).lower().rstrip(".") not in ("127.0.0.1", "localhost", "[::1]"):
            return False
        return m.group(2) is None or int(m.group(2)) == self.bound_port

    def app(self):
        """The web application: the events stream and the output folder, for localhost only."""
        from aiohttp import web

        @web.middleware
        async def local_only(request, handler):
            if not self.host_allowed(request.headers.get("Host")):
                raise web.HTTPMisdirectedRequest(text="nrmc preview answers only http://127.0.0.1 or http://localhost "
                                                      "on its own port.")
            return await handler(request)

        app = web.Application(middlewares=[local_only])
        app.router.add_get(EVENTS_PATH, self.events)
        app.router.add_get("/{path:.*}", self.handle)
        return app

    async def events(self, request):
        from aiohttp import web

        resp = web.StreamResponse(headers={"Content-Type": "text/event-stream", "Cache-Control": "no-store",
                                           "Connection": "keep-alive"})
        await resp.prepare(request)
        client = _Client(request.query.get("page", "/"))
        self.clients.add(client)
        try:
            await resp.write(f"retry: 500\nevent: hello\ndata: {self.server_id}\n\n".encode())
            while not self._stop.is_set():
                try:
                    event, data = await asyncio.wait_for(client.queue.get(), timeout=15)
                except asyncio.TimeoutError:
                    await resp.write(b": keep-alive\n\n")
                    continue
                await resp.write(f"event: {event}\ndata: {data}\n\n".encode())
        except (ConnectionResetError, asyncio.CancelledError):
            pass
        finally:
            self.clients.discard(client)
        return resp

    def notify(self, pages: Sequence[str] = (), all_pages: bool = False) -> None:
        data = json.dumps({"pages": list(pages), "all": all_pages})
        for c in list(self.clients):
            c.queue.put_nowait(("reload", data))

    def open_targets(self) -> list[Target]:
        seen, out = set(), []
        for c in list(self.clients):
            t = self.by_url.get(c.page) or self.by_url.get(c.page.rstrip("/") + "/index.html")
            if t is not None and t.key not in seen:
                seen.add(t.key)
                out.append(t)
        return out

    # ---- building --------------------------------------------------------------------------
    def _new_run(self, target: Target, gen: int, snap: DataSnapshot) -> Run:
        params = parameters_for(target.scope, lang=target.lang, data_dir=snap.dir)
        return Run(target, gen, snap, params, asyncio.get_running_loop().create_future(),
                   seen=getattr(self, "_seen", None) or time.monotonic())

    async def refresh(self, reason: str = "", seen: float | None = None) -> None:
        """Take a new snapshot of the inputs and schedule the briefings whose digest changed."""
        self._seen = seen or time.monotonic()
        try:
            await self._refresh()
        finally:
            for r in self.queue:
                if not r.digest.done():
                    r.digest.set_result(None)
            self._maybe_idle()

    async def _refresh(self) -> None:
        async with self._refresh_lock:
            self.generation += 1
            gen = self.generation
            await self._lock.acquire(self.say)
            self._idle.clear()
            try:
                skip = [self.nbdir] if _inside(self.nbdir, self.data) else []
                snap = await asyncio.to_thread(snapshot_data, self.data, self.out, skip)
            except OSError as err:
                self.problems = [f"cannot read the data folder {self.data}: {err.strerror or err}"]
                self.notify(all_pages=True)
                return
            self.snap = snap
            # Superseded runs that have not started are dropped; the open pages start at once.
            for r in self.queue:
                r.dropped = True
                if not r.digest.done():
                    r.digest.set_result(None)
            self.queue = []
            speculative = {t.key: self._new_run(t, gen, snap) for t in self.open_targets()[: max(1, self._kernels())]}
            self.queue.extend(speculative.values())
            self._wake.set()
            try:
                problems, digests = await asyncio.to_thread(self._check, snap)
            except BaseException:
                for r in speculative.values():
                    if not r.digest.done():
                        r.digest.set_result(None)
                raise
            if gen != self.generation:
                return
            was = bool(self.problems)
            self.problems = problems
            if problems:
                for r in speculative.values():
                    r.digest.set_result(None)
                self.say(f"the data has {len(problems)} problem(s); the briefings stay as they were "
                         f"(first: {problems[0]})")
                self.notify(all_pages=True)
                return
            if was:
                self.notify(all_pages=True)
            for key, t in self.targets.items():
                digest = digests[key]
                current = await asyncio.to_thread(is_up_to_date, t.layout, t.scope.slug, digest, ("html",))
                run = speculative.get(key)
                if current and key not in self.failures:
                    if run is not None:
                        run.digest.set_result(None)
                    continue
                if run is None:
                    run = self._new_run(t, gen, snap)
                    self.queue.append(run)
                run.digest.set_result(digest)
            self._wake.set()

    def _check(self, snap: DataSnapshot) -> tuple[list[str], dict]:
        """In a thread: validate the snapshot and compute the targets' digests."""
        from nrmc.data import DataValidationError, load

        try:
            load(snap.dir)
        except DataValidationError as err:
            return [str(p).replace(str(snap.dir), str(self.data)) for p in err.problems], {}
        except OSError as err:
            return [f"cannot read the data: {err.strerror or err}"], {}
        d = BuildDigests(self.out / STATE_DIR, snap, None)
        d.prepare(_code(t.scope) for t in self.targets.values())
        out = {key: d.briefing(t.scope, t.notebook, parameters_for(t.scope, lang=t.lang, data_dir=snap.dir))
               for key, t in self.targets.items()}
        d.save()
        self._build_digests = d
        return [], out

    def _kernels(self) -> int:
        return getattr(self.pool, "size", 1)

    def _next(self) -> Run | None:
        """The next briefing to build: open pages first; while one is being built, nothing else
        starts (on two cores another notebook would take the CPU the open page needs)."""
        open_keys = [t.key for t in self.open_targets()]
        pending = [r for r in self.queue if not r.started and not r.dropped]
        if not pending:
            return None
        if any(k in open_keys for k in self.running_keys) and not any(r.target.key in open_keys for r in pending):
            return None
        pending.sort(key=lambda r: (open_keys.index(r.target.key) if r.target.key in open_keys else len(open_keys),
                                    r.target.scope.kind != "national"))
        run = pending[0]
        run.started = True
        self.queue.remove(run)
        return run

    async def worker(self, n: int) -> None:
        while not self._stop.is_set():
            run = self._next()
            if run is None:
                self._wake.clear()
                self._maybe_idle()
                await self._wake.wait()
                continue
            self.running.add(id(run))
            self.running_keys.append(run.target.key)
            try:
                await self._build(run)
            except asyncio.CancelledError:
                raise
            except Exception as err:  # noqa: BLE001 - one briefing's trouble never stops the preview
                self.say(f"{run.target.scope.slug} ({run.target.lang}): {type(err).__name__}: {err}")
            finally:
                self.running.discard(id(run))
                self.running_keys.remove(run.target.key)
                self._wake.set()
                self._maybe_idle()

    async def _build(self, run: Run) -> None:
        import nbformat

        from nrmc.kernels import execute_notebook, prepare_notebook

        t = run.target
        t0 = time.monotonic()
        job = _Job(t.scope, t.lang, t.layout, t.notebook, run.params, "")
        nb = prepare_notebook(t.notebook, run.params, _build_meta(job, run.snap))
        res = await execute_notebook(self.pool, nb, self.nbdir, self.timeout)
        t1 = time.monotonic()
        digest = await run.digest
        if digest is None or run.dropped:
            return  # unchanged, invalid data, or superseded: nothing to keep
        job.digest = digest
        if res.error:
            error = _data_hint(res.error, res.traceback, run.snap)
            self.failures[t.key] = (f"cell {res.cell}: " if res.cell else "") + error
            with contextlib.suppress(Exception):
                await asyncio.to_thread(record_failure, job, run.snap, nbformat.writes(res.nb).encode(), ("html",),
                                        error, res.cell)
            self.say(f"{t.scope.slug} ({t.lang}) FAILED {self.failures[t.key]}")
            self.notify([t.url])
            return
        page, resources = self.exporter.from_notebook_node(res.nb)
        header = resources.get("nrmc", {})
        report = {"as_of": header.get("as_of"), "title": header.get("title"),
                  "built_at": datetime.now().isoformat(timespec="seconds"), "meta": resources.get("nrmc_meta") or {}}
        files = {"html": page.encode("utf-8"), "ipynb": nbformat.writes(res.nb).encode("utf-8")}
        await asyncio.to_thread(commit_briefing, job, run.snap, files, report, ("html",), time.monotonic() - t0)
        self.failures.pop(t.key, None)
        self.stats["built"] += 1
        self.stats["last"] = (t.url, time.time())
        detail = ""
        if os.environ.get("NRMC_TRACE"):
            detail = (f" (kernel {t1 - t0:.2f}s, then export and commit {time.monotonic() - t1:.2f}s; "
                      f"{time.monotonic() - run.seen:.2f}s since the change was seen)")
        self.say(f"{t.scope.slug} ({t.lang}) rebuilt in {time.monotonic() - t0:.1f}s{detail}")
        self.notify([t.url])
        if self.printer is not None:
            self.pdf_queue.append((run, page, header.get("title", "")))
            self._pdf_wake.set()

    async def pdf_worker(self) -> None:
        """Print the PDFs of rebuilt briefings, one at a time, while nothing else waits."""
        while not self._stop.is_set():
            if not self.pdf_queue:
                self._pdf_wake.clear()
                self._maybe_idle()
                await self._pdf_wake.wait()
                continue
            if self.queue or self.running:  # HTML first
                await asyncio.sleep(0.2)
                continue
            run, page, title = self.pdf_queue.pop(0)
            t = run.target
            try:
                digest = run.digest.result()
                if read_state(t.layout, t.scope.slug).get("digest") != digest:
                    continue  # superseded meanwhile
                await self._printer_for(run.snap)
                data = await self.printer.pdf(page, footer_title=title, lang=t.lang)
                job = _Job(t.scope, t.lang, t.layout, t.notebook, run.params, digest)
                st = read_state(t.layout, t.scope.slug)
                if st.get("digest") == digest:
                    report = st.get("report") or {}
                    await asyncio.to_thread(commit_briefing, job, run.snap, {"pdf": data}, report, ("html", "pdf"),
                                            st.get("seconds") or 0.0)
            except asyncio.CancelledError:
                raise
            except Exception as err:  # noqa: BLE001
                self.say(f"{t.scope.slug} ({t.lang}): PDF not printed: {type(err).__name__}: {err}")
            finally:
                self._maybe_idle()

    async def _printer_for(self, snap: DataSnapshot) -> None:
        """The printer's font covers the characters of the data being printed (as `nrmc build`'s):
        when the data brings new ones, the browser is restarted with a new print font."""
        from nrmc import fonts
        from nrmc.digests import print_font_key
        from nrmc.export import PdfPrinter

        key = await asyncio.to_thread(print_font_key, snap.dir)
        if key == self._printer_key:
            return
        if self._printer_key is not None:
            await self.printer.close()
            self.printer = PdfPrinter(pages=1, font_text=await asyncio.to_thread(fonts.project_text, snap.dir))
            await self.printer.start()
        self._printer_key = key

    def _maybe_idle(self) -> None:
        """When nothing is queued, running or printing: the front page, old snapshots, the lock."""
        if self.queue or self.running or self.pdf_queue or self._refresh_lock.locked():
            return
        if self._idle.is_set():
            return
        self._idle.set()
        asyncio.ensure_future(self._settle())

    async def _settle(self) -> None:
        try:
            if self.snap is not None and not self.problems and getattr(self, "_build_digests", None) is not None:
                await asyncio.to_thread(_write_indexes, self.out, self.index_scopes, self.langs, self._build_digests,
                                        self.nbdir, None, self.snap.dir, self.say)
                with contextlib.suppress(OSError):
                    prune_snapshots(self.out, keep=[self.snap.dir.name])
                self.notify(["/" + Layout(self.out, lg).index.relative_to(self.out).as_posix() for lg in LANGS])
        finally:
            if self._idle.is_set():
                self._lock.release()

    # ---- watching --------------------------------------------------------------------------
    def classify(self, paths: Sequence[str]) -> str | None:
        """"restart" for a change of the package, "refresh" for data or notebooks, else None."""
        kind = None
        for p in map(Path, paths):
            if _inside(p, PACKAGE_DIR) and "__pycache__" not in p.parts and not _inside(p, PACKAGE_DIR / "_bundled"):
                if p.suffix in (".py", ".j2", ".css", ".json", ".html"):
                    return "restart"
            elif _inside(p, self.nbdir) or _inside(p, self.data):
                if not p.name.startswith(".nrmc-tmp."):
                    kind = "refresh"
        return kind

    async def watch(self) -> None:
        from watchfiles import awatch

        roots = [str(p) for p in dict.fromkeys([self.data, self.nbdir, PACKAGE_DIR]) if p.exists()]
        async for changes in awatch(*roots, stop_event=self._stop, debounce=400, step=30, rust_timeout=500):
            seen = time.monotonic()
            kind = self.classify([p for _, p in changes])
            if kind == "restart":
                self.say("the nrmc package changed: restarting the preview…")
                self._result = "restart"
                self._stop.set()
                return
            if kind == "refresh":
                names = sorted({Path(p).name for _, p in changes})
                self.say(f"changed: {', '.join(names[:5])}{' …' if len(names) > 5 else ''}")
                asyncio.ensure_future(self.refresh(seen=seen))

    # ---- running ---------------------------------------------------------------------------
    async def run(self) -> str:
        from aiohttp import web

        from nrmc.export import BriefingHTMLExporter, PdfPrinter
        from nrmc.kernels import KernelPool, KernelUnavailable
        from nrmc.limits import plan_parallelism

        prepare_out(self.out)
        recover(self.out)
        app = self.app()
        runner = web.AppRunner(app, handle_signals=False, access_log=None)
        await runner.setup()
        site = None
        ports = [self.port] if self.port == 0 else list(range(self.port, self.port + 20))
        for port in ports:
            try:
                site = web.TCPSite(runner, self.host, port, shutdown_timeout=1.0)
                await site.start()
                break
            except OSError:
                site = None
        if site is None:
            await runner.cleanup()
            raise BuildError(f"cannot listen on {self.host}:{self.port} (nor the next 19 ports): "
                             f"choose another with --port")
        host, port = site._server.sockets[0].getsockname()[:2]
        self.bound_port = port
        first = next(iter(self.targets.values()), None)
        self.url = f"http://{host}:{port}" + (first.url if first and len(self.selected) == 1 else "/")
        n, pages, _ = plan_parallelism(self.jobs, len(self.targets), pdf=self.pdf)
        # the kernels and this process check an edited file at once (not after importing the checker)
        self.pool = KernelPool(max(1, n), cwd=self.nbdir, data_dir=self.data, warm_checks=True)
        threading.Thread(target=_warm_checks, name="nrmc-warm-checks", daemon=True).start()
        self.exporter = BriefingHTMLExporter()
        tasks: list[asyncio.Task] = []
        try:
            self.say(f"Serving {self.url}  (watching {self.data}, {self.nbdir} and the nrmc package; Ctrl-C stops)")
            try:
                await self.pool.start()
            except KernelUnavailable as err:
                raise BuildError(str(err)) from err
            if self.pdf:
                from nrmc import fonts

                self.printer = PdfPrinter(pages=1, font_text=fonts.project_text(self.data))
                try:
                    await self.printer.start()
                    from nrmc.digests import print_font_key

                    self._printer_key = await asyncio.to_thread(print_font_key, self.data)
                except Exception as err:  # noqa: BLE001 - HTML still previews
                    self.say(f"PDFs will not be printed: {err}")
                    self.printer = None
            tasks = [asyncio.ensure_future(self.worker(i)) for i in range(self.pool.size)]
            tasks.append(asyncio.ensure_future(self.pdf_worker()))
            tasks.append(asyncio.ensure_future(self.watch()))
            await self.refresh("start")
            await self._stop.wait()
            return self._result
        finally:
            self._stop.set()
            self._wake.set()
            self._pdf_wake.set()
            for t in tasks:
                t.cancel()
            for t in tasks:
                with contextlib.suppress(BaseException):
                    await t
            with contextlib.suppress(Exception):
                await runner.cleanup()
            if self.printer is not None:
                await self.printer.close()
            await self.pool.close()
            self._lock.release()

    def stop(self) -> None:
        self._stop.set()


def serve(scopes, out, data, notebooks=None, *, langs=LANGS, host="127.0.0.1", port=DEFAULT_PORT, pdf=True,
          jobs=None, say: Callable[[str], None] = print) -> str:
    """Run the preview until Ctrl-C or SIGTERM ("stop") or a change of the package ("restart")."""

    async def main() -> str:
        p = Preview(scopes, out, data, notebooks, langs=langs, host=host, port=port, pdf=pdf, jobs=jobs, say=say)
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(ValueError, RuntimeError, NotImplementedError):
                loop.add_signal_handler(sig, p.stop)
        try:
            return await p.run()
        finally:
            for sig in (signal.SIGINT, signal.SIGTERM):
                with contextlib.suppress(Exception):
                    loop.remove_signal_handler(sig)

    return asyncio.run(main())
