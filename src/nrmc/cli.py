"""Command line: `nrmc build`, `nrmc preview`, `nrmc list`, `nrmc validate`, `nrmc init`,
`nrmc datapackage`, `nrmc export-data` (also `python -m nrmc`)."""
from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
from pathlib import Path

import click

EXIT_USAGE = 2
MIN_TIMEOUT, MAX_TIMEOUT = 1.0, 86_400.0


def _ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def _interactive() -> bool:
    return sys.stderr.isatty() and not _ci()


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="nrmc", prog_name="nrmc")
def main() -> None:
    """Briefings on China's National Regional Medical Centres (国家区域医疗中心)."""


def _formats(ctx, param, value: str) -> tuple[str, ...]:
    items = tuple(dict.fromkeys(v.strip().lower() for v in value.split(",") if v.strip()))
    bad = [v for v in items if v not in ("html", "pdf")]
    if bad or not items:
        raise click.BadParameter(f"{', '.join(bad) or 'nothing'} is not a format; use html, pdf or html,pdf")
    return items


def _langs(ctx, param, value: str) -> tuple[str, ...]:
    from nrmc.build import BuildError, parse_langs

    try:
        return parse_langs(value)
    except BuildError as err:
        raise click.BadParameter(str(err)) from None


def _as_of(ctx, param, value):
    from nrmc.parameters import ParameterError, normalize_as_of

    try:
        return normalize_as_of(value)
    except ParameterError as err:
        raise click.BadParameter(str(err)) from None


def _path(ctx, param, value):
    """A folder option or argument: never empty (an empty --out or DEST would mean the working folder)."""
    if value is not None and not str(value).strip():
        name = param.human_readable_name if param.param_type_name == "argument" else f"--{param.name.replace('_dir', '')}"
        raise click.BadParameter(f"{name} is empty: name a folder (an empty name would mean the working folder)")
    return value


def _timeout(ctx, param, value):
    """--timeout: a finite number of seconds from 1 to a day (inf, nan and 1e308 are refused)."""
    import math

    if value is None:
        return None
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        raise click.BadParameter(f"{value!r} is not a number of seconds") from None
    if not math.isfinite(seconds) or not MIN_TIMEOUT <= seconds <= MAX_TIMEOUT:
        raise click.BadParameter(f"{value!r} is not a timeout nrmc can keep: give seconds from {MIN_TIMEOUT:g} to "
                                 f"{MAX_TIMEOUT:g} (a day)")
    return seconds


def _data_folder(command: str, data: Path) -> None:
    """The data folder exists and is a folder, or the command stops here (exit 1) saying so."""
    if not data.is_dir():
        what = "is a file, not a folder" if data.exists() else "does not exist"
        _echo_err(f"nrmc {command}: the data folder {data} {what}. Give --data DIR (a folder made by `nrmc init`) "
                  f"or set NRMC_DATA.")
        sys.exit(1)


def _exit_after_signal(status: int) -> None:
    """End the process now with `status` (128 + the signal, or 0 for a stopped preview), what was
    printed flushed. Not sys.exit: once a signal's KeyboardInterrupt has passed through Python code
    that C code runs with PyRun_String (extension modules do so while they are imported), CPython
    remembers it as unhandled and, under `python -m nrmc`, ends the process with SIGINT at exit
    whatever sys.exit said (CI: SIGTERM 2 s into a build ended -2, not 143). Kernels, browser and
    temporary files are closed and removed before this is called."""
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    os._exit(status)


def _interrupt_when_safe(signum: int, frame, note=None) -> None:
    """A signal handler's body: note the signal (`note(signum)`), then raise KeyboardInterrupt,
    unless the main thread is inside Python's import machinery, where it waits for that code to end.

    A Python signal handler runs between any two bytecodes. Raised right after importlib has taken
    its global import lock and before its `try:` (in `_get_module_lock`, or in the weakref callback
    that drops a module lock, whose exceptions Python prints and swallows), the exception leaves
    that lock held by the main thread for good: the build went on, and each of its worker threads
    hung at its next import (seen once in the suite: SIGTERM 0.4 s into a build, the build alive 3
    minutes later). There the signal is sent again 50 ms later, until it lands in ordinary code."""
    if note is not None:
        note(signum)
    code = frame.f_code.co_filename if frame is not None else ""
    if code.startswith("<frozen importlib._bootstrap"):
        timer = threading.Timer(0.05, os.kill, (os.getpid(), signum))
        timer.daemon = True
        timer.start()
        return
    raise KeyboardInterrupt(signum)


