"""All charts of the briefings, drawn with matplotlib and returned as inline-ready SVG.

Every chart function returns a `Chart`: an `<svg>` element that can be put straight into an HTML
page (several per page: ids are prefixed per chart), its alt text, natural size and the strings it
draws. The finding-title and the source line are not part of the graphic: the briefing puts them
in HTML around the chart, where they wrap, translate and copy as text.

Conventions:
- Natural width `WIDTH_IN` (3.6 in) for every chart, so that a 351-px-wide phone column shows it at
  scale ≥ 1.35 px/pt: the smallest text (7.5 pt) stays ≥ 10 px. Heights follow the content.
- Labels wrap, never truncate: Chinese between characters (preferring after punctuation), English
  at spaces and hyphens, long single words at syllables with a hyphen. Every text drawn is checked
  against the figure's box after layout.
- A single-hue blue ramp (monotonic in lightness, greyscale safe) plus hatching; a highlight is a
  thick vermilion outline, never colour alone.
- Text stays text (`svg.fonttype = "none"`), with presentation attributes (not `style`) so that the
  page's CSS can override the font; nothing from data is parsed (`text.parse_math = False`).
- Rendering is memoized on the arguments, in memory and on disk (see `cache_dir()`); the tile map
  is rendered once and a highlighted province is drawn into the cached SVG string.

The functions (every one also takes `alt=`; without it the alt text lists the data):
    tile_map(tiles, *, lang, legend_title, legend_labels=None, highlight=None, links=None, bins=None)
    hbar(labels, values, *, value_texts, xlabel, highlight=None, hatched=None, legend=None, reference=None)
    grouped_hbar(categories, series, *, value_texts, xlabel)
    scatter(points, *, xlabel, ylabel, legend=None)
    lifecycle(rows, *, lang, end, stage_labels=None, stage_order=None, basis_labels=None)
    step_total(dates, totals, *, ylabel, point_texts)
    matrix(table, *, xlabel, ylabel)
"""
from __future__ import annotations

import functools
import hashlib
import html
import io
import json
import logging
import math
import os
import re
import shutil
import tempfile
import threading
import unicodedata
import xml.etree.ElementTree as ET
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping, Sequence

import matplotlib
import numpy as np
import pandas as pd
from matplotlib import font_manager

from nrmc import fonts
from matplotlib.backends.backend_svg import RendererSVG
from matplotlib.figure import Figure
from matplotlib.ft2font import LoadFlags
from matplotlib.font_manager import FontProperties
from matplotlib.lines import Line2D
from matplotlib.patches import Rectangle
from matplotlib.collections import LineCollection, PathCollection
from matplotlib.markers import MarkerStyle
from matplotlib.text import Text
from matplotlib.transforms import Affine2D, IdentityTransform
from matplotlib.textpath import TextToPath
from matplotlib.ticker import MaxNLocator

log = logging.getLogger(__name__)

CHARTS_VERSION = "3"  # bump when the output changes in a way the code hash below would not see

MissingCJKFontError = fonts.MissingCJKFontError

# A sequential blue ramp from light to dark (ColorBrewer Blues, 5 classes): colour-blind safe and
# monotonic in lightness, so the order survives greyscale printing.
RAMP = ["#eff3ff", "#bdd7e7", "#6baed6", "#3182bd", "#08519c"]
DARK = "#08306b"
MID = "#4a7fb5"
LIGHT = "#c6dbef"
GREY = "#bdbdbd"
INK = "#1a1a1a"
EDGE = "#6b6b6b"
HIGHLIGHT = "#d55e00"  # Okabe–Ito vermilion; always a thick outline, never colour alone
HIGHLIGHT_LW = 2.5     # pt

WIDTH_IN = 3.6     # natural width of every chart
MIN_FONT = 7.5     # pt, smallest text anywhere
FONT = 8.0         # pt, ticks, values, labels, legends
PAD = 3.0          # pt, empty margin around every chart
W_PT = WIDTH_IN * 72
FONT_STACK = ("Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "Source Han Sans CN",
              "PingFang SC", "Microsoft YaHei")
SVG_NS = "http://www.w3.org/2000/svg"
XLINK_NS = "http://www.w3.org/1999/xlink"
ET.register_namespace("", SVG_NS)
ET.register_namespace("xlink", XLINK_NS)


@functools.lru_cache(maxsize=1)
def cjk_font() -> str:
    """The CJK family for charts (found by nrmc.fonts, the one place fonts are looked up),
    registered with matplotlib; MissingCJKFontError with the install command when there is none,
    instead of letting matplotlib draw empty boxes."""
    font = fonts.cjk_font()
    names = {f.name for f in font_manager.fontManager.ttflist}
    if font.family not in names:
        try:
            font_manager.fontManager.addfont(font.path)
        except (OSError, RuntimeError, ValueError) as err:
            raise MissingCJKFontError(f"The CJK font {font.path} cannot be read by matplotlib ({err}). "
                                      f"Reinstall it: {fonts.INSTALL_HINT}") from err
    return font.family


def _families() -> list[str]:
    return [cjk_font(), "DejaVu Sans"]


def _rc() -> dict:
    return {
        "font.family": _families(),
        "font.size": FONT,
        "text.parse_math": False,
        "text.usetex": False,
        "axes.unicode_minus": False,
        "svg.fonttype": "none",
        "svg.hashsalt": "nrmc",
        "figure.dpi": 72,
        "axes.spines.top": False,
        "axes.spines.right": False,
        "axes.linewidth": 0.6,
        "axes.edgecolor": "#555555",
        "axes.labelsize": FONT,
        "axes.labelcolor": INK,
        "axes.labelpad": 3.0,
        "text.color": INK,
        "xtick.labelsize": FONT,
        "ytick.labelsize": FONT,
        "xtick.color": "#555555",
        "ytick.color": "#555555",
        "xtick.labelcolor": INK,
        "ytick.labelcolor": INK,
        "xtick.major.width": 0.6,
        "ytick.major.width": 0.6,
        "xtick.major.size": 3.0,
        "ytick.major.size": 3.0,
        "xtick.major.pad": 2.0,
        "ytick.major.pad": 3.0,
        "hatch.linewidth": 0.6,
        "lines.solid_capstyle": "butt",
    }


def setup() -> str:
    """Configure matplotlib globally for charts drawn in a notebook (the chart functions of this
    module do not need it: they render in their own rc context). Returns the CJK family."""
    rc = _rc()
    matplotlib.rcParams.update({k: v for k, v in rc.items() if k not in ("figure.dpi",)})
    return rc["font.family"][0]


# =============================================================================================
# The result
# =============================================================================================
@dataclass(frozen=True)
class Chart:
    """A rendered chart: `svg` is an inline-ready <svg> element (no prolog, ids prefixed per chart,
    `role="img"` with a <title> holding `alt`, no width/height: it scales to its container)."""

    svg: str
    alt: str
    width_in: float
    height_in: float
    texts: tuple[str, ...]

    def __html__(self) -> str:  # MarkupSafe / Jinja2
        return self.svg

    def _repr_html_(self) -> str:  # Jupyter shows the chart itself
        return f'<div style="max-width:{self.width_in * 1.5:.2f}in">{self.svg}</div>'

    def __str__(self) -> str:
        return self.svg

    def __repr__(self) -> str:
        alt = self.alt if len(self.alt) <= 60 else self.alt[:57] + "..."
        return f"Chart({self.width_in:g}x{self.height_in:.2f} in, {len(self.svg):,} chars, alt={alt!r})"

    def data_uri(self) -> str:
        """The SVG as a data: URI, for an <img src> (the alt text then goes on the <img>)."""
        import base64

        return "data:image/svg+xml;base64," + base64.b64encode(self.svg.encode("utf-8")).decode("ascii")


@dataclass(frozen=True)
class _Base:
    """What the cache stores: the SVG with placeholders for the id prefix and the alt text."""

    svg: str
    width_in: float
    height_in: float
    texts: tuple[str, ...]
    boxes: dict  # tile code -> [x, y, w, h] in SVG user units (tile map only)

    def to_json(self) -> str:
        return json.dumps({"svg": self.svg, "w": self.width_in, "h": self.height_in,
                           "texts": list(self.texts), "boxes": self.boxes}, ensure_ascii=False)

    @classmethod
    def from_json(cls, s: str) -> "_Base":
        d = json.loads(s)
        if not isinstance(d.get("svg"), str) or not d["svg"].startswith("<svg") or not d["svg"].endswith("</svg>"):
            raise ValueError("not a chart")
        return cls(d["svg"], float(d["w"]), float(d["h"]), tuple(str(t) for t in d["texts"]),
                   {str(k): [float(x) for x in v] for k, v in d["boxes"].items()})


_ID = "\x01"      # placeholder for the per-chart id prefix (control characters never reach the SVG)
_ALT = "\x02"     # placeholder for the alt text inside <title>


# =============================================================================================
# Text: cleaning, measuring, wrapping
# =============================================================================================
_CTRL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\u00ad\u200b]")


def _clean(s: Any) -> str:
    """Data text as plain text: str, no control characters, NaN/None as an empty string."""
    if s is None or (isinstance(s, float) and math.isnan(s)):
        return ""
    s = unicodedata.normalize("NFC", str(s)).replace("\r\n", "\n").replace("\r", "\n").replace("\t", " ")
    return _CTRL.sub("", s).strip()


_T2P = TextToPath()
_font_lock = threading.Lock()


@functools.lru_cache(maxsize=4)
def _font_files(weight: str) -> tuple:
    return tuple(font_manager.fontManager._find_fonts_by_props(FontProperties(family=_families(), weight=weight)))


@functools.lru_cache(maxsize=1 << 16)
def _tw(s: str, size: float = FONT, weight: str = "normal") -> float:
    """Width in points of one line of text, exactly as the SVG backend measures it
    (TextToPath: unhinted, at 100 pt, scaled), without resolving the font on every call."""
    if not s:
        return 0.0
    with _font_lock:
        font = font_manager.get_font(list(_font_files(weight)))
        font.set_size(TextToPath.FONT_SCALE, TextToPath.DPI)
        font.set_text(s, 0.0, flags=LoadFlags.NO_HINTING)
        w, _ = font.get_width_height()
    return w / 64.0 * size / TextToPath.FONT_SCALE


_scratch_lock = threading.Lock()


@functools.lru_cache(maxsize=1)
def _scratch():
    fig = Figure(figsize=(WIDTH_IN, 4), dpi=72)
    return fig, RendererSVG(W_PT, 288, io.StringIO())


@functools.lru_cache(maxsize=4096)
def _box(s: str, size: float = FONT, weight: str = "normal", rotation: float = 0) -> tuple[float, float]:
    """(width, height) in points of a (multi-line) text as matplotlib lays it out."""
    with _scratch_lock:
        fig, renderer = _scratch()
        t = Text(0, 0, s or " ", fontsize=size, fontweight=weight, fontfamily=_families(),
                 rotation=rotation, parse_math=False, linespacing=LINESPACING)
        t.set_figure(fig)
        bb = t.get_window_extent(renderer)
        return bb.width, bb.height


LINESPACING = 1.1


def _block_h(lines: int | str, size: float = FONT) -> float:
    n = lines if isinstance(lines, int) else lines.count("\n") + 1
    return _box("\n".join(["国lp"] * max(n, 1)), size)[1]


_CJK = re.compile(r"[\u2e80-\u2fff\u3000-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef]")
NO_START = set("，。、；：？！）》」』】〕,.;:?!)]}%％·…—’”")  # never begin a line
NO_END = set("（《「『【〔([{‘“")                              # never end a line
PREFER_AFTER = set("，。、；：？！）》」』】 ")                   # good places to break
_VOWELS = set("aeiouyüv")


def _is_cjk(s: str) -> bool:
    return bool(_CJK.search(s))


