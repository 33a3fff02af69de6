"""Text in charts: cleaning data text, measuring it exactly as the SVG backend will, and wrapping
it (Chinese between characters, English at spaces and hyphens, long words at pinyin syllables);
numbers as ticks print them."""
from __future__ import annotations

import functools
import io
import math
import re
import threading
import unicodedata
from typing import Any, Sequence

from matplotlib import font_manager
from matplotlib.backends.backend_svg import RendererSVG
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.ft2font import LoadFlags
from matplotlib.text import Text
from matplotlib.textpath import TextToPath

from nrmc.charts.style import FONT, W_PT, WIDTH_IN, _families

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


@functools.lru_cache(maxsize=2)
def _latin_file(weight: str) -> str | None:
    """The Latin font English charts print in (briefing.css sets chart text in it on English pages),
    or None when it is not installed."""
    from nrmc import fonts

    font = fonts.find_latin_font(bold=weight == "bold")
    return font.path if font else None


@functools.lru_cache(maxsize=1 << 14)
def _tw_print(s: str, size: float = FONT, weight: str = "normal") -> float:
    """Width in points of one line as it may print: text without Chinese is set in the Latin font on
    English pages (Noto Sans, up to ~4 % wider than the CJK font's Latin letters, which `_tw`
    measures) and in the CJK font on Chinese ones, so the wider of the two. Characters the Latin
    font lacks (≥, −) the browser takes from the CJK font; they are measured there."""
    w = _tw(s, size, weight)
    if not s or _CJK.search(s):
        return w
    path = _latin_file(weight)
    if path is None:
        return w
    with _font_lock:
        font = font_manager.get_font(path)
        has = [bool(font.get_char_index(ord(c))) for c in s]
        latin = "".join(c for c, h in zip(s, has) if h)
        lw = 0.0
        if latin:
            font.set_size(TextToPath.FONT_SCALE, TextToPath.DPI)
            font.set_text(latin, 0.0, flags=LoadFlags.NO_HINTING)
            lw = font.get_width_height()[0] / 64.0 * size / TextToPath.FONT_SCALE
    lw += sum(_tw(c, size, weight) for c, h in zip(s, has) if not h)
    return max(w, lw)


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


@functools.lru_cache(maxsize=16)
def _ascent(size: float = FONT, weight: str = "normal") -> float:
    """Points from the top of a one-line text box (as `va="top"` places it) to its baseline, for a
    line of the usual glyphs: texts of different glyphs or weights placed at `y + _ascent()` with
    `va="baseline"` share one baseline (with `va="top"` each text's own glyphs move it)."""
    with _scratch_lock:
        fig, renderer = _scratch()
        t = Text(0, 0, "国lp", fontsize=size, fontweight=weight, fontfamily=_families(), parse_math=False,
                 linespacing=LINESPACING, va="top")
        t.set_figure(fig)
        top = t.get_window_extent(renderer).y1
        t.set_va("baseline")
        return t.get_window_extent(renderer).y1 - top


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
               balance: bool = True, tw=_tw) -> list[str]:
    if tw(s, size, weight) <= width:
        return [s]
    atoms: list[str] = []
    for a in _atoms(s):
        if tw(a.strip(), size, weight) > width and not _is_cjk(a):
            word, tail = a.rstrip(), a[len(a.rstrip()):]
            py = _pinyin_split(word)
            pieces = py or _syllables(word)
            mark = ZWSP if (py and not pinyin_hyphen) else SOFT
            atoms.extend(p + mark for p in pieces[:-1])
            atoms.append(pieces[-1] + tail)
        else:
            atoms.append(a)
    lines = _greedy(atoms, width, size, weight, tw)
    if balance and len(lines) > 1:
        # the narrowest width that needs no more lines: even lines, no lone last character
        lo, hi = width * 0.4, width
        for _ in range(8):
            mid = (lo + hi) / 2
            if len(_greedy(atoms, mid, size, weight, tw)) <= len(lines):
                hi = mid
            else:
                lo = mid
        lines = _greedy(atoms, hi, size, weight, tw)
    return lines


def _greedy(atoms: list[str], width: float, size: float, weight: str, tw=_tw) -> list[str]:
    lines: list[str] = []
    cur: list[str] = []
    i = 0
    while i < len(atoms):
        a = atoms[i]
        if not cur or tw(_line(cur + [a]), size, weight) <= width:
            cur.append(a)
            i += 1
            continue
        # cur is full: break after punctuation if that keeps the line at least half full
        cut = len(cur)
        full = tw(_line(cur), size, weight)
        for j in range(len(cur) - 1, 0, -1):
            if cur[j - 1][-1] in PREFER_AFTER and _is_cjk(cur[j - 1]) and tw(_line(cur[:j]), size, weight) >= 0.5 * full:
                cut = j
                break
        lines.append(_line(cur[:cut]))
        cur = cur[cut:]
    if cur:
        lines.append(_line(cur))
    # a piece wider than the line on its own (a single long syllable): split by character
    out: list[str] = []
    for ln in lines:
        while tw(ln, size, weight) > width and len(ln) > 1:
            k = len(ln) - 1
            while k > 1 and tw(ln[:k] + ("" if _is_cjk(ln[k - 1]) else "-"), size, weight) > width:
                k -= 1
            out.append(ln[:k] + ("" if _is_cjk(ln[k - 1]) or not ln[k - 1].isalnum() else "-"))
            ln = ln[k:]
        out.append(ln)
    return [ln for ln in out if ln] or [""]


def wrap(text: str, width: float, size: float = FONT, weight: str = "normal", *, pinyin_hyphen: bool = True,
         balance: bool = True, as_printed: bool = False) -> str:
    """Wrap `text` to lines of at most `width` points (measured in the chart font); returns the
    lines joined by newlines. Existing newlines are kept. Never truncates: a word longer than the
    line is broken at syllables (pinyin, else before a consonant–vowel pair) with a hyphen, at worst
    between letters. `balance` evens out the lines (no lone last character). `as_printed` measures
    text without Chinese in the wider of the CJK and the Latin font (`_tw_print`): English pages
    print chart text in the Latin font."""
    text = _clean(text)
    lines: list[str] = []
    for para in text.split("\n"):
        para = re.sub(r"[ ]+", " ", para.strip())
        lines += _wrap_para(para, width, size, weight, pinyin_hyphen, balance,
                            _tw_print if as_printed else _tw) if para else [""]
    return "\n".join(lines)


def _maxw(s: str, size: float = FONT, weight: str = "normal", as_printed: bool = False) -> float:
    tw = _tw_print if as_printed else _tw
    return max((tw(ln, size, weight) for ln in s.split("\n")), default=0.0)


def _fmt_num(v: float) -> str:
    """A tick or bin number: thousands separators, at most 2 decimals, no trailing zeros."""
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "—"
    if abs(v - round(v)) < 1e-9:
        s = f"{int(round(v)):,}"
    else:
        s = f"{v:,.2f}".rstrip("0").rstrip(".")
    return s.replace("-", "\u2212")  # a real minus sign