def _echo_err(text: str) -> None:
    click.echo(text, err=True)


@main.command()
@click.argument("scopes", nargs=-1, metavar="[SCOPE]...")
@click.option("--out", "out_dir", default="reports", show_default=True, type=click.Path(file_okay=False), callback=_path,
              help="Folder for the briefings (zh at its top, en in en/), the executed notebooks and index.html.")
@click.option("--format", "formats", default="html,pdf", show_default=True, callback=_formats,
              help="Comma-separated: html, pdf.")
@click.option("--lang", "langs", default="zh,en", show_default=True, callback=_langs, metavar="zh|en|zh,en",
              help="Language(s) of the briefings.")
@click.option("--jobs", "-j", type=click.IntRange(min=1), default=None,
              help="Notebooks run side by side (default: number of cores; capped to what the machine can carry).")
@click.option("--timeout", default=None, callback=_timeout, metavar="SECONDS",
              help="Longest a single notebook cell may run before its briefing fails  [default: 300].")
@click.option("--as-of", "as_of", default=None, callback=_as_of, metavar="DATE",
              help="Only what was known by this date: a year (2023), a month (2023-06) or a day (2023-12-31).")
@click.option("--force", is_flag=True, help="Rebuild even when nothing changed.")
@click.option("--data", "data_dir", type=click.Path(file_okay=False), default=None, callback=_path,
              help="Data folder (default: $NRMC_DATA, else the dataset that comes with nrmc).")
@click.option("--notebooks", "notebooks_dir", type=click.Path(file_okay=False), default=None, callback=_path,
              help="Folder holding province.ipynb and national.ipynb (default: DATA/notebooks when it has "
                   "them, else the notebooks that come with nrmc).")
def build(scopes, out_dir, formats, langs, jobs, timeout, as_of, force, data_dir, notebooks_dir):
    """Build briefings as HTML and PDF, in Chinese and English.

    SCOPE is a province in any form (安徽, 皖, anhui, Anhui, 340000, CN-AH) or `national`;
    none means all 31 provinces and the national overview.
    """
    import time

    t0 = time.monotonic()
    from nrmc import build as b
    from nrmc.regions import UnknownProvinceError

    # SIGTERM behaves like Ctrl-C: kernels and the browser are shut down, temp files removed, the
    # summary of what was finished printed; the exit status says which signal it was (130, 143).
    def _interrupt(signum, frame):
        _interrupt_when_safe(signum, frame, b.note_signal)

    signal.signal(signal.SIGINT, _interrupt)
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        _build_command(b, UnknownProvinceError, t0, scopes, out_dir, formats, langs, jobs, timeout, as_of, force,
                       data_dir, notebooks_dir)
    except KeyboardInterrupt as err:
        _interrupted(err, lambda: None)