# Pinyin syllables (permissive: initial + final), for hyphenating romanised names at syllables.
_PY_INITIALS = ("zh", "ch", "sh", "b", "p", "m", "f", "d", "t", "n", "l", "g", "k", "h", "j", "q", "x", "r", "z",
                "c", "s", "y", "w", "")
_PY_FINALS = ("iang", "iong", "uang", "ueng", "ang", "eng", "ing", "ong", "ian", "iao", "uai", "uan", "ai", "ei",
              "ao", "ou", "an", "en", "in", "un", "ia", "ie", "iu", "ua", "uo", "ui", "ue", "er", "a", "o", "e",
              "i", "u", "v", "ü")
_PY_SYL = {i + f for i in _PY_INITIALS for f in _PY_FINALS} | {"shaan"}  # Shaanxi's official spelling


def _pinyin_split(word: str) -> list[str] | None:
    """Split a romanised Chinese name into syllables ('Heilongjiang' -> Hei, long, jiang), or None.
    Written pinyin puts an apostrophe before a syllable that starts with a vowel, so without one a
    consonant goes with the vowel after it: Hu-nan, not Hun-an; Yun-nan; Shaan-xi."""
    w = word.lower()
    if not w.isalpha() or len(w) < 4:
        return None

    @functools.lru_cache(maxsize=None)
    def best(i: int):
        """(vowel-initial syllables after the first, number of syllables, cuts) for w[i:]."""
        if i == len(w):
            return (0, 0, ())
        found = None
        for j in range(min(len(w), i + 6), i + 1, -1):  # syllables of 2+ letters
            if w[i:j] in _PY_SYL:
                rest = best(j)
                if rest is not None:
                    cand = (rest[0] + (1 if i > 0 and w[i] in "aeiou" else 0), rest[1] + 1, (j,) + rest[2])
                    if found is None or cand[:2] < found[:2]:
                        found = cand
        return found

    res = best(0)
    if not res or res[1] < 2:
        return None
    out, start = [], 0
    for c in res[2]:
        out.append(word[start:c])
        start = c
    return out


def _syllables(word: str) -> list[str]:
    """Pieces of a word that may be separated by a hyphen at a line end."""
    py = _pinyin_split(word)
    if py:
        return py
    # generic English: break before a consonant that is followed by a vowel (Mon-go-lia, Ti-bet)
    pieces, start = [], 0
    low = word.lower()
    for i in range(2, len(word) - 2):
        if low[i] not in _VOWELS and low[i].isalpha() and low[i + 1] in _VOWELS and low[i - 1].isalpha():
            if i - start >= 2:
                pieces.append(word[start:i])
                start = i
    pieces.append(word[start:])
    return pieces if len(pieces) > 1 else list(word)


SOFT = "\u00ad"   # a break inside a word that shows a hyphen at the end of a line
ZWSP = "\u200b"   # a break inside a word that shows nothing (pinyin syllables in tiny tiles)


def _atoms(s: str) -> list[str]:
    """Split text into pieces between which a line may break. A piece ending in SOFT shows a
    hyphen only when a line ends after it; one ending in ZWSP shows nothing."""
    out: list[str] = []
    for m in re.finditer(r"[\u2e80-\u2fff\u3000-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef]|[^\s\u2e80-\u2fff\u3000-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef]+\s*|\s+", s):
        a = m.group(0)
        if _is_cjk(a) or a.isspace():
            out.append(a)
            continue
        # English word (with its trailing space): break after hyphens and slashes
        parts = re.findall(r"[^-/–]+[-/–]*|[-/–]+", a)
        out.extend(parts)
    # glue: a piece that must not start a line sticks to the previous one, a piece that must not
    # end a line sticks to the next one
    glued: list[str] = []
    for a in out:
        if glued and (a[0] in NO_START or glued[-1][-1] in NO_END or a.isspace()):
            glued[-1] += a
        else:
            glued.append(a)
    return glued


def _line(atoms: Sequence[str]) -> str:
    if not atoms:
        return ""
    body = "".join(a.replace(SOFT, "").replace(ZWSP, "") for a in atoms[:-1])
    last = atoms[-1]
    body += last[:-1] + "-" if last.endswith(SOFT) else last.replace(ZWSP, "")
    return body.strip()


def _wrap_para(s: str, width: float, size: float, weight: str, pinyin_hyphen: bool = True,
               balance: bool = True) -> list[str]:
    if _tw(s, size, weight) <= width:
        return [s]
    atoms: list[str] = []
    for a in _atoms(s):
        if _tw(a.strip(), size, weight) > width and not _is_cjk(a):
            word, tail = a.rstrip(), a[len(a.rstrip()):]
            py = _pinyin_split(word)
            pieces = py or _syllables(word)
            mark = ZWSP if (py and not pinyin_hyphen) else SOFT
            atoms.extend(p + mark for p in pieces[:-1])
            atoms.append(pieces[-1] + tail)
        else:
            atoms.append(a)
    lines = _greedy(atoms, width, size, weight)
    if balance and len(lines) > 1:
        # the narrowest width that needs no more lines: even lines, no lone last character
        lo, hi = width * 0.4, width
        for _ in range(8):
            mid = (lo + hi) / 2
            if len(_greedy(atoms, mid, size, weight)) <= len(lines):
                hi = mid
            else:
                lo = mid
        lines = _greedy(atoms, hi, size, weight)
    return lines


def _greedy(atoms: list[str], width: float, size: float, weight: str) -> list[str]:
    lines: list[str] = []
    cur: list[str] = []
    i = 0
    while i < len(atoms):
        a = atoms[i]
        if not cur or _tw(_line(cur + [a]), size, weight) <= width:
            cur.append(a)
            i += 1
            continue
        # cur is full: break after punctuation if that keeps the line at least half full
        cut = len(cur)
        full = _tw(_line(cur), size, weight)
        for j in range(len(cur) - 1, 0, -1):
            if cur[j - 1][-1] in PREFER_AFTER and _is_cjk(cur[j - 1]) and _tw(_line(cur[:j]), size, weight) >= 0.5 * full:
                cut = j
                break
        lines.append(_line(cur[:cut]))
        cur = cur[cut:]
    if cur:
        lines.append(_line(cur))
    # a piece wider than the line on its own (a single long syllable): split by character
    out: list[str] = []
    for ln in lines:
        while _tw(ln, size, weight) > width and len(ln) > 1:
            k = len(ln) - 1
            while k > 1 and _tw(ln[:k] + ("" if _is_cjk(ln[k - 1]) else "-"), size, weight) > width:
                k -= 1
            out.append(ln[:k] + ("" if _is_cjk(ln[k - 1]) or not ln[k - 1].isalnum() else "-"))
            ln = ln[k:]
        out.append(ln)
    return [ln for ln in out if ln] or [""]


def wrap(text: str, width: float, size: float = FONT, weight: str = "normal", *, pinyin_hyphen: bool = True,
         balance: bool = True) -> str:
    """Wrap `text` to lines of at most `width` points (measured in the chart font); returns the
    lines joined by newlines. Existing newlines are kept. Never truncates: a word longer than the
    line is broken at syllables (pinyin, else before a consonant–vowel pair) with a hyphen, at worst
    between letters. `balance` evens out the lines (no lone last character)."""
    text = _clean(text)
    lines: list[str] = []
    for para in text.split("\n"):
        para = re.sub(r"[ ]+", " ", para.strip())
        lines += _wrap_para(para, width, size, weight, pinyin_hyphen, balance) if para else [""]
    return "\n".join(lines)


def _maxw(s: str, size: float = FONT, weight: str = "normal") -> float:
    return max((_tw(ln, size, weight) for ln in s.split("\n")), default=0.0)


def _fmt_num(v: float) -> str:
    """A tick or bin number: thousands separators, at most 2 decimals, no trailing zeros."""
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "—"
    if abs(v - round(v)) < 1e-9:
        s = f"{int(round(v)):,}"
    else:
        s = f"{v:,.2f}".rstrip("0").rstrip(".")
    return s.replace("-", "\u2212")  # a real minus sign


# =============================================================================================
# Figure helpers
# =============================================================================================
def _new_fig() -> Figure:
    return Figure(figsize=(WIDTH_IN, 3.0), dpi=72)


def _text(ax, x, y, s, **kw) -> Text:
    kw.setdefault("fontsize", FONT)
    kw.setdefault("linespacing", LINESPACING)
    return ax.text(x, y, s, parse_math=False, fontfamily=_families(), **kw)


class _Canvas:
    """A frameless drawing area: artists go straight onto the figure, in points from the area's
    top-left corner (y down). Much cheaper than an axes with its ticks."""

    def __init__(self, frame: "_Frame", left: float, top: float):
        self.frame, self.fig = frame, frame.fig
        self.offset = Affine2D().translate(left, top)
        self.transData = self.offset + frame.page

    def _add(self, artist):
        artist.set_transform(self.transData)
        self.fig.add_artist(artist)
        return artist

    def add_patch(self, p):
        return self._add(p)

    def add_line(self, line):
        return self._add(line)

    def text(self, x, y, s, **kw):
        return self._add(Text(x, y, s, **kw))

    def scatter(self, xs, ys, *, marker="o", s=36.0, facecolors=DARK, edgecolors=DARK, linewidths=1.0,
                linestyles="solid", zorder=3):
        ms = MarkerStyle(marker)
        path = ms.get_path().transformed(ms.get_transform())
        coll = PathCollection([path], sizes=[s], offsets=list(zip(xs, ys)), offset_transform=self.transData,
                              facecolors=facecolors, edgecolors=edgecolors, linewidths=linewidths,
                              linestyles=linestyles, zorder=zorder)
        coll.set_transform(IdentityTransform())
        self.fig.add_artist(coll)
        return coll


class _Frame:
    """Positions given in points from the top-left corner; the figure height is set last."""

    def __init__(self, fig: Figure):
        self.fig = fig
        self.boxes: list[tuple[Any, tuple[float, float, float, float]]] = []
        self.page = Affine2D()  # points from the top-left corner -> display (set in finish)
        self.canvases: list[_Canvas] = []

    def add(self, left: float, top: float, width: float, height: float, *, frameless=True):
        if frameless:
            c = _Canvas(self, left, top)
            self.canvases.append(c)
            return c
        ax = self.fig.add_axes((0, 0, 1, 1))
        self.boxes.append((ax, (left, top, width, height)))
        return ax

    def place(self, ax, left, top, width, height):
        self.boxes = [(a, b) if a is not ax else (a, (left, top, width, height)) for a, b in self.boxes]

    def finish(self, height_pt: float):
        h = round(max(height_pt, 20.0), 1)  # the viewBox's height, in points
        self.fig.set_size_inches(WIDTH_IN, h / 72)
        for ax, (left, top, width, hh) in self.boxes:
            ax.set_position((left / W_PT, (h - top - hh) / h, width / W_PT, hh / h))
        self.page.clear().scale(1.0, -1.0).translate(0.0, h)  # the figure's dpi is 72: 1 pt = 1 px
        return h

    def shift(self, left: float, top: float, scale: float, height_pt: float):
        """Move everything right by `left` and down by `top`, shrinking widths by `scale`."""
        self.boxes = [(ax, (left + l * scale, t + top, w * scale, h)) for ax, (l, t, w, h) in self.boxes]
        for c in self.canvases:
            (tx, ty) = c.offset.get_matrix()[:2, 2]
            c.offset.clear().translate(left + tx * scale, ty + top)
        return self.finish(height_pt)


# ---- legends (drawn by hand: entries wrap, and the height is known before the figure's) ----
SW_W, SW_H, SW_GAP, ENTRY_SEP = 12.0, 8.0, 3.0, 10.0


@dataclass
class _Entry:
    kind: str   # patch | line | marker
    style: dict
    text: str


