"""Getting a chart's SVG: from memory, from the disk cache, or drawn by the kind's drawer (see
`draws`) and turned into SVG. The key is the chart's normalised arguments plus what else changes
the output (this package's code, matplotlib, the font)."""
from __future__ import annotations

import functools
import hashlib
import json
import logging
import os
import shutil
import tempfile
import threading
from collections import OrderedDict
from pathlib import Path
from typing import Callable

import matplotlib
from matplotlib import font_manager
from matplotlib.font_manager import FontProperties

from nrmc.charts.style import _families, _rc, cjk_font
from nrmc.charts.svg import _Base, _fit, _postprocess

log = logging.getLogger(__name__)

CHARTS_VERSION = "3"  # bump when the output changes in a way the code hash below would not see

_MEM: "OrderedDict[str, _Base]" = OrderedDict()
_MEM_MAX = 512
_mem_lock = threading.Lock()
STATS = {"hits_memory": 0, "hits_disk": 0, "renders": 0}


def cache_dir() -> Path:
    """$NRMC_CACHE_DIR, else $XDG_CACHE_HOME/nrmc/charts, else ~/.cache/nrmc/charts."""
    from nrmc.resources import user_cache_root

    if os.environ.get("NRMC_CACHE_DIR"):
        return Path(os.environ["NRMC_CACHE_DIR"])
    return user_cache_root() / "charts"


def cache_clear(memory: bool = True, disk: bool = False) -> None:
    if memory:
        with _mem_lock:
            _MEM.clear()
    if disk:
        shutil.rmtree(cache_dir(), ignore_errors=True)


@functools.lru_cache(maxsize=1)
def _environment_key() -> str:
    """What, besides the arguments, changes the output: this package's code, matplotlib, the font."""
    try:
        font = font_manager.findfont(FontProperties(family=_families()), fallback_to_default=True)
        mtime = os.stat(font).st_mtime_ns
    except OSError:
        font, mtime = "?", 0
    code = hashlib.sha256(b"".join(f.name.encode() + b"\0" + f.read_bytes()
                                   for f in sorted(Path(__file__).parent.glob("*.py")))).hexdigest()[:16]
    return json.dumps([CHARTS_VERSION, code, matplotlib.__version__, font, mtime, cjk_font()])


def _key(kind: str, params: dict) -> str:
    blob = json.dumps([kind, params, _environment_key()], ensure_ascii=False, sort_keys=True, allow_nan=False)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


PRUNE_AFTER_DAYS = 30   # disk entries unused for this long are deleted (now and then, when writing)
PRUNE_EVERY = 200       # writes between two prunings in one process
_writes = 0


def _disk_get(key: str) -> _Base | None:
    path = cache_dir() / key[:2] / f"{key}.json"
    try:
        base = _Base.from_json(path.read_text(encoding="utf-8"))
        try:
            os.utime(path)  # recently used: kept by pruning
        except OSError:
            pass
        return base
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as err:  # corrupt: ignore
        log.debug("ignoring unreadable chart cache entry %s: %s", path, err)
        return None


def _disk_put(key: str, base: _Base) -> None:
    d = cache_dir() / key[:2]
    try:
        d.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=d, prefix=".tmp-", suffix=".json")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                f.write(base.to_json())
            os.replace(tmp, d / f"{key}.json")
        except BaseException:
            try:
                os.unlink(tmp)
            except OSError:
                pass
            raise
    except OSError as err:  # read-only or full disk: charts still work, just slower
        log.debug("chart cache not written (%s): %s", d, err)
        return
    global _writes
    _writes += 1
    if _writes % PRUNE_EVERY == 1:
        prune_cache()


def prune_cache(max_age_days: float = PRUNE_AFTER_DAYS) -> int:
    """Delete disk entries not used for `max_age_days` (and leftovers of interrupted writes older
    than an hour). Returns how many files were removed; errors are ignored."""
    import time

    now = time.time()
    removed = 0
    try:
        for path in cache_dir().glob("*/*.json"):
            try:
                age = now - path.stat().st_mtime
                if age > max_age_days * 86400 or (path.name.startswith(".tmp-") and age > 3600):
                    path.unlink()
                    removed += 1
            except OSError:
                continue
    except OSError:
        pass
    return removed


def _get(kind: str, params: dict) -> tuple[str, _Base]:
    key = _key(kind, params)
    with _mem_lock:
        base = _MEM.get(key)
        if base is not None:
            _MEM.move_to_end(key)
            STATS["hits_memory"] += 1
            return key, base
    base = _disk_get(key)
    if base is not None:
        STATS["hits_disk"] += 1
    else:
        base = _render(kind, params)
        STATS["renders"] += 1
        _disk_put(key, base)
    with _mem_lock:
        _MEM[key] = base
        while len(_MEM) > _MEM_MAX:
            _MEM.popitem(last=False)
    return key, base


def _render(kind: str, params: dict) -> _Base:
    """Draw the chart, check its text, and turn it into the cached SVG."""
    with matplotlib.rc_context(_rc()):
        fig, frame, meta = _draw(kind, params)
        raw, rec, refits = _fit(fig, frame)
        if refits:
            STATS["refits"] = STATS.get("refits", 0) + refits
        H = fig.bbox.height
        boxes = {}
        for code, ax, (x, y, w, h) in meta.get("tiles", []):
            (x0, y0), (x1, y1) = ax.transData.transform([(x, y), (x + w, y + h)])
            boxes[code] = [round(min(x0, x1), 2), round(H - max(y0, y1), 2), round(abs(x1 - x0), 2), round(abs(y1 - y0), 2)]
        texts = tuple(t.get_text() for t in rec.drawn if t.get_text())
        svg = _postprocess(raw, params.get("links"))
        w, h = fig.get_size_inches()
    return _Base(svg=svg, width_in=float(w), height_in=float(h), texts=texts, boxes=boxes)


_DRAWERS: dict[str, Callable] = {}  # kind -> its drawer, filled by @draws in the kind's module


def draws(kind: str) -> Callable[[Callable], Callable]:
    """Register the decorated function as the drawer of `kind`: params -> (Figure, _Frame, meta)."""
    def register(fn: Callable) -> Callable:
        _DRAWERS[kind] = fn
        return fn
    return register


def _draw(kind: str, params: dict):
    """Build the laid-out figure of one chart: (Figure, _Frame, meta). Tests wrap this."""
    return _DRAWERS[kind](params)
