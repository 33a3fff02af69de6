"""Which Chromium prints the PDFs, and its version (standard library only, so that a build with
nothing to do can ask without importing nbconvert or Playwright)."""
from __future__ import annotations

import os
import shutil
import subprocess

CHROMIUM_CANDIDATES = ["/usr/bin/chromium", "chromium", "chromium-browser", "google-chrome", "google-chrome-stable"]
INSTALL_HINT = "sudo apt-get install -y chromium fonts-noto-cjk   (or run `make setup` in the repository)"


class BrowserUnavailable(RuntimeError):
    """No usable Chromium (or no CJK font): the message says what to install."""


def find_chromium(explicit: str | None = None) -> str:
    """Path of a usable Chromium, or BrowserUnavailable with the command that installs one."""
    for cand in [explicit, os.environ.get("NRMC_CHROMIUM"), *CHROMIUM_CANDIDATES]:
        if not cand:
            continue
        path = cand if os.sep in cand else shutil.which(cand)
        if path and os.path.isfile(path) and os.access(path, os.X_OK):
            return path
        if cand in (explicit, os.environ.get("NRMC_CHROMIUM")):
            raise BrowserUnavailable(f"Chromium not found at {cand!r}. Install it with: {INSTALL_HINT}")
    raise BrowserUnavailable(f"Chromium is needed to print PDF briefings but none was found. Install it with: {INSTALL_HINT}")


def binary_key(path: str) -> list:
    """What identifies the installed browser without running it: the path, the file it resolves
    to, and both files' size and modification time (a package upgrade rewrites them)."""
    out: list = [path]
    for p in dict.fromkeys([path, os.path.realpath(path)]):
        try:
            st = os.stat(p)
            out += [p, st.st_size, st.st_mtime_ns]
        except OSError:
            out += [p, None, None]
    return out


def version(path: str) -> str:
    """`chromium --version` (e.g. "Chromium 150.0.7871.100 built on Debian GNU/Linux 12"), or ""."""
    try:
        return subprocess.run([path, "--version"], capture_output=True, text=True, timeout=60).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""