def _legend_layout(entries: Sequence[_Entry], width: float, title: str | None = None):
    placed: list[tuple] = []
    y = 0.0
    if title:
        t = wrap(title, width)
        placed.append(("title", 0.0, 0.0, None, t))
        y += _box(t)[1] + 2.0
    x, row_h = 0.0, 0.0
    for e in entries:
        text = wrap(e.text, width - SW_W - SW_GAP)
        tw = _maxw(text)
        ew = SW_W + SW_GAP + tw
        eh = max(_box(text)[1], SW_H)
        if x > 0 and x + ew > width:
            x, y, row_h = 0.0, y + row_h + 3.0, 0.0
        placed.append(("entry", x, y, e, text))
        x += ew + ENTRY_SEP
        row_h = max(row_h, eh)
    return placed, (y + row_h if entries else y)


def _legend_draw(ax, placed):
    line1 = _box("国lp")[1]
    for what, x, y, e, text in placed:
        if what == "title":
            _text(ax, x, y, text, va="top", ha="left")
            continue
        cy = y + line1 / 2
        if e.kind == "patch":
            st = dict(e.style)
            ax.add_patch(Rectangle((x + 0.5, cy - SW_H / 2), SW_W - 1, SW_H, **st))
        elif e.kind == "line":
            ax.add_line(Line2D([x, x + SW_W], [cy, cy], **e.style))
        elif e.kind == "marker":
            ax.scatter([x + SW_W / 2], [cy], **e.style)
        _text(ax, x + SW_W + SW_GAP, y, text, va="top", ha="left")


def _patch_style(style: str) -> dict:
    if style == "highlight":
        return dict(facecolor=DARK, edgecolor=HIGHLIGHT, linewidth=2.0)
    if style == "hatched":
        return dict(facecolor=LIGHT, edgecolor=DARK, linewidth=0.6, hatch="////", hatchcolor=DARK)
    return dict(facecolor=MID, edgecolor="none", linewidth=0)


# ---- the text-inside check ----
class _Recorder(RendererSVG):
    """The SVG renderer, remembering every Text artist it draws, in order. (Multi-line texts reach
    `draw_text` without their artist, so texts are recognised by the group id they open.)"""

    def __init__(self, *a, texts: dict | None = None, **k):
        super().__init__(*a, **k)
        self.drawn: list[Text] = []
        self._texts = texts or {}

    def open_group(self, s, gid=None):
        if s == "text" and gid in self._texts:
            self.drawn.append(self._texts[gid])
        super().open_group(s, gid)


def _save(fig: Figure) -> tuple[str, _Recorder]:
    texts = {}
    for n, t in enumerate(fig.findobj(Text)):
        if not t.get_gid():
            t.set_gid(f"nrmc-text-{n}")  # unreferenced ids are dropped from the output
        texts[t.get_gid()] = t
    buf = io.StringIO()
    fig.set_dpi(72)
    w, h = fig.get_size_inches()
    renderer = _Recorder(w * 72, h * 72, buf, image_dpi=72, texts=texts,
                         metadata={"Date": None, "Creator": None, "Format": None, "Type": None})
    fig.draw(renderer)
    renderer.finalize()
    return buf.getvalue(), renderer


def text_overflow(fig: Figure, renderer, drawn: Iterable[Text]) -> list[tuple[str, tuple[float, float, float, float]]]:
    """Texts whose extent leaves the figure: [(text, (x0, y0, x1, y1)), ...] in points."""
    W, H = fig.bbox.width, fig.bbox.height
    out = []
    for t in drawn:
        if not t.get_visible() or not t.get_text().strip():
            continue
        bb = t.get_window_extent(renderer)
        if bb.x0 < -0.01 or bb.y0 < -0.01 or bb.x1 > W + 0.01 or bb.y1 > H + 0.01:
            out.append((t.get_text(), (bb.x0, bb.y0, bb.x1, bb.y1)))
    return out


def _fit(fig: Figure, frame: _Frame) -> tuple[str, _Recorder]:
    """Save; if a text sticks out (which the layouts are built to avoid), move and shrink the axes
    to make room and save again."""
    svg, rec = _save(fig)
    for _ in range(3):
        bad = text_overflow(fig, rec, rec.drawn)
        if not bad:
            return svg, rec
        W, H = fig.bbox.width, fig.bbox.height
        left = max(0.0, max(-b[0] for _, b in bad)) + 0.5
        right = max(0.0, max(b[2] - W for _, b in bad)) + 0.5
        bottom = max(0.0, max(-b[1] for _, b in bad)) + 0.5
        top = max(0.0, max(b[3] - H for _, b in bad)) + 0.5
        log.debug("chart text outside the figure, refitting: %s", bad)
        STATS["refits"] = STATS.get("refits", 0) + 1
        frame.shift(left, top, (W - left - right) / W, H + top + bottom)
        svg, rec = _save(fig)
    log.warning("chart text still outside the figure after refitting: %s", text_overflow(fig, rec, rec.drawn))
    return svg, rec


# =============================================================================================
# SVG post-processing: inline-ready, prefixed ids, presentation attributes
# =============================================================================================
_PRESENTATION = {"fill", "fill-opacity", "fill-rule", "stroke", "stroke-width", "stroke-linecap", "stroke-linejoin",
                 "stroke-dasharray", "stroke-dashoffset", "stroke-opacity", "stroke-miterlimit", "opacity",
                 "font-size", "font-family", "font-weight", "font-style", "font-variant", "font-stretch",
                 "text-anchor", "clip-path", "visibility", "display", "letter-spacing"}
_URL = re.compile(r"url\(#([^)]+)\)")


def _font_stack() -> str:
    names = list(dict.fromkeys((FONT_STACK[0], cjk_font()) + FONT_STACK[1:]))
    return ", ".join(f"'{n}'" for n in names) + ", sans-serif"


def _q(tag: str) -> str:
    return f"{{{SVG_NS}}}{tag}"


_GEOMETRY = ("x", "y", "width", "height", "transform", "points", "x1", "x2", "y1", "y2", "cx", "cy", "r")
_NUM = re.compile(r"-?\d+\.\d{3,}")


def _round(m: re.Match) -> str:
    s = f"{float(m.group(0)):.2f}".rstrip("0").rstrip(".")
    return "0" if s == "-0" else s


def _flatten(el) -> None:
    """Replace every <g> without attributes by its children (matplotlib nests them deeply)."""
    i = 0
    while i < len(el):
        child = el[i]
        _flatten(child)
        if child.tag == _q("g") and not child.attrib:
            el.remove(child)
            for k, grand in enumerate(list(child)):
                el.insert(i + k, grand)
            i += len(child)
        else:
            i += 1


def _postprocess(raw: str, links: Mapping[str, str] | None = None) -> str:
    root = ET.fromstring(raw)
    # drop metadata and matplotlib's global <style> (it would style the whole HTML page)
    for parent in list(root.iter()):
        for child in list(parent):
            if child.tag in (_q("metadata"), _q("style")):
                parent.remove(child)
    for defs in root.findall(_q("defs")):
        if len(defs) == 0:
            root.remove(defs)
    for a in ("width", "height", "version"):
        root.attrib.pop(a, None)
    root.set("class", "nrmc-chart")
    root.set("role", "img")
    root.set("preserveAspectRatio", "xMidYMid meet")
    root.set("stroke-linejoin", "round")
    root.set("stroke-linecap", "butt")
    fonts = _font_stack()

    # links: one <a> around the rect and texts of each linked tile
    if links:
        for parent in list(root.iter()):
            kids = list(parent)
            groups: dict[str, list] = {}
            for k in kids:
                gid = k.get("id", "")
                if gid.startswith("tile-"):
                    groups.setdefault(gid.split("-")[1], []).append(k)
            for code_hex, members in groups.items():
                code = bytes.fromhex(code_hex).decode("utf-8")
                href = links.get(code)
                if not href:
                    continue
                idx = list(parent).index(members[0])
                a = ET.Element(_q("a"), {"href": href})
                for m in members:
                    parent.remove(m)
                    a.append(m)
                parent.insert(idx, a)
        root.set("role", "group")  # links inside role=img would be hidden from assistive technology

    refs: list[str] = []
    for el in root.iter():
        # style="a: b; c: d" -> presentation attributes, which the page's CSS can override
        style = el.attrib.pop("style", None)
        if style:
            rest = []
            for decl in style.split(";"):
                if ":" not in decl:
                    continue
                k, v = (x.strip() for x in decl.split(":", 1))
                if k in _PRESENTATION:
                    el.set(k, v)
                else:
                    rest.append(f"{k}: {v}")
            if rest:
                el.set("style", "; ".join(rest))
        if "font-family" in el.attrib:  # inherited from the root, where the page's CSS can override it
            del el.attrib["font-family"]
        for k in _GEOMETRY:
            v = el.get(k)
            if v is not None:
                el.set(k, _NUM.sub(_round, v))
        tr = el.get("transform")
        if tr and re.fullmatch(r"rotate\(-?0 [-\d.e]+ [-\d.e]+\)", tr):
            del el.attrib["transform"]
        d = el.get("d")
        if d:
            el.set("d", _NUM.sub(_round, " ".join(d.split())))
        x = el.attrib.pop(f"{{{XLINK_NS}}}href", None)
        if x is not None:
            el.set("href", x)
        if el.tag == _q("a"):
            el.attrib.pop("target", None)
        for k, v in el.attrib.items():
            if k == "href" and v.startswith("#") and el.tag != _q("a"):
                refs.append(v[1:])
            refs += _URL.findall(v)
        if el.text is not None and not el.text.strip() and el.tag != _q("text"):
            el.text = None
        if el.tail is not None and not el.tail.strip():
            el.tail = None
    names: dict[str, str] = {}
    for r in refs:
        names.setdefault(r, f"{_ID}{len(names):x}")
    for el in root.iter():
        i = el.get("id")
        if i is not None:
            if i in names:
                el.set("id", names[i])
            else:
                del el.attrib["id"]
        for k, v in list(el.attrib.items()):
            if k == "href" and v.startswith("#") and el.tag != _q("a") and v[1:] in names:
                el.set(k, "#" + names[v[1:]])
            elif "url(#" in v:
                el.set(k, _URL.sub(lambda m: f"url(#{names.get(m.group(1), m.group(1))})", v))
    _flatten(root)
    root.set("font-family", fonts)
    title = ET.Element(_q("title"))
    title.text = _ALT
    root.insert(0, title)
    svg = ET.tostring(root, encoding="unicode")
    if svg.startswith("<?xml"):
        svg = svg.split("?>", 1)[1].lstrip()
    return svg


def _finish(base: _Base, key: str, alt: str, highlight: str | None = None) -> Chart:
    alt = _clean(alt)
    extra = ""
    if highlight is not None:
        box = base.boxes.get(str(highlight))
        if box is None:
            raise ValueError(f"highlight: no tile with code {highlight!r}")
        x, y, w, h = box
        extra = (f'<rect class="nrmc-highlight" x="{x:.2f}" y="{y:.2f}" width="{w:.2f}" height="{h:.2f}" '
                 f'fill="none" stroke="{HIGHLIGHT}" stroke-width="{HIGHLIGHT_LW}" pointer-events="none"/>')
    prefix = "c" + hashlib.sha256(f"{key}\x00{alt}\x00{highlight}".encode()).hexdigest()[:8] + "-"
    svg = base.svg.replace(_ID, prefix).replace(_ALT, html.escape(alt, quote=False))
    if extra:
        svg = svg[: -len("</svg>")] + extra + "</svg>"
    return Chart(svg=svg, alt=alt, width_in=base.width_in, height_in=base.height_in, texts=base.texts)