def _build_command(b, UnknownProvinceError, t0, scopes, out_dir, formats, langs, jobs, timeout, as_of, force,
                   data_dir, notebooks_dir) -> None:
    import time

    # Resolve names first: an unknown one stops everything before anything is built.
    try:
        data = Path(data_dir).expanduser().resolve() if data_dir else b.default_data_dir()
        _data_folder("build", data)
        selected = b.resolve_scopes(scopes or None, data)
    except UnknownProvinceError as err:
        _echo_err(f"nrmc build: {err}")
        sys.exit(EXIT_USAGE)
    except OSError as err:
        _echo_err(f"nrmc build: cannot read the province table: {err}")
        sys.exit(EXIT_USAGE)

    bar = None
    interactive = _interactive()
    if interactive:
        from tqdm import tqdm

        bar = tqdm(total=len(selected) * len(langs), unit="briefing", dynamic_ncols=True, file=sys.stderr)

    def on_result(r, done, total):
        line = f"[{done}/{total}] {r.describe()}"
        if bar is not None:
            if r.status == "failed":
                bar.write(line, file=sys.stderr)
            bar.set_postfix_str(f"{r.slug} {r.lang}")
            bar.update(1)
        else:
            _echo_err(line)

    def on_message(text):
        if bar is not None:
            bar.write(text, file=sys.stderr)
        else:
            _echo_err(text)

    def close_bar():
        if bar is not None:
            bar.close()

    summary = None
    try:
        summary = b.build(selected, out_dir, formats=formats, langs=langs, jobs=jobs, force=force,
                          data_dir=data, notebooks_dir=notebooks_dir, as_of=as_of,
                          timeout=timeout or b.DEFAULT_TIMEOUT, on_result=on_result, on_message=on_message)
        # The build is done: a signal from now on (while the summary prints, while Python exits)
        # changes nothing, and is ignored rather than kill the process before its status is set.
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, signal.SIG_IGN)
    except b.BuildError as err:
        close_bar()
        _echo_err(f"nrmc build: {err}")
        sys.exit(1)
    except KeyboardInterrupt as err:
        if summary is not None and not hasattr(err, "summary"):  # in the instant after the build returned
            err.summary, err.signum = summary, b._signal["num"]
        _interrupted(err, close_bar)
    close_bar()
    summary.seconds = max(summary.seconds, time.monotonic() - t0)
    click.echo(summary.text())
    sys.exit(0 if summary.ok else 1)


def _interrupted(err: KeyboardInterrupt, close_bar) -> None:
    """After SIGINT or SIGTERM at any moment of a build: the summary of what was finished (when the
    build got that far), a line saying so, exit 128 + the signal (130, 143). Never a traceback: a
    second signal while this prints is ignored."""
    from nrmc import build as b

    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, signal.SIG_IGN)
    signum = getattr(err, "signum", None) or b._signal["num"] or int(signal.SIGINT)
    with contextlib.suppress(Exception):
        close_bar()
    summary = getattr(err, "summary", None)
    with contextlib.suppress(Exception):
        if summary is not None:
            click.echo(summary.text())
        _echo_err(f"nrmc build: interrupted by {b._signal_name(signum)}; finished briefings were kept, nothing "
                  "half-written was left.")
    _exit_after_signal(128 + int(signum))


@main.command()
@click.argument("scopes", nargs=-1, metavar="[SCOPE]...")
@click.option("--out", "out_dir", default="reports", show_default=True, type=click.Path(file_okay=False), callback=_path,
              help="Folder served and kept built (the same layout as `nrmc build`).")
@click.option("--lang", "langs", default="zh,en", show_default=True, callback=_langs, metavar="zh|en|zh,en",
              help="Language(s) kept built.")
@click.option("--data", "data_dir", type=click.Path(file_okay=False), default=None, callback=_path,
              help="Data folder to watch (default: $NRMC_DATA, else the dataset that comes with nrmc).")
@click.option("--notebooks", "notebooks_dir", type=click.Path(file_okay=False), default=None, callback=_path,
              help="Folder holding province.ipynb and national.ipynb (as for `nrmc build`).")
@click.option("--port", type=click.IntRange(min=0, max=65535), default=8765, show_default=True,
              help="Port on localhost (the next free one is taken when it is busy; 0: any free port).")
@click.option("--pdf/--no-pdf", default=True, show_default=True,
              help="Also print each rebuilt briefing's PDF, in the background after its HTML.")
@click.option("--jobs", "-j", type=click.IntRange(min=1), default=None,
              help="Kernels kept warm (default: number of cores, capped to what the machine can carry).")
