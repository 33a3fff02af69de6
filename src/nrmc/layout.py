"""Where each output of a briefing lives in the output directory, per language.

    reports/index.html                       front page (zh)
    reports/<slug>.html|.pdf                 briefings (zh)
    reports/notebooks/<slug>.ipynb           executed notebooks (zh)
    reports/en/index.html, reports/en/...    the same for English
    reports/.state/<lang>/<slug>.json        what each briefing was built from (one file per language)
    reports/.state/snapshots/<digest>/       the data a build read (see nrmc.state)

The two languages never share a file, so building one never overwrites or mixes with the other.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

FORMATS = ("html", "pdf")
# Written with a briefing's HTML, beside it: its figures as a download (Excel: every annex table;
# CSV: the figures), linked from the annex.
DOWNLOADS = ("xlsx", "csv")
LANGS = ("zh", "en")
STATE_DIR = ".state"
NOTEBOOK_SUBDIR = "notebooks"
# Every file the build writes is first written under this prefix (a hidden name no user picks)
# and renamed; only files with this prefix are ever cleaned up.
TMP_PREFIX = ".nrmc-tmp."
# Names the build itself writes into the output folder (front page `index.html`, the national
# briefing `national.*`, the English glossary page `en/glossary.html`, the folders of a language
# and of the executed notebooks, the state):
# a province's slug is never one of them (nrmc validate refuses it), or its briefing would replace
# another output or be replaced by it.
OUTPUT_NAMES = frozenset({"index", "national", "glossary", *LANGS, NOTEBOOK_SUBDIR, STATE_DIR.lstrip(".")})


@dataclass(frozen=True)
class Layout:
    """The files of one language in the output directory `root`."""

    root: Path
    lang: str = "zh"

    @property
    def dir(self) -> Path:
        """Folder of this language's briefings and front page."""
        return self.root if self.lang == "zh" else self.root / self.lang

    @property
    def index(self) -> Path:
        return self.dir / "index.html"

    @property
    def state_dir(self) -> Path:
        return self.root / STATE_DIR / self.lang

    def output(self, slug: str, fmt: str) -> Path:
        """`fmt` is html, pdf or ipynb (the executed notebook)."""
        if fmt == "ipynb":
            return self.dir / NOTEBOOK_SUBDIR / f"{slug}.ipynb"
        return self.dir / f"{slug}.{fmt}"

    def outputs(self, slug: str, formats) -> dict[str, Path]:
        """The files of one briefing: each format asked for, and the executed notebook."""
        paths = {fmt: self.output(slug, fmt) for fmt in formats}
        paths["ipynb"] = self.output(slug, "ipynb")
        return paths

    def failed_notebook(self, slug: str) -> Path:
        return self.dir / NOTEBOOK_SUBDIR / f"{slug}.failed.ipynb"

    def state(self, slug: str) -> Path:
        return self.state_dir / f"{slug}.json"

    def href(self, target: Path) -> str:
        """Link from this language's front page to `target` (a relative URL with / separators)."""
        return Path(os.path.relpath(target, self.dir)).as_posix()


def state_root(root: Path) -> Path:
    return Path(root) / STATE_DIR


def is_temp(name: str) -> bool:
    """True for a temporary file of nrmc's own (never a user's file)."""
    return name.startswith(TMP_PREFIX)