# =============================================================================================
# Caching
# =============================================================================================
_MEM: "OrderedDict[str, _Base]" = OrderedDict()
_MEM_MAX = 512
_mem_lock = threading.Lock()
STATS = {"hits_memory": 0, "hits_disk": 0, "renders": 0}


def cache_dir() -> Path:
    """$NRMC_CACHE_DIR, else $XDG_CACHE_HOME/nrmc/charts, else ~/.cache/nrmc/charts."""
    if os.environ.get("NRMC_CACHE_DIR"):
        return Path(os.environ["NRMC_CACHE_DIR"])
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "nrmc" / "charts"


def cache_clear(memory: bool = True, disk: bool = False) -> None:
    if memory:
        with _mem_lock:
            _MEM.clear()
    if disk:
        shutil.rmtree(cache_dir(), ignore_errors=True)


@functools.lru_cache(maxsize=1)
def _environment_key() -> str:
    """What, besides the arguments, changes the output: this module's code, matplotlib, the font."""
    try:
        font = font_manager.findfont(FontProperties(family=_families()), fallback_to_default=True)
        mtime = os.stat(font).st_mtime_ns
    except OSError:
        font, mtime = "?", 0
    code = hashlib.sha256(Path(__file__).read_bytes()).hexdigest()[:16]
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
        raw, rec = _fit(fig, frame)
        H = fig.bbox.height
        boxes = {}
        for code, ax, (x, y, w, h) in meta.get("tiles", []):
            (x0, y0), (x1, y1) = ax.transData.transform([(x, y), (x + w, y + h)])
            boxes[code] = [round(min(x0, x1), 2), round(H - max(y0, y1), 2), round(abs(x1 - x0), 2), round(abs(y1 - y0), 2)]
        texts = tuple(t.get_text() for t in rec.drawn if t.get_text())
        svg = _postprocess(raw, params.get("links"))
        w, h = fig.get_size_inches()
    return _Base(svg=svg, width_in=float(w), height_in=float(h), texts=texts, boxes=boxes)


def _draw(kind: str, params: dict):
    """Build the laid-out figure of one chart: (Figure, _Frame, meta). Tests wrap this."""
    return _DRAWERS[kind](params)


# =============================================================================================
# Parameter normalisation (the cache key is exactly what the drawing reads)
# =============================================================================================
def _num(v) -> float | None:
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(f) or math.isinf(f) else f


def _bools(v, n: int, name: str) -> list[bool]:
    if v is None:
        return [False] * n
    out = [bool(x) for x in v]
    if len(out) != n:
        raise ValueError(f"{name}: {len(out)} values for {n} bars")
    return out


def _strs(v, n: int, name: str) -> list[str]:
    out = [_clean(x) for x in v]
    if len(out) != n:
        raise ValueError(f"{name}: {len(out)} values for {n} items")
    return out


def _date(v) -> str:
    ts = pd.Timestamp(v)
    if pd.isna(ts):
        raise ValueError(f"not a date: {v!r}")
    return ts.strftime("%Y-%m-%d")


def _year(iso: str) -> float:
    ts = pd.Timestamp(iso)
    start = pd.Timestamp(year=ts.year, month=1, day=1)
    days = 366 if ts.is_leap_year else 365
    return ts.year + (ts - start).days / days


def _is_zh(*texts: str) -> bool:
    return any(_is_cjk(t) for t in texts)


def _sep(zh: bool) -> str:
    return "；" if zh else "; "


_SAFE_HREF = re.compile(r"^(?![a-zA-Z][a-zA-Z0-9+.-]*:)|^(https?|mailto):", re.I)


def _href(h: Any) -> str:
    h = _clean(h)
    if not _SAFE_HREF.match(h):
        raise ValueError(f"refusing link {h!r}: only relative, http(s) and mailto links")
    return h


# =============================================================================================
# 1. Tile map
# =============================================================================================
TILE_GAP = 1.4
TILE_PAD = 0.3


def tile_map(tiles: pd.DataFrame, *, lang: str, legend_title: str, legend_labels: Mapping[str, str] | None = None,
             highlight: str | None = None, links: Mapping[str, str] | None = None,
             bins: Sequence[float] | None = None, alt: str | None = None) -> Chart:
    """A tile-grid map of provinces.

    `tiles`: columns code, label, tile_row, tile_col, value (float or NaN), value_text (shown
    under the label), kind ∈ {"count", "known", "exporter", "unknown"}. "count" tiles are shaded by
    value on the ramp (0 lightest); "known" is hatched (centres known, number unknown); "exporter"
    has horizontal lines; "unknown" is white with a dashed border. The legend explains the ramp's bins and every
    kind present, using `legend_labels` {kind: text} ("count" is the ramp, titled `legend_title`).
    `bins`: optional upper edges of the positive classes (else chosen from the values).
    `highlight`: a code outlined in vermilion (drawn into the cached base map). `links`:
    {code: href}, each tile becomes a link (the map is then role="group").
    """
    need = {"code", "label", "tile_row", "tile_col", "value", "value_text", "kind"}
    missing = need - set(tiles.columns)
    if missing:
        raise ValueError(f"tile_map: missing columns {sorted(missing)}")
    recs = []
    cols = {c: tiles[c].tolist() for c in need}  # column lists: much faster than iterating rows
    for code, label, row, col, value, vt, kind in zip(*(cols[c] for c in (
            "code", "label", "tile_row", "tile_col", "value", "value_text", "kind"))):
        kind = _clean(kind) or "count"
        if kind not in ("count", "known", "exporter", "unknown"):
            raise ValueError(f"tile_map: unknown kind {kind!r}")
        recs.append({"code": _clean(code), "label": _clean(label), "row": int(row), "col": int(col),
                     "value": _num(value), "value_text": _clean(vt), "kind": kind})
    recs.sort(key=lambda t: (t["row"], t["col"], t["code"]))
    params = {"tiles": recs, "lang": lang, "legend_title": _clean(legend_title),
              "legend_labels": {str(k): _clean(v) for k, v in sorted((legend_labels or {}).items())},
              "bins": [float(b) for b in bins] if bins else None,
              "links": {str(k): _href(v) for k, v in sorted((links or {}).items())} or None}
    key, base = _get("tile_map", params)
    if alt is None:
        zh = lang == "zh"
        items = [f"{t['label'].replace(chr(10), '')} {t['value_text']}".strip() for t in recs if t["value_text"] not in ("", "—")]
        alt = params["legend_title"] + ("：" if zh else ": ") + _sep(zh).join(items)
    return _finish(base, key, alt, highlight=None if highlight is None else _clean(highlight))


def _classes(values: list[float], bins: list[float] | None) -> tuple[list[float], list[str]]:
    """Upper edges of the classes (first class is 0) and their legend labels."""
    pos = [v for v in values if v > 0]
    vmax = max(pos, default=0.0)
    integers = all(float(v).is_integer() for v in values)
    if bins:
        edges = sorted(b for b in bins if b > 0)[: len(RAMP) - 1]
    elif vmax <= 0:
        edges = []
    elif integers and vmax <= len(RAMP) - 1:
        edges = [float(k) for k in range(1, int(vmax) + 1)]
    elif integers:
        step = math.ceil(vmax / (len(RAMP) - 1))
        edges = [float(min(step * k, vmax)) for k in range(1, len(RAMP))]
        edges = sorted(set(edges))
    else:
        edges = [vmax * k / (len(RAMP) - 1) for k in range(1, len(RAMP))]
    labels = ["0"]
    lo = 0.0
    for e in edges:
        if integers:
            a, b = int(math.floor(lo)) + 1, int(e)
            labels.append(_fmt_num(b) if a >= b else f"{_fmt_num(a)}–{_fmt_num(b)}")
        else:
            labels.append(f"{_fmt_num(lo)}–{_fmt_num(e)}" if lo > 0 else f"≤{_fmt_num(e)}")
        lo = e
    return edges, labels


def _class_of(v: float, edges: list[float]) -> int:
    if v <= 0 or not edges:
        return 0
    for k, e in enumerate(edges, start=1):
        if v <= e + 1e-9:
            return k
    return len(edges)


def _ink_on(face: str) -> str:
    """Black or white text, whichever contrasts more with `face`."""
    r, g, b = matplotlib.colors.to_rgb(face)
    lum = sum(c * w for c, w in zip([((x / 12.92) if x <= 0.03928 else ((x + 0.055) / 1.055) ** 2.4) for x in (r, g, b)],
                                    (0.2126, 0.7152, 0.0722)))
    return "white" if (1.05 / (lum + 0.05)) > ((lum + 0.05) / 0.05) else INK


def _kind_style(kind: str, face: str) -> dict:
    if kind == "known":
        return dict(facecolor="white", edgecolor=EDGE, linewidth=0.6, hatch="////", hatchcolor="#8fb4d9")
    if kind == "exporter":
        return dict(facecolor="white", edgecolor=EDGE, linewidth=0.6, hatch="---", hatchcolor="#9a9a9a")
    if kind == "unknown":
        return dict(facecolor="white", edgecolor=EDGE, linewidth=0.8, linestyle=(0, (2.5, 1.5)))
    return dict(facecolor=face, edgecolor=EDGE, linewidth=0.6)