def preview(scopes, out_dir, langs, data_dir, notebooks_dir, port, pdf, jobs):
    """Serve the briefings on localhost and rebuild them as the data changes.

    Watches the data folder, the notebooks and the nrmc package; a saved change rebuilds the
    briefings whose inputs changed (open pages first, on kernels and a browser kept warm) and
    reloads the pages open in a browser. Invalid data is shown on the pages, which keep the last
    good briefings. SCOPE as for `nrmc build` (none: all 31 provinces and national). Ctrl-C stops.
    """
    import time

    from nrmc import build as b
    from nrmc import preview as pv
    from nrmc.regions import UnknownProvinceError

    def say(text: str) -> None:
        click.echo(f"[{time.strftime('%H:%M:%S')}] {text}")

    # Ctrl-C raises KeyboardInterrupt as Python's own handler does, but never inside importlib
    # (see _interrupt_when_safe); while it serves, the preview's event loop handles the signals.
    signal.signal(signal.SIGINT, _interrupt_when_safe)
    try:
        data = Path(data_dir).expanduser().resolve() if data_dir else b.default_data_dir()
        _data_folder("preview", data)
        result = pv.serve(scopes or None, Path(out_dir), data, notebooks_dir, langs=langs, port=port, pdf=pdf,
                          jobs=jobs, say=say)
    except UnknownProvinceError as err:
        _echo_err(f"nrmc preview: {err}")
        sys.exit(EXIT_USAGE)
    except b.BuildError as err:
        _echo_err(f"nrmc preview: {err}")
        sys.exit(1)
    except KeyboardInterrupt:
        result = "stopped by a signal"
    if result == "restart":
        sys.stdout.flush()
        sys.stderr.flush()
        os.execv(sys.executable, [sys.executable, "-m", "nrmc", *sys.argv[1:]])
    click.echo("nrmc preview: stopped; kernels and browser closed.")
    if result == "stopped by a signal":  # see _exit_after_signal
        _exit_after_signal(0)
    sys.exit(0)


def _pad(text: str, width: int) -> str:
    """`text` padded to `width` terminal columns (a Chinese character takes two)."""
    from wcwidth import wcswidth

    return text + " " * max(0, width - max(0, wcswidth(text)))


_DATA_HELP = "Data folder (default: $NRMC_DATA, else the dataset that comes with nrmc)."


@main.command("list")
@click.option("--data", "data_dir", type=click.Path(file_okay=False), default=None, callback=_path, help=_DATA_HELP)
def list_(data_dir):
    """Print every scope: slug, Chinese and English name, code."""
    from wcwidth import wcswidth

    from nrmc.regions import all_scopes

    try:
        scopes = all_scopes(Path(data_dir).resolve() if data_dir else None)
    except OSError as err:
        click.echo(f"nrmc list: cannot read the province table: {err}", err=True)
        sys.exit(1)
    rows = [(s.slug, s.name_zh, s.name_en, s.code or "-") for s in scopes]
    widths = [max(max(0, wcswidth(r[i])) for r in rows) for i in range(3)]
    for r in rows:
        click.echo("  ".join(_pad(r[i], widths[i]) for i in range(3)) + "  " + r[3])


@main.command()
@click.argument("dest", type=click.Path(file_okay=False), callback=_path)
@click.option("--force", is_flag=True, help="Overwrite files that already exist in DEST.")
def init(dest, force):
    """Copy the dataset and the notebooks into DEST for editing.

    DEST gets the CSV files and DEST/notebooks/ the briefing notebooks; then build from your copy
    with `nrmc build --data DEST` (or set NRMC_DATA=DEST).
    """
    from nrmc.resources import InitError
    from nrmc.resources import init as copy_into

    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, _interrupt_when_safe)
    try:
        written = copy_into(Path(dest), force=force)
    except KeyboardInterrupt as err:  # the temporary copies are removed; nothing half-copied is left
        signum = err.args[0] if err.args and isinstance(err.args[0], int) else int(signal.SIGINT)
        click.echo(f"nrmc init: interrupted; nothing was copied into {dest}." if not Path(dest).exists() else
                   "nrmc init: interrupted; no file was left half-copied.", err=True)
        _exit_after_signal(128 + signum)
    except (FileExistsError, FileNotFoundError, InitError) as err:
        click.echo(f"nrmc init: {err}", err=True)
        sys.exit(1)
    except OSError as err:
        click.echo(f"nrmc init: cannot write to {dest}: {err.strerror or err}", err=True)
        sys.exit(1)
    d = Path(dest).resolve()
    click.echo(f"Copied {len(written)} files into {d} (the dataset, and notebooks/).\n"
               f"Edit the CSV files, check them with `nrmc validate --data {d}`, then build with\n"
               f"  nrmc build --data {d}        (or: export NRMC_DATA={d})")


