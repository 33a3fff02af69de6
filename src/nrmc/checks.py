"""What must hold before a build starts: arguments, folders, data, browser. Each check raises
BuildError with what to fix, before anything is written (nothing of the user's is touched)."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Sequence

from nrmc.layout import STATE_DIR


class BuildError(RuntimeError):
    """A problem that stops the whole build (bad arguments, no kernel, no browser)."""


def _inside(a: Path, b: Path) -> bool:
    return a == b or b in a.parents


def check_paths(data: Path, out: Path, notebooks: Sequence[Path] = ()) -> None:
    """--out must be a folder of its own: not the data, not inside it, not around it; and no input
    (a data file, a notebook, followed through its links) may lie inside it, where an output could
    overwrite it (`--notebooks OUT/notebooks --out OUT`: the executed national.ipynb would replace
    the source national.ipynb)."""
    if _inside(out, data):
        raise BuildError(f"--out {out} is {'the data directory' if out == data else 'inside the data directory'} "
                         f"{data}; the briefings must go elsewhere (e.g. --out reports).")
    if _inside(data, out):
        raise BuildError(f"the data directory {data} is inside --out {out}; choose an output folder that "
                         f"does not contain the data.")
    inputs = [Path(n) for n in notebooks]
    if data.is_dir():
        inputs += [p for p in data.iterdir() if p.is_symlink()]  # a data file linked from inside --out
    for p in inputs:
        try:
            real = p.resolve()
        except (OSError, RuntimeError):  # a link loop: the data check names it
            continue
        if _inside(real, out) or _inside(p.absolute(), out):
            what = "notebook" if p.suffix == ".ipynb" else "data file"
            shown = p if real == p.absolute() else f"{p} (a link to {real})"
            raise BuildError(f"the {what} {shown} is inside --out {out}, where the build writes its outputs: it could be "
                             f"overwritten. Keep the notebooks and the data outside the output folder "
                             f"(e.g. --notebooks notebooks --out reports).")


def _linked_folders(out: Path) -> list[Path]:
    """The folders inside --out that the build writes into and that are symbolic links (--out itself
    may be one: the user named it)."""
    from nrmc.layout import LANGS, NOTEBOOK_SUBDIR, Layout

    state = out / STATE_DIR
    folders = [state, *(state / d for d in ("journal", "snapshots", *LANGS))]
    for lang in LANGS:
        lay = Layout(out, lang)
        folders += [lay.dir, lay.dir / NOTEBOOK_SUBDIR]
    return [f for f in dict.fromkeys(folders) if f != out and f.is_symlink()]


def prepare_out(out: Path) -> None:
    """Create --out (and check it can be written to) with a message a user can act on."""
    problem = None
    for parent in [out, *out.parents]:
        if parent.exists():
            if not parent.is_dir():
                problem = f"{parent} is a file, not a folder"
            break
    if problem is None:
        linked = _linked_folders(out)
        if linked:
            raise BuildError(f"{linked[0]} is a symbolic link: the build writes only into real folders inside --out "
                             f"{out}, never through a link (it could overwrite files elsewhere). Remove the link.")
        try:
            (out / STATE_DIR).mkdir(parents=True, exist_ok=True)
            probe = out / STATE_DIR / f".nrmc-tmp.{os.getpid()}.probe"
            os.close(os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o644))
            probe.unlink()
            return
        except OSError as err:
            problem = err.strerror or str(err)
            if err.filename:
                problem += f" ({err.filename})"
    raise BuildError(f"cannot write the briefings to --out {out}: {problem}. Choose a folder you can write to "
                     f"(e.g. --out ./reports).")


def preflight(data_dir: Path, formats: Sequence[str], *, shown_as: Path | None = None,
              as_of: str | None = None) -> None:
    """What must hold before any kernel or browser starts: the data is valid, `as_of` is not before
    the data begins, and for PDFs there is a Chromium and a Chinese font. Raises BuildError saying
    what to fix; nothing has been written (a build with nothing to do never gets here, so the
    no-op path stays free of pandas). `shown_as`: the folder to name in messages (the user's data
    folder rather than the build's snapshot of it)."""
    from nrmc.data import DataValidationError, load

    def named(text: str) -> str:
        return text.replace(str(data_dir), str(shown_as)) if shown_as else text

    try:
        ds = load(data_dir)
    except DataValidationError as err:
        raise BuildError(named(f"the data is not valid, so nothing was built and existing reports were left "
                               f"as they are. Fix these and run again (`nrmc validate` lists them):\n{err}")) from err
    except OSError as err:
        what = Path(err.filename).name if err.filename else "a data file"
        why = "it is a folder, not a file" if isinstance(err, IsADirectoryError) else (err.strerror or str(err))
        raise BuildError(named(f"cannot read {what} in the data directory {data_dir}: {why}. "
                               f"Nothing was built.")) from err
    if as_of:
        import pandas as pd

        dates = [d for d in (ds.centers.get("first_reported_dt"), ds.metrics.get("as_of_dt")) if d is not None]
        first = min((d.min() for d in dates if d.notna().any()), default=None)
        if first is not None and pd.Timestamp(as_of) < first:
            raise BuildError(f"--as-of {as_of} is before the first dated fact in the data "
                             f"({first.date().isoformat()}): nothing was known then. Choose a later date.")
    if "pdf" in formats:
        from nrmc.export import BrowserUnavailable, check_cjk_fonts, find_chromium

        try:
            find_chromium()
            check_cjk_fonts()
        except BrowserUnavailable as err:
            raise BuildError(f"{err} Nothing was built (`--format html` builds without a browser).") from err