def _draw_tile_map(p: dict):
    tiles = p["tiles"]
    fig = _new_fig()
    frame = _Frame(fig)
    outline = max(0.0, HIGHLIGHT_LW / 2 - TILE_GAP / 2)  # how far a highlight sticks out of the grid
    inner = W_PT - 2 * PAD - 2 * outline
    c0 = min(t["col"] for t in tiles)
    c1 = max(t["col"] for t in tiles)
    r0 = min(t["row"] for t in tiles)
    r1 = max(t["row"] for t in tiles)
    cell = inner / (c1 - c0 + 1)
    tile_w = cell - TILE_GAP
    text_w = tile_w - 2 * TILE_PAD
    # one size for every label: 8 pt if all fit on one line, else 7.5 pt and wrap what must wrap
    # (at syllables, without a hyphen: the tiles are too narrow for 'Shang-', and a chart's text is
    # read as words, where 'Hei- long- jiang' reads as broken)
    size = FONT if all(_maxw(t["label"], FONT) <= text_w for t in tiles) else MIN_FONT
    labels = {t["code"]: wrap(t["label"], text_w, size, pinyin_hyphen=False) for t in tiles}
    vsize = size
    values = {t["code"]: wrap(t["value_text"], text_w, vsize) if t["value_text"] else "" for t in tiles}
    gap_v = 1.0
    need = {}
    for t in tiles:
        h = _box(labels[t["code"]], size)[1]
        if values[t["code"]]:
            h += gap_v + _box(values[t["code"]], vsize)[1]
        need[t["code"]] = h + 2 * TILE_PAD
    # row heights: at least square, taller where a label needs it; rows without tiles are halved
    row_h = {}
    for r in range(r0, r1 + 1):
        in_row = [need[t["code"]] for t in tiles if t["row"] == r]
        row_h[r] = max([tile_w] + in_row) + TILE_GAP if in_row else cell * 0.45
    row_top = {}
    y = 0.0
    for r in range(r0, r1 + 1):
        row_top[r] = y
        y += row_h[r]
    map_w, map_h = inner, y
    left = PAD + outline
    top = PAD + outline
    ax = frame.add(left, top, map_w, map_h)

    counts = [t["value"] for t in tiles if t["kind"] == "count" and t["value"] is not None]
    edges, class_labels = _classes(counts, p["bins"])
    meta_tiles = []
    for i, t in enumerate(tiles):
        x = (t["col"] - c0) * cell + TILE_GAP / 2
        yt = row_top[t["row"]] + TILE_GAP / 2
        th = row_h[t["row"]] - TILE_GAP
        face = "white"
        if t["kind"] == "count":
            face = RAMP[_class_of(t["value"], edges)] if t["value"] is not None else "white"
        style = _kind_style(t["kind"] if (t["kind"] != "count" or t["value"] is not None) else "unknown", face)
        gid = "tile-" + t["code"].encode("utf-8").hex() + "-"
        z = 2 + i * 1e-3
        rect = Rectangle((x, yt), tile_w, th, zorder=z, gid=gid + "r", **style)
        ax.add_patch(rect)
        ink = _ink_on(face) if t["kind"] == "count" else INK
        lab, val = labels[t["code"]], values[t["code"]]
        lh = _box(lab, size)[1]
        vh = _box(val, vsize)[1] if val else 0.0
        block = lh + (gap_v + vh if val else 0.0)
        y0 = yt + (th - block) / 2
        bg = dict(boxstyle="square,pad=0.15", facecolor="white", edgecolor="none") if t["kind"] in ("known", "exporter") else None
        _text(ax, x + tile_w / 2, y0, lab, fontsize=size, ha="center", va="top", multialignment="center",
              color=ink, zorder=z, gid=gid + "l", bbox=bg)
        if val:
            miss = _missing(t["value_text"])
            _text(ax, x + tile_w / 2, y0 + lh + gap_v, val, fontsize=vsize, ha="center", va="top",
                  multialignment="center", color=(MISSING_INK if ink == INK else ink) if miss else ink,
                  zorder=z, gid=gid + "v", fontweight="normal" if miss else "bold", bbox=bg)
        meta_tiles.append((t["code"], ax, (x, yt, tile_w, th)))

    # legend: the ramp's classes, then each other kind present
    entries: list[_Entry] = []
    n_classes = len(edges) + 1 if counts else 0
    present_classes = sorted({_class_of(v, edges) for v in counts})
    for k in range(n_classes):
        # the 0 class only when a tile is 0: on the briefings' map no province is 0 (not in the
        # sources is not zero), and a legend entry for it would suggest otherwise
        if k in present_classes or (k == n_classes - 1 and k > 0):
            entries.append(_Entry("patch", dict(facecolor=RAMP[k], edgecolor=EDGE, linewidth=0.6), class_labels[k]))
    kinds = [t["kind"] if (t["kind"] != "count" or t["value"] is not None) else "unknown" for t in tiles]
    ll = p["legend_labels"]
    defaults = {"zh": {"known": "有中心，数量不详", "exporter": "输出医院所在地", "unknown": "来源未提及"},
                "en": {"known": "Has centres, number unknown", "exporter": "Home of output hospitals",
                       "unknown": "Not in the sources"}}["zh" if p["lang"] == "zh" else "en"]
    kind_entries = []
    for kind in ("known", "exporter", "unknown"):
        if kind in kinds:
            kind_entries.append(_Entry("patch", _kind_style(kind, "white"), ll.get(kind) or defaults[kind]))
    legend_w = W_PT - 2 * PAD
    placed, lh_ = _legend_layout(entries, legend_w, p["legend_title"] or None)
    placed2, lh2 = _legend_layout(kind_entries, legend_w)
    ltop = top + map_h + outline + 4.0
    lax = frame.add(PAD, ltop, legend_w, lh_)
    _legend_draw(lax, placed)
    total = ltop + lh_
    if kind_entries:
        lax2 = frame.add(PAD, total + 3.0, legend_w, lh2)
        _legend_draw(lax2, placed2)
        total += 3.0 + lh2
    frame.finish(total + PAD)
    return fig, frame, {"tiles": meta_tiles}


# =============================================================================================
# Shared axes layout for bar-like charts
# =============================================================================================
def _x_ticks(xmin: float, xmax: float, nbins: int = 4, integer: bool = False) -> list[float]:
    """Round ticks; whole numbers only when the values are counts (no "0.5 centres")."""
    loc = MaxNLocator(nbins=nbins, steps=[1, 2, 2.5, 5, 10], min_n_ticks=2, integer=integer)
    span = xmax - xmin
    return [0.0 if abs(t) < 1e-12 * max(span, 1) else float(t) for t in loc.tick_values(xmin, xmax)
            if xmin - 1e-9 * span <= t <= xmax + 1e-9 * span]


def _value_axis(needed: list[tuple[float, float]], refs: list[float], avail: float):
    """The x range of a bar chart: every bar of value v with its text (width tw) after its end
    (before it, for a negative v) fits in the axes, and so do the first and last tick labels.
    Returns (axes width, xmin, xmax, ticks, right margin)."""
    integer = all(float(v).is_integer() for v, _ in needed) and all(float(r).is_integer() for r in refs)
    pos = [(v, tw) for v, tw in needed if v > 0]
    neg = [(-v, tw) for v, tw in needed if v < 0]
    P = max([v for v, _ in pos] + [r for r in refs if r > 0] + [0.0])
    N = max([v for v, _ in neg] + [-r for r in refs if r < 0] + [0.0])
    if P + N <= 0:
        P = 1.0
    rm = 0.0
    for _ in range(4):
        A = avail - rm
        u = A / (P + N)  # points per unit, shrunk until every text fits
        for _ in range(200):
            z_lo = max([v * u + 3.0 + tw for v, tw in neg] + [N * u * 1.02])
            z_hi = A - max([v * u + 3.0 + tw for v, tw in pos] + [P * u * 1.02])
            if z_lo <= z_hi:
                break
            u *= 0.97
        z = z_lo
        xmin, xmax = -z / u, (A - z) / u
        ticks = _x_ticks(xmin, xmax, integer=integer)
        last = ticks[-1] if ticks else xmax
        need = max(0.0, _tw(_fmt_num(last)) / 2 - (xmax - last) * u)
        if abs(need - rm) < 0.5:
            return A, xmin, xmax, ticks, rm
        rm = need
    return avail - rm, xmin, xmax, ticks, rm


def _bar_axes(fig, frame, labels_wrapped: list[str], row_h: list[float], label_w: float, value_space):
    """Axes for horizontal bars: left label column, rows of the given heights (top to bottom)."""
    total = max(sum(row_h), ROW_MIN)
    centers, y = [], 0.0
    for h in row_h:
        centers.append(y + h / 2)
        y += h
    left = PAD + label_w + 4.0
    avail = W_PT - PAD - left
    A, xmin, xmax, ticks, rm = value_space(avail)
    ax = frame.add(left, PAD + 2.0, A, total, frameless=False)
    ax.set_ylim(total, 0)
    ax.set_xlim(xmin, xmax)
    ax.set_yticks(centers, labels_wrapped)
    for lab in ax.get_yticklabels():
        lab.set_linespacing(LINESPACING)
        lab.set_parse_math(False)
    ax.tick_params(axis="y", length=0, pad=4.0)
    ax.set_xticks(ticks, [_fmt_num(t) for t in ticks])
    ax.spines["left"].set_visible(xmin >= 0)
    ax.spines["left"].set_color("#555555")
    if xmin < 0:
        ax.axvline(0, color="#555555", linewidth=0.6, zorder=2)
    ax.grid(axis="x", color="#e3e3e3", linewidth=0.6)
    ax.set_axisbelow(True)
    return ax, centers, A, xmax, rm


def _xlabel(ax, frame, text: str, left: float, A: float, rm: float) -> float:
    """Set the x label under the axes: centred on them when it fits, else slid left as far as the
    figure allows, else wrapped and centred on the figure. Returns its height."""
    if not text:
        return 0.0
    inner = W_PT - 2 * PAD
    one = wrap(text, 1e9)
    w = _maxw(one)
    centre = left + A / 2
    if w <= inner:
        t = one
        x = min(max(centre, PAD + w / 2), W_PT - PAD - w / 2)
    else:
        t = wrap(text, inner)
        x = W_PT / 2
    ax.set_xlabel(t, linespacing=LINESPACING, parse_math=False)
    ax.xaxis.label.set_x((x - left) / A)  # axes fraction; may lie outside [0, 1]
    return _box(t)[1]


def _missing(t: str) -> bool:
    return t.strip() in ("", "—", "–", "-", "NaN", "nan")


MISSING_INK = "#6f6f6f"  # a grey, never bold "—": in a CJK font a black bold dash reads like 一


def _below_axes(ax, frame, left, A, rm, xlabel_text) -> float:
    """Height taken below the axes box by x tick labels and the x label."""
    tick_h = 3.0 + 2.0 + _box("0")[1]
    xl = _xlabel(ax, frame, xlabel_text, left, A, rm)
    return tick_h + (3.0 + xl if xl else 0.0)


# =============================================================================================
# 2. Horizontal bars
# =============================================================================================
LABEL_FRAC = 0.44
BAR_H = 10.0
ROW_MIN = 15.0


def hbar(labels: Sequence[str], values: Sequence[float], *, value_texts: Sequence[str], xlabel: str,
         highlight: Sequence[bool] | None = None, hatched: Sequence[bool] | None = None,
         legend: Sequence[tuple[str, str]] | None = None, reference: Sequence[tuple[str, float]] | None = None,
         alt: str | None = None) -> Chart:
    """Horizontal bars, first item on top; `value_texts` printed after each bar ("—" and no bar for
    NaN). `highlight`: dark bars with a vermilion outline; `hatched`: light hatched bars; `legend`:
    [(style, text)] with style in {"solid", "hatched", "highlight"}; `reference`: [(label, x)]
    vertical lines, explained in the legend."""
    n = len(labels)
    params = {"labels": _strs(labels, n, "labels"), "values": [_num(v) for v in values],
              "value_texts": _strs(value_texts, n, "value_texts"), "xlabel": _clean(xlabel),
              "highlight": _bools(highlight, n, "highlight"), "hatched": _bools(hatched, n, "hatched"),
              "legend": [[_clean(s), _clean(t)] for s, t in (legend or [])],
              "reference": [[_clean(lab), float(x)] for lab, x in (reference or []) if _num(x) is not None]}
    if len(params["values"]) != n:
        raise ValueError(f"values: {len(params['values'])} values for {n} labels")
    for s, _ in params["legend"]:
        if s not in ("solid", "hatched", "highlight"):
            raise ValueError(f"legend style {s!r}: use solid, hatched or highlight")
    key, base = _get("hbar", params)
    if alt is None:
        zh = _is_zh(params["xlabel"], *params["labels"])
        alt = params["xlabel"] + ("：" if zh else ": ") + _sep(zh).join(
            f"{lab} {vt}".strip() for lab, vt in zip(params["labels"], params["value_texts"]))
    return _finish(base, key, alt)


VALUE_BG = dict(boxstyle="square,pad=0.08", facecolor="white", edgecolor="none")
REF_STYLES = [(0, (4.0, 2.0)), (0, (1.2, 1.6)), (0, (5.0, 1.5, 1.2, 1.5))]


def _label_column(labels: list[str]) -> tuple[list[str], float]:
    limit = (W_PT - 2 * PAD) * LABEL_FRAC
    wrapped = [wrap(lab, limit) for lab in labels]
    return wrapped, max([_maxw(w) for w in wrapped] + [0.0])


def _legend_below(frame, entries, top) -> float:
    if not entries:
        return 0.0
    width = W_PT - 2 * PAD
    placed, h = _legend_layout(entries, width)
    lax = frame.add(PAD, top, width, h)
    _legend_draw(lax, placed)
    return h