@main.command()
@click.option("--data", "data_dir", type=click.Path(file_okay=False), default=None, callback=_path, help=_DATA_HELP)
def validate(data_dir):
    """Check the dataset; exit 1 with file, row, column and reason when it is not valid."""
    from nrmc.data import validate_report

    try:
        text, ok = validate_report(Path(data_dir).resolve() if data_dir else None)
    except OSError as err:
        what = err.filename or data_dir or "the data directory"
        why = "it is a folder, not a file" if isinstance(err, IsADirectoryError) else (err.strerror or str(err))
        click.echo(f"nrmc validate: cannot read {what}: {why}", err=True)
        sys.exit(1)
    click.echo(text)
    sys.exit(0 if ok else 1)


@main.command()
@click.option("--data", "data_dir", type=click.Path(file_okay=False), default=None, help=_DATA_HELP)
@click.option("--check", is_flag=True, help="Write nothing; exit 1 when datapackage.json is not what it would write.")
def datapackage(data_dir, check):
    """Write DATA/datapackage.json: the dataset as a Frictionless data package (the schema nrmc
    validate enforces, the licence and the sources), for pandas, R or a spreadsheet without nrmc."""
    from nrmc import datapackage as dp
    from nrmc.regions import default_data_dir

    d = Path(data_dir).resolve() if data_dir else default_data_dir()
    try:
        text = dp.render(d)
        path = d / dp.FILE_NAME
        if check:
            same = path.is_file() and path.read_text(encoding="utf-8") == text
            click.echo(f"{path}: " + ("up to date" if same else "out of date; run `nrmc datapackage` to rewrite it"))
            sys.exit(0 if same else 1)
        dp.write(d)
    except OSError as err:
        click.echo(f"nrmc datapackage: cannot read or write {err.filename or d}: {err.strerror or err}", err=True)
        sys.exit(1)
    click.echo(f"Wrote {path}")


@main.command("export-data")
@click.argument("scope")
@click.option("--out", "out_dir", default=".", show_default=True, type=click.Path(file_okay=False),
              help="Folder for the CSV files and the Excel workbook.")
@click.option("--lang", type=click.Choice(["zh", "en"]), default="zh", show_default=True, help="Language of the tables.")
@click.option("--as-of", "as_of", default=None, callback=_as_of, metavar="DATE",
              help="Only what was known by this date (as for `nrmc build`).")
@click.option("--data", "data_dir", type=click.Path(file_okay=False), default=None, help=_DATA_HELP)
def export_data(scope, out_dir, lang, as_of, data_dir):
    """Write the annex tables of SCOPE's briefing (a province in any form, or `national`) as CSV
    (UTF-8 with BOM, for Excel) and as an Excel workbook: every figure with its source, date and quote."""
    from nrmc.data import DataValidationError, load
    from nrmc.downloads import write_downloads
    from nrmc.regions import UnknownProvinceError

    try:
        ds = load(Path(data_dir).resolve() if data_dir else None)
        written = write_downloads(ds, scope, lang, Path(out_dir), as_of=as_of)
    except UnknownProvinceError as err:
        click.echo(f"nrmc export-data: {err}", err=True)
        sys.exit(EXIT_USAGE)
    except DataValidationError as err:
        click.echo(f"nrmc export-data: {err}", err=True)
        sys.exit(1)
    except OSError as err:
        click.echo(f"nrmc export-data: cannot write to {out_dir}: {err.strerror or err}", err=True)
        sys.exit(1)
    for p in written.paths():
        click.echo(f"Wrote {p}")


if __name__ == "__main__":  # pragma: no cover
    main()