def _draw_hbar(p: dict):
    fig = _new_fig()
    frame = _Frame(fig)
    wrapped, label_w = _label_column(p["labels"])
    rows = [max(ROW_MIN, _box(w)[1] + 4.0) for w in wrapped]
    vals = p["values"]
    vt = [t or "—" if v is None else t for v, t in zip(vals, p["value_texts"])]
    hl = p["highlight"]
    needed = [(v, _tw(t, FONT, "bold" if h else "normal") + (1.0 if h else 0.0))
              for v, t, h in zip(vals, vt, hl) if v is not None and v != 0]
    refs = [x for _, x in p["reference"]]
    ax, centers, A, xmax, rm = _bar_axes(fig, frame, wrapped, rows, label_w,
                                         lambda avail: _value_axis(needed, refs, avail))
    left = frame.boxes[-1][1][0]
    for yc, v, t, h, hat in zip(centers, vals, vt, hl, p["hatched"]):
        if v is None:
            ax.annotate(t, (0, yc), xytext=(4.0, 0), textcoords="offset points", va="center", ha="left",
                        fontsize=FONT, color=MISSING_INK if _missing(t) else INK, annotation_clip=False,
                        parse_math=False, fontfamily=_families(), bbox=VALUE_BG, zorder=4)
            continue
        style = _patch_style("highlight" if h else "hatched" if hat else "solid")
        ax.barh(yc, v, height=BAR_H, **style)
        off = 3.0 + (1.0 if h else 0.0)
        ax.annotate(t, (v, yc), xytext=(off if v >= 0 else -off, 0), textcoords="offset points",
                    va="center", ha="left" if v >= 0 else "right", fontsize=FONT, color=INK,
                    fontweight="bold" if h and not _missing(t) else "normal",
                    annotation_clip=False, parse_math=False, fontfamily=_families(), bbox=VALUE_BG, zorder=4)
    entries = [_Entry("patch", _patch_style(s), t) for s, t in p["legend"]]
    for (lab, x), ls in zip(p["reference"], REF_STYLES * 3):
        ax.axvline(x, color=INK, linestyle=ls, linewidth=1.1, zorder=3)
        entries.append(_Entry("line", dict(color=INK, linestyle=ls, linewidth=1.1), lab))
    below = _below_axes(ax, frame, left, A, rm, p["xlabel"])
    top = PAD + 2.0 + sum(rows) + below
    lh = _legend_below(frame, entries, top + 6.0)
    frame.finish(top + (6.0 + lh if lh else 0.0) + PAD)
    return fig, frame, {}


# =============================================================================================
# 3. Grouped horizontal bars
# =============================================================================================
SERIES_STYLES = [dict(facecolor=DARK, edgecolor=DARK, linewidth=0.6),
                 dict(facecolor=LIGHT, edgecolor=DARK, linewidth=0.6, hatch="////", hatchcolor=DARK),
                 dict(facecolor="white", edgecolor=DARK, linewidth=0.6, hatch="----", hatchcolor=MID)]
GBAR_H = 9.0
GBAR_PITCH = 10.5


def grouped_hbar(categories: Sequence[str], series: Mapping[str, Sequence[float]], *,
                 value_texts: Mapping[str, Sequence[str]], xlabel: str, alt: str | None = None) -> Chart:
    """2–3 bars per category (series told apart by fill and hatching), first category on top;
    NaN values show "—" and no bar."""
    n = len(categories)
    if not 1 <= len(series) <= 3:
        raise ValueError("grouped_hbar: 1 to 3 series")
    names = [_clean(k) for k in series]
    params = {"categories": _strs(categories, n, "categories"), "names": names,
              "values": [[_num(v) for v in vals] for vals in series.values()],
              "value_texts": [_strs(value_texts[k], n, f"value_texts[{k}]") for k in series],
              "xlabel": _clean(xlabel)}
    for vals in params["values"]:
        if len(vals) != n:
            raise ValueError(f"grouped_hbar: each series needs {n} values")
    key, base = _get("grouped_hbar", params)
    if alt is None:
        zh = _is_zh(params["xlabel"], *params["categories"], *names)
        alt = params["xlabel"] + ("：" if zh else ": ") + _sep(zh).join(
            f"{c} " + ("，" if zh else ", ").join(f"{nm} {params['value_texts'][k][i] or '—'}" for k, nm in enumerate(names))
            for i, c in enumerate(params["categories"]))
    return _finish(base, key, alt)


def _draw_grouped_hbar(p: dict):
    fig = _new_fig()
    frame = _Frame(fig)
    k = len(p["names"])
    wrapped, label_w = _label_column(p["categories"])
    group = k * GBAR_PITCH
    rows = [max(group + 6.0, _box(w)[1] + 4.0) for w in wrapped]
    needed = []
    for s in range(k):
        for v, t in zip(p["values"][s], p["value_texts"][s]):
            if v is not None and v != 0:
                needed.append((v, _tw(t or "—", MIN_FONT)))
    ax, centers, A, xmax, rm = _bar_axes(fig, frame, wrapped, rows, label_w,
                                         lambda avail: _value_axis(needed, [], avail))
    left = frame.boxes[-1][1][0]
    for i, yc in enumerate(centers):
        for s in range(k):
            y = yc - group / 2 + GBAR_PITCH * (s + 0.5)
            v, t = p["values"][s][i], p["value_texts"][s][i] or "—"
            if v is None:
                ax.annotate(t, (0, y), xytext=(4.0, 0), textcoords="offset points", va="center", ha="left",
                            fontsize=MIN_FONT, color=MISSING_INK if _missing(t) else INK, annotation_clip=False,
                            parse_math=False, fontfamily=_families())
                continue
            ax.barh(y, v, height=GBAR_H, **SERIES_STYLES[s])
            ax.annotate(t, (v, y), xytext=(3.0 if v >= 0 else -3.0, 0), textcoords="offset points", va="center",
                        ha="left" if v >= 0 else "right",
                        fontsize=MIN_FONT, annotation_clip=False, parse_math=False, fontfamily=_families(),
                        bbox=VALUE_BG, zorder=4)
    below = _below_axes(ax, frame, left, A, rm, p["xlabel"])
    top = PAD + 2.0 + sum(rows) + below
    entries = [_Entry("patch", SERIES_STYLES[s], p["names"][s]) for s in range(k)]
    lh = _legend_below(frame, entries, top + 6.0)
    frame.finish(top + 6.0 + lh + PAD)
    return fig, frame, {}


# =============================================================================================
# 4. Scatter with labelled points
# =============================================================================================
def scatter(points: Sequence[Mapping[str, Any]], *, xlabel: str, ylabel: str,
            legend: Sequence[tuple[str, str]] | None = None, alt: str | None = None) -> Chart:
    """Points {label, x, y, value_text, hollow}; each labelled next to it ("label value_text"),
    nudged so labels do not overlap. `legend`: [(style, text)], style in {"filled", "hollow"}."""
    pts = []
    for q in points:
        x, y = _num(q.get("x")), _num(q.get("y"))
        if x is None or y is None:
            continue
        pts.append({"label": _clean(q.get("label")), "x": x, "y": y, "value_text": _clean(q.get("value_text")),
                    "hollow": bool(q.get("hollow", False))})
    params = {"points": pts, "xlabel": _clean(xlabel), "ylabel": _clean(ylabel),
              "legend": [[_clean(s), _clean(t)] for s, t in (legend or [])]}
    key, base = _get("scatter", params)
    if alt is None:
        zh = _is_zh(params["xlabel"], params["ylabel"], *(q["label"] for q in pts))
        alt = f"{params['ylabel']} / {params['xlabel']}" + ("：" if zh else ": ") + _sep(zh).join(
            f"{q['label']} ({_fmt_num(q['x'])}, {q['value_text'] or _fmt_num(q['y'])})" for q in pts)
    return _finish(base, key, alt)


def _nice_range(lo: float, hi: float, from_zero: bool) -> tuple[float, float]:
    if from_zero and lo >= 0:
        lo = 0.0
    if hi <= lo:
        hi = lo + 1.0
    span = hi - lo
    return (lo if from_zero and lo == 0 else lo - 0.08 * span), hi + 0.08 * span


def _overlap(a, b) -> float:
    dx = min(a[2], b[2]) - max(a[0], b[0])
    dy = min(a[3], b[3]) - max(a[1], b[1])
    return dx * dy if dx > 0 and dy > 0 else 0.0


def _place_labels(items, bounds, obstacles):
    """Greedy label placement. items: [(px, py, w, h, prefs)] in points (y down); prefs: list of
    (dx, dy, ha) anchors to try; labels move vertically in 2-pt steps. Returns [(x0, y0, ha)]."""
    placed: list[tuple[float, float, float, float]] = []
    out = []
    for px, py, w, h, prefs in items:
        best, best_cost = None, None
        for step in range(0, 40):
            for sign in ((0,) if step == 0 else (-1, 1)):
                dy = sign * step * 2.0
                for k, (dx, dy0, ha) in enumerate(prefs):
                    x0 = px + dx if ha == "left" else px - dx - w if ha == "right" else px - w / 2
                    y0 = py + dy0 + dy - h / 2
                    box = (x0, y0, x0 + w, y0 + h)
                    if box[0] < bounds[0] or box[2] > bounds[2] or box[1] < bounds[1] or box[3] > bounds[3]:
                        continue
                    cost = sum(_overlap(box, o) for o in placed + obstacles)
                    score = cost * 1000 + abs(dy) + k * 3
                    if best_cost is None or score < best_cost:
                        best, best_cost = (x0, y0, ha, box), score
                    if cost == 0:
                        break
            if best is not None and best_cost < 1000:
                break
        if best is None:  # nothing fits inside: put it at the point, clamped
            x0 = min(max(bounds[0], px + 4), bounds[2] - w)
            y0 = min(max(bounds[1], py - h / 2), bounds[3] - h)
            best = (x0, y0, "left", (x0, y0, x0 + w, y0 + h))
        placed.append(best[3])
        out.append(best[:3])
    return out


def _draw_scatter(p: dict):
    fig = _new_fig()
    frame = _Frame(fig)
    pts = p["points"]
    xs = [q["x"] for q in pts] or [0.0, 1.0]
    ys = [q["y"] for q in pts] or [0.0, 1.0]
    ylab = p["ylabel"]
    axes_h = 175.0
    ylab_w = wrap(ylab, axes_h)
    yl_h = _box(ylab_w)[1]
    ylo, yhi = _nice_range(min(ys), max(ys), from_zero=min(ys) >= 0 and min(ys) < 0.5 * max(ys))
    yticks = [t for t in MaxNLocator(nbins=5, steps=[1, 2, 2.5, 5, 10]).tick_values(ylo, yhi) if ylo - 1e-9 <= t <= yhi + 1e-9]
    tick_w = max(_tw(_fmt_num(t)) for t in yticks)
    left = PAD + yl_h + 3.0 + tick_w + 2.0 + 3.0 + 1.0
    xlo, xhi = _nice_range(min(xs), max(xs), from_zero=False)
    xticks = [t for t in MaxNLocator(nbins=5, steps=[1, 2, 2.5, 5, 10]).tick_values(xlo, xhi) if xlo - 1e-9 <= t <= xhi + 1e-9]
    rm = max(0.0, _tw(_fmt_num(xticks[-1])) / 2 - 2.0) if xticks else 0.0
    A = W_PT - PAD - left - rm
    ax = frame.add(left, PAD + 2.0, A, axes_h, frameless=False)
    ax.set_xlim(xlo, xhi)
    ax.set_ylim(ylo, yhi)
    ax.set_xticks(xticks, [_fmt_num(t) for t in xticks])
    ax.set_yticks(yticks, [_fmt_num(t) for t in yticks])
    ax.set_ylabel(ylab_w, linespacing=LINESPACING, parse_math=False)
    ax.grid(color="#e9e9e9", linewidth=0.6)
    ax.set_axisbelow(True)
    # to points inside the axes box (y down)
    def to_pt(x, y):
        return (x - xlo) / (xhi - xlo) * A, (yhi - y) / (yhi - ylo) * axes_h
    ms = 6.0
    obstacles = []
    for q in pts:
        px, py = to_pt(q["x"], q["y"])
        obstacles.append((px - ms / 2 - 1, py - ms / 2 - 1, px + ms / 2 + 1, py + ms / 2 + 1))
        ax.plot([q["x"]], [q["y"]], marker="o", markersize=ms, linestyle="none", zorder=4,
                markerfacecolor="white" if q["hollow"] else DARK, markeredgecolor=DARK, markeredgewidth=1.2)
    items = []
    order = sorted(range(len(pts)), key=lambda i: (-pts[i]["y"], pts[i]["x"]))
    texts = {}
    for i in order:
        q = pts[i]
        s = " ".join(x for x in (q["label"], q["value_text"]) if x)
        s = wrap(s, 0.4 * A, MIN_FONT)
        texts[i] = s
        w, h = _box(s, MIN_FONT)
        px, py = to_pt(q["x"], q["y"])
        items.append((px, py, w, h, [(5.0, 0.0, "left"), (5.0, 0.0, "right")]))
    spots = _place_labels(items, (1.0, 1.0, A - 1.0, axes_h - 1.0), obstacles)
    for i, (x0, y0, ha) in zip(order, spots):
        q = pts[i]
        w, h = _box(texts[i], MIN_FONT)
        tx = xlo + (x0 + (0 if ha == "left" else w)) / A * (xhi - xlo)
        ty = yhi - y0 / axes_h * (yhi - ylo)
        _text(ax, tx, ty, texts[i], fontsize=MIN_FONT, ha=ha, va="top", multialignment=ha, zorder=5)
        px, py = to_pt(q["x"], q["y"])
        cy = y0 + h / 2
        if abs(cy - py) > 6:
            ax.plot([q["x"], tx], [q["y"], yhi - cy / axes_h * (yhi - ylo)], color="#888888", linewidth=0.5, zorder=3)
    below = _below_axes(ax, frame, left, A, rm, p["xlabel"])
    top = PAD + 2.0 + axes_h + below
    entries = [_Entry("marker", dict(marker="o", s=ms ** 2, facecolors="white" if s == "hollow" else DARK,
                                     edgecolors=DARK, linewidths=1.2), t) for s, t in p["legend"]]
    lh = _legend_below(frame, entries, top + 6.0)
    frame.finish(top + (6.0 + lh if lh else 0.0) + PAD)
    return fig, frame, {}


# =============================================================================================
# 5. Lifecycle of centres
# =============================================================================================
# A row per centre, drawn as phases that tile the time line, so that nothing overlaps however close
# two events are: a thin line once approved (or listed, or an agreement signed), a light bar in
# trial or transitional operation, a dark bar once open; a dashed box for an expected opening; and
# a dashed start where a date is known only as "by" (or "about") it. The legend has at most four
# entries; the stage words and dates themselves belong in the table beside the chart.
PHASES = ("approved", "trial", "open")  # drawn phases, in the order a centre goes through them
STAGE_PHASE = {"agreement": "approved", "approved": "approved", "plaque": "approved", "listed": "approved",
               "under_construction": "approved", "built": "approved", "trial": "trial", "open": "open",
               "operating": "open"}
EXPECTED_STAGES = ("expected_open",)
LEGEND_KEYS = ("approved", "trial", "open", "dashed")
LEGEND_TEXT = {"zh": {"approved": "获批、签约或列入清单", "trial": "试运行或过渡期运营", "open": "开诊或正式运营",
                      "dashed": "虚线：预计，或只知“不晚于”（约）某日"},
               "en": {"approved": "approved, agreed or listed", "trial": "trial or transitional operation",
                      "open": "open or in full operation", "dashed": "dashed: expected, or a date that is only an upper bound (or approximate)"}}
PHASE_H = {"approved": 1.4, "trial": 6.0, "open": 8.0}  # pt: line width, bar heights
PHASE_FACE = {"approved": "#8c8c8c", "trial": LIGHT, "open": DARK}
PHASE_EDGE = {"approved": "#8c8c8c", "trial": MID, "open": DARK}
DASH = (0, (2.0, 1.4))
FUZZY_PT = 7.0     # pt: length of a dashed start
LC_ROW_MIN = 15.0  # pt: height of a row


def lifecycle(rows: Sequence[Any], *, lang: str, end: Any, stage_labels: Mapping[str, str] | None = None,
              stage_order: Sequence[str] | None = None, basis_labels: Mapping[str, str] | None = None,
              alt: str | None = None) -> Chart:
    """One row per centre (or group of centres), first row on top: from its first event to `end`,
    the phase it is in (approved: thin line; trial: light bar; open: dark bar), an expected opening
    as a dashed box, a date known only as "by"/"about" as a dashed start. `rows`: [{"label": str,
    "events": [(date, stage, basis), ...]}] (or (label, events) pairs); basis one of stated,
    not_after, about, expected. The legend (at most four entries, only those drawn) says
    `stage_labels[k]` for k in approved, trial, open and `basis_labels["dashed"]` for the dashes
    when given, else the default words of `lang`. `stage_order` is accepted and ignored."""
    norm = []
    for r in rows:
        label, events = (r["label"], r["events"]) if isinstance(r, Mapping) else (r[0], r[1])
        evs = []
        for d, stage, basis in events:
            basis = _clean(basis) or "stated"
            if basis not in ("stated", "not_after", "about", "expected"):
                raise ValueError(f"lifecycle: unknown basis {basis!r}")
            stage = _clean(stage)
            if stage not in STAGE_PHASE and stage not in EXPECTED_STAGES:
                raise ValueError(f"lifecycle: unknown stage {stage!r}")
            evs.append([_date(d), stage, basis])
        evs.sort()
        norm.append({"label": _clean(label), "events": evs})
    default = LEGEND_TEXT["zh" if lang == "zh" else "en"]
    given = {**(stage_labels or {}), **(basis_labels or {})}
    legend = {k: _clean(given.get(k) or default[k]) for k in LEGEND_KEYS}
    params = {"rows": norm, "lang": lang, "end": _date(end), "legend": legend}
    key, base = _get("lifecycle", params)
    if alt is None:
        zh = lang == "zh"
        sl = {k: _clean(v) for k, v in (stage_labels or {}).items()}
        alt = _sep(zh).join(
            r["label"] + ("：" if zh else ": ") + ("，" if zh else ", ").join(
                f"{sl.get(s, s)} {BASIS_MARK.get(b, '')}{d}" for d, s, b in r["events"]) for r in norm)
    return _finish(base, key, alt)


BASIS_MARK = {"not_after": "≤", "about": "≈", "expected": "~"}


def lifecycle_segments(events: Sequence[Sequence[str]], end: str) -> tuple[list[dict], list[dict]]:
    """The pieces of a row: phases that tile the time from the first event to `end` (a phase
    never goes back: a later "listed" does not undo an opening), each with `start`, `stop` (years),
    `phase` and `exact` (False when the event that starts it has a "by"/"about" date); and the
    expected openings after the last phase began, each with `start` and `stop`."""
    reached = [(_year(d), STAGE_PHASE[s], b) for d, s, b in events if s in STAGE_PHASE]
    x_end = _year(end)
    segs: list[dict] = []
    best = -1
    for x, phase, basis in reached:
        k = PHASES.index(phase)
        if k <= best:
            continue  # no progress: the phase already reached goes on
        best = k
        if segs and x <= segs[-1]["start"]:
            segs[-1].update(phase=phase, exact=segs[-1]["exact"] and basis == "stated")  # same day: the further phase
            continue
        if segs:
            segs[-1]["stop"] = x
        segs.append({"start": x, "stop": max(x, x_end), "phase": phase, "exact": basis == "stated"})
    expected = []
    last = segs[-1]["start"] if segs else None
    for d, s, b in events:
        if s in EXPECTED_STAGES and best < PHASES.index("open"):
            x = _year(d)
            start = max(x_end, last if last is not None else x_end)
            if x > start:
                expected.append({"start": start, "stop": x})
            else:  # expected by a date already past: the dashed box marks the date itself
                expected.append({"start": x, "stop": x})
    return segs, expected


def _year_ticks(x0: float, x1: float, width: float) -> list[int]:
    """Whole years between x0 and x1, every 1, 2 or 5 years as the width allows."""
    years = list(range(math.ceil(x0), math.floor(x1) + 1))
    per_year = width / max(x1 - x0, 1e-9)
    step = next((k for k in (1, 2, 5, 10) if per_year * k >= _tw("2020") + 8.0), 10)
    return [y for y in years if y % step == 0] or years[:1]


def _lifecycle_legend(legend: Mapping[str, str], phases: set, dashed: bool) -> list[_Entry]:
    """At most four entries: the phases drawn, then the dashes if any are drawn."""
    out = []
    for ph in PHASES:
        if ph not in phases:
            continue
        if ph == "approved":
            out.append(_Entry("line", dict(color=PHASE_FACE[ph], linewidth=PHASE_H[ph]), legend[ph]))
        else:
            out.append(_Entry("patch", dict(facecolor=PHASE_FACE[ph], edgecolor=PHASE_EDGE[ph], linewidth=0.6), legend[ph]))
    if dashed:
        out.append(_Entry("patch", dict(facecolor="white", edgecolor=DARK, linewidth=0.9, linestyle=DASH), legend["dashed"]))
    return out


def _draw_lifecycle(p: dict):
    fig = _new_fig()
    frame = _Frame(fig)
    rows = p["rows"]
    end = p["end"]
    x_end = _year(end)
    pieces = [lifecycle_segments(r["events"], end) for r in rows]
    starts = [s["start"] for segs, exp in pieces for s in segs + exp]
    stops = [s["stop"] for segs, exp in pieces for s in segs + exp] + [x_end]
    x0 = math.floor(min(starts + [x_end]) - 0.15)
    x1 = max(stops) + 0.2
    wrapped, label_w = _label_column([r["label"] for r in rows])
    left = PAD + label_w + 4.0
    avail = W_PT - PAD - left
    ticks = _year_ticks(x0, x1, avail)
    rm = max(0.0, _tw(str(ticks[-1])) / 2 - (x1 - ticks[-1]) / (x1 - x0) * avail) if ticks else 0.0
    A = avail - rm - 1.0
    u = A / (x1 - x0)  # points per year
    row_h = [max(LC_ROW_MIN, _box(w)[1] + 5.0) for w in wrapped]
    total = sum(row_h)
    ax = frame.add(left, PAD + 2.0, A, total, frameless=False)
    centers, y = [], 0.0
    for h in row_h:
        centers.append(y + h / 2)
        y += h
    ax.set_ylim(total, 0)
    ax.set_xlim(x0, x1)
    ax.set_yticks(centers, wrapped)
    for lab in ax.get_yticklabels():
        lab.set_linespacing(LINESPACING)
        lab.set_parse_math(False)
    ax.tick_params(axis="y", length=0, pad=4.0)
    ax.set_xticks(ticks, [str(t) for t in ticks])
    ax.grid(axis="x", color="#e9e9e9", linewidth=0.6)
    ax.set_axisbelow(True)
    for side in ("left", "right", "top"):
        ax.spines[side].set_visible(False)
    fuzzy = FUZZY_PT / u  # years
    phases: set = set()
    dashed = False
    for yc, (segs, exp) in zip(centers, pieces):
        for sg in segs:
            ph = sg["phase"]
            phases.add(ph)
            a, b = sg["start"], sg["stop"]
            cut = a if sg["exact"] else min(b, a + fuzzy)  # a dashed start where the date is a bound
            dashed = dashed or not sg["exact"]
            if ph == "approved":
                if cut > a:
                    ax.add_line(Line2D([a, cut], [yc, yc], color=PHASE_FACE[ph], linewidth=PHASE_H[ph], linestyle=DASH,
                                       solid_capstyle="butt", dash_capstyle="butt", zorder=3))
                if b > cut:
                    ax.add_line(Line2D([cut, b], [yc, yc], color=PHASE_FACE[ph], linewidth=PHASE_H[ph],
                                       solid_capstyle="butt", zorder=3))
                continue
            h = PHASE_H[ph]
            if cut > a:
                ax.add_patch(Rectangle((a, yc - h / 2), cut - a, h, facecolor="white", edgecolor=PHASE_EDGE[ph],
                                       linewidth=0.9, linestyle=DASH, zorder=3))
            if b > cut:
                ax.add_patch(Rectangle((cut, yc - h / 2), b - cut, h, facecolor=PHASE_FACE[ph], edgecolor=PHASE_EDGE[ph],
                                       linewidth=0.6, zorder=3))
        for e in exp:
            dashed = True
            h = PHASE_H["open"]
            w = max(e["stop"] - e["start"], 2.0 / u)
            ax.add_patch(Rectangle((e["start"], yc - h / 2), w, h, facecolor="none", edgecolor=DARK, linewidth=0.9,
                                   linestyle=DASH, zorder=4))
    below = 3.0 + 2.0 + _box("0")[1]
    top = PAD + 2.0 + total + below
    lh = _legend_below(frame, _lifecycle_legend(p["legend"], phases, dashed), top + 5.0)
    frame.finish(top + (5.0 + lh if lh else 0.0) + PAD)
    return fig, frame, {}


# =============================================================================================
# 6. Step line of official totals
# =============================================================================================
def step_total(dates: Sequence[Any], totals: Sequence[float], *, ylabel: str, point_texts: Sequence[str],
               alt: str | None = None, steps: bool = True) -> Chart:
    """Official cumulative totals over time, each point labelled with its text: a step line, or
    (`steps=False`) the points alone, when what happened between two reports is not known."""
    n = len(dates)
    params = {"dates": [_date(d) for d in dates], "totals": [_num(v) for v in totals],
              "point_texts": _strs(point_texts, n, "point_texts"), "ylabel": _clean(ylabel), "steps": bool(steps)}
    if len(params["totals"]) != n:
        raise ValueError("step_total: as many totals as dates")
    key, base = _get("step_total", params)
    if alt is None:
        zh = _is_zh(params["ylabel"], *params["point_texts"])
        alt = params["ylabel"] + ("：" if zh else ": ") + _sep(zh).join(
            f"{d} {t}" for d, t in zip(params["dates"], params["point_texts"]))
    return _finish(base, key, alt)


def _draw_step_total(p: dict):
    fig = _new_fig()
    frame = _Frame(fig)
    pts = sorted((_year(d), v, t) for d, v, t in zip(p["dates"], p["totals"], p["point_texts"]) if v is not None)
    xs = [x for x, _, _ in pts] or [2020.0]
    vs = [v for _, v, _ in pts] or [1.0]
    axes_h = 112.0  # flat: the chart grows into free room on its page, and rarely needs to shrink
    yl = wrap(p["ylabel"], axes_h)
    yl_h = _box(yl)[1]
    label_h = _box("国lp", MIN_FONT)[1]
    ymax_v = max(vs) if max(vs) > 0 else 1.0
    # room above the highest point for its label (and one nudge)
    ymax = ymax_v * axes_h / (axes_h - 2 * label_h - 8.0)
    yticks = [t for t in MaxNLocator(nbins=4, steps=[1, 2, 2.5, 5, 10]).tick_values(0, ymax) if t <= ymax + 1e-9]
    tick_w = max(_tw(_fmt_num(t)) for t in yticks)
    left = PAD + yl_h + 3.0 + tick_w + 2.0 + 3.0 + 1.0
    x0, x1 = min(xs) - 0.35, max(xs) + 0.35
    A = W_PT - PAD - left - 2.0
    ticks = _year_ticks(x0, x1, A)
    if ticks:
        over = _tw(str(ticks[-1])) / 2 - (x1 - ticks[-1]) / (x1 - x0) * A
        if over > 0:
            A -= over
    ax = frame.add(left, PAD + 2.0, A, axes_h, frameless=False)
    ax.set_xlim(x0, x1)
    ax.set_ylim(0, ymax)
    ax.set_xticks(ticks, [str(t) for t in ticks])
    ax.set_yticks(yticks, [_fmt_num(t) for t in yticks])
    ax.set_ylabel(yl, linespacing=LINESPACING, parse_math=False)
    ax.grid(axis="y", color="#e9e9e9", linewidth=0.6)
    ax.set_axisbelow(True)
    if pts:
        if p.get("steps", True):
            ax.step(xs, vs, where="post", color=DARK, linewidth=1.8, zorder=3)
        ax.plot(xs, vs, linestyle="none", marker="o", markersize=4.5, color=DARK, zorder=4)

    def to_pt(x, y):
        return (x - x0) / (x1 - x0) * A, (ymax - y) / ymax * axes_h

    items, obstacles, texts = [], [], []
    for x, v, t in pts:
        px, py = to_pt(x, v)
        obstacles.append((px - 3, py - 3, px + 3, py + 3))
        s = wrap(t, 0.3 * A, MIN_FONT)
        texts.append(s)
        w, h = _box(s, MIN_FONT)
        items.append((px, py, w, h, [(0.0, -h / 2 - 5.0, "center"), (4.0, -h / 2 - 3.0, "right"),
                                     (4.0, -h / 2 - 3.0, "left"), (5.0, h / 2 + 3.0, "left")]))
    spots = _place_labels(items, (0.5, 0.5, A - 0.5, axes_h - 0.5), obstacles)
    for (x, v, _), s, (bx, by, ha) in zip(pts, texts, spots):
        w, _h = _box(s, MIN_FONT)
        ax_x = bx + (0 if ha == "left" else w if ha == "right" else w / 2)
        _text(ax, x0 + ax_x / A * (x1 - x0), ymax - by / axes_h * ymax, s, fontsize=MIN_FONT, ha=ha, va="top",
              multialignment=ha if ha != "center" else "center", zorder=5)
    below = 3.0 + 2.0 + _box("0")[1]
    frame.finish(PAD + 2.0 + axes_h + below + PAD)
    return fig, frame, {}


# =============================================================================================
# 7. Matrix of counts
# =============================================================================================
def matrix(table: pd.DataFrame, *, xlabel: str, ylabel: str, alt: str | None = None) -> Chart:
    """Counts (rows × columns, e.g. origin province × host province) as shaded cells with the count
    written in; zero cells blank. Column labels are rotated 90°. When the columns would be too
    narrow for the phone width, the table is drawn transposed (labels swap with it)."""
    rows = [_clean(x) for x in table.index]
    cols = [_clean(x) for x in table.columns]
    vals = [[_num(v) or 0.0 for v in row] for row in table.to_numpy().tolist()]
    params = {"rows": rows, "cols": cols, "values": vals, "xlabel": _clean(xlabel), "ylabel": _clean(ylabel)}
    key, base = _get("matrix", params)
    if alt is None:
        zh = _is_zh(*rows, *cols)
        alt = f"{params['ylabel']} → {params['xlabel']}" + ("：" if zh else ": ") + _sep(zh).join(
            f"{r} → {c} {_fmt_num(v)}" for r, row in zip(rows, vals) for c, v in zip(cols, row) if v > 0)
    return _finish(base, key, alt)


CELL_MIN = 13.0
CELL_MAX = 20.0


def _draw_matrix(p: dict):
    """Drawn without an axes (an axes with ticks costs more than the whole matrix)."""
    rows, cols, vals = p["rows"], p["cols"], p["values"]
    xlabel, ylabel = p["xlabel"], p["ylabel"]
    fig = _new_fig()
    frame = _Frame(fig)

    def geometry(rows, cols, ylabel):
        row_lab = [wrap(r, (W_PT - 2 * PAD) * 0.3) for r in rows]
        lw = max([_maxw(r) for r in row_lab] + [0.0])
        yl = wrap(ylabel, 200.0) if ylabel else ""
        yl_h = _box(yl)[1] if yl else 0.0
        left = PAD + (yl_h + 4.0 if yl else 0.0) + lw + 4.0
        cell = min(CELL_MAX, (W_PT - PAD - left) / max(len(cols), 1))
        return row_lab, yl, yl_h, left, cell

    row_lab, yl, yl_h, left, cell = geometry(rows, cols, ylabel)
    if cell < CELL_MIN and len(cols) > len(rows):  # too narrow for a phone: draw it transposed
        rows, cols = cols, rows
        vals = [list(c) for c in zip(*vals)] if vals else []
        xlabel, ylabel = ylabel, xlabel
        row_lab, yl, yl_h, left, cell = geometry(rows, cols, ylabel)
    edges, _ = _classes([v for row in vals for v in row if v > 0], None)
    heights = [max(cell, _box(r)[1] + 3.0) for r in row_lab]
    # column labels rotated 90°: wrapped to at most 80 pt tall unless that makes them thicker than a column
    col_lab = [wrap(c, 80.0) for c in cols]
    if max([_box(c)[1] for c in col_lab] + [0.0]) > cell:
        col_lab = [wrap(c, 140.0) for c in cols]
    col_h = max([_maxw(c) for c in col_lab] + [0.0])
    A = cell * len(cols)
    xl = wrap(xlabel, W_PT - 2 * PAD) if xlabel else ""
    xl_h = _box(xl)[1] if xl else 0.0
    top = PAD + (xl_h + 3.0 if xl else 0.0) + col_h + 3.0
    total_h = sum(heights)
    cv = frame.add(0.0, 0.0, W_PT, top + total_h + PAD)
    if xl:  # centred over the cells when it fits there, else over the whole width
        centre = left + A / 2
        half = min(centre - PAD, W_PT - PAD - centre)
        _text(cv, centre if _maxw(xl) / 2 <= half else W_PT / 2, PAD, xl, ha="center", va="top", multialignment="center")
    for j, c in enumerate(col_lab):
        _text(cv, left + (j + 0.5) * cell, top - 3.0, c, rotation=90, rotation_mode="anchor", ha="left", va="center",
              multialignment="left")
    y = top
    for i, (lab, h) in enumerate(zip(row_lab, heights)):
        _text(cv, left - 4.0, y + h / 2, lab, ha="right", va="center", multialignment="right")
        for j in range(len(cols)):
            v = vals[i][j] if i < len(vals) else 0.0
            if v > 0:
                face = RAMP[max(1, _class_of(v, edges))]
                cv.add_patch(Rectangle((left + j * cell, y), cell, h, facecolor=face, edgecolor="white",
                                       linewidth=0.8, zorder=2))
                size = FONT if _tw(_fmt_num(v), FONT) <= cell - 2 else MIN_FONT
                _text(cv, left + (j + 0.5) * cell, y + h / 2, _fmt_num(v), ha="center", va="center", fontsize=size,
                      color=_ink_on(face), zorder=3)
        y += h
    # the grid: one line per row and column edge (much smaller than a rectangle per empty cell)
    segs = [[(left, yy), (left + A, yy)] for yy in np.cumsum([top] + heights)[1:-1]]
    segs += [[(left + j * cell, top), (left + j * cell, top + total_h)] for j in range(1, len(cols))]
    if segs:
        grid = LineCollection(segs, colors="#e6e6e6", linewidths=0.5, zorder=1)
        cv.add_line(grid)
    cv.add_patch(Rectangle((left, top), A, total_h, facecolor="none", edgecolor="#bbbbbb", linewidth=0.6, zorder=4))
    if yl:
        _text(cv, PAD, top + total_h / 2, yl, rotation=90, rotation_mode="anchor", ha="center", va="top",
              multialignment="center")
    frame.finish(top + total_h + PAD)
    return fig, frame, {}


_DRAWERS: dict[str, Callable] = {
    "tile_map": _draw_tile_map,
    "hbar": _draw_hbar,
    "grouped_hbar": _draw_grouped_hbar,
    "scatter": _draw_scatter,
    "lifecycle": _draw_lifecycle,
    "step_total": _draw_step_total,
    "matrix": _draw_matrix,
}
