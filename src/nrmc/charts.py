"""All charts of the briefings, drawn with matplotlib in a CJK font the module sets up itself.

Conventions (DESIGN.md): every chart has a title that states the finding, labelled axes with
units and a source line under it. Colours are a single-hue sequential ramp (monotonic in
lightness, so greyscale printing keeps the order) plus hatching for categories, which survives
colour blindness and black-and-white printers. Charts are returned as matplotlib Figures;
`figure_html()` turns one into a self-contained <figure>: an SVG whose text stays text (sharp at
any zoom, searchable in the PDF, and about 40% faster to write than glyph outlines), with alt
text that states the finding. The SVG names the CJK font first; a reader without it gets the
browser's own CJK fallback font.
"""
from __future__ import annotations

import base64
import functools
import io
import os
import shutil
import subprocess
from pathlib import Path

import matplotlib
import numpy as np
import pandas as pd
from markupsafe import Markup, escape
from matplotlib import font_manager
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

CJK_FAMILIES = ("Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "WenQuanYi Zen Hei", "Droid Sans Fallback")
CJK_FONT_DIRS = ("/usr/share/fonts/opentype/noto", "/usr/share/fonts/truetype", "/usr/share/fonts")
INSTALL_HINT = "sudo apt-get install fonts-noto-cjk   (or run `make setup`)"

# A sequential blue ramp from light to dark (ColorBrewer Blues, 5 classes): colour-blind safe and
# monotonic in lightness, so the order survives greyscale printing.
RAMP = ["#eff3ff", "#bdd7e7", "#6baed6", "#3182bd", "#08519c"]
DARK = "#08306b"
MID = "#4a7fb5"
LIGHT = "#c6dbef"
GREY = "#bdbdbd"
INK = "#1a1a1a"
HIGHLIGHT = "#d95f02"  # Okabe–Ito-like vermilion; always paired with a thick outline, never colour alone
WIDTH_IN = 6.7  # A4 text width at 20 mm margins


class MissingCJKFontError(RuntimeError):
    """No font that can draw Chinese characters is installed."""


@functools.lru_cache(maxsize=1)
def cjk_font() -> str:
    """Find a CJK font, register it with matplotlib and return its family name.

    Raises MissingCJKFontError with the install command when none is found, instead of letting
    matplotlib draw empty boxes.
    """
    names = {f.name for f in font_manager.fontManager.ttflist}
    for family in CJK_FAMILIES:
        if family in names:
            return family
    # the font may have been installed after matplotlib built its cache: look on disk
    candidates: list[str] = []
    if shutil.which("fc-list"):
        try:
            out = subprocess.run(["fc-list", ":lang=zh", "file"], capture_output=True, text=True, timeout=20).stdout
            candidates += [line.split(":")[0].strip() for line in out.splitlines() if line.strip()]
        except (OSError, subprocess.SubprocessError):
            pass
    for d in CJK_FONT_DIRS:
        if os.path.isdir(d):
            candidates += [str(p) for p in Path(d).rglob("*CJK*") if p.suffix.lower() in (".ttc", ".otf", ".ttf")]
    for path in candidates:
        try:
            font_manager.fontManager.addfont(path)
        except (OSError, RuntimeError, ValueError):
            continue
    names = {f.name for f in font_manager.fontManager.ttflist}
    for family in CJK_FAMILIES:
        if family in names:
            return family
    raise MissingCJKFontError(
        "No CJK font found, so Chinese text in charts would show as empty boxes. "
        f"Install one: {INSTALL_HINT}")


def setup() -> str:
    """Configure matplotlib for the briefings; returns the CJK family in use."""
    family = cjk_font()
    matplotlib.rcParams.update({
        "font.family": [family, "DejaVu Sans"],
        "axes.unicode_minus": False,
        "svg.fonttype": "none",
        "figure.dpi": 100,
        "axes.spines.top": False,
        "axes.spines.right": False,
        "axes.titleweight": "bold",
        "axes.titlesize": 12,
        "axes.titlelocation": "left",
        "axes.labelsize": 10,
        "xtick.labelsize": 9,
        "ytick.labelsize": 9,
        "hatch.linewidth": 0.8,
    })
    return family


def _wrap(text: str, width: int) -> str:
    """Break a title into lines of about `width` characters, at a space in English and after a
    punctuation mark in Chinese where one is near the end of the line."""
    import textwrap

    if len(text) <= width:
        return text
    if text.isascii():
        return "\n".join(textwrap.wrap(text, width))
    cut = max((text.rfind(ch, 0, width) for ch in "，；：、（"), default=-1)
    cut = cut + 1 if cut > width // 2 else width
    return text[:cut] + "\n" + _wrap(text[cut:], width)


def _finish(fig, title: str, source: str) -> Figure:
    """Title (wrapped) on top, source line at the bottom, and the axes laid out between them, so
    that a long title or source never overlaps the chart."""
    title = _wrap(title, 40 if not title.isascii() else 78)
    source = _wrap(source, 90 if not source.isascii() else 150)
    extra = 0.24 * title.count("\n") + 0.14 * source.count("\n")
    height = fig.get_figheight() + extra  # the axes keep their height; the figure grows
    fig.set_figheight(height)
    bottom = (0.2 + 0.14 * source.count("\n")) / height
    fig.suptitle(title, x=0.01, y=0.985, ha="left", va="top", fontsize=12, fontweight="bold")
    fig.text(0.01, 0.005, source, ha="left", va="bottom", fontsize=7.5, color="#444444")
    fig.tight_layout(rect=(0, bottom, 1, 1))  # tight_layout makes room for the suptitle itself
    return fig


def _new(height: float):
    """A figure outside pyplot's global registry: nothing is shown twice in Jupyter, nothing
    leaks between briefings run in one kernel, and any backend (inline, Agg) can draw it."""
    setup()
    fig = Figure(figsize=(WIDTH_IN, height))
    return fig, fig.subplots()


# ---------------------------------------------------------------------------------------------
def tile_map(tiles: pd.DataFrame, title: str, source: str, *, value_label: str,
             highlight: str | None = None, fmt=lambda v: f"{v:g}", missing_text: str = "—") -> Figure:
    """A tile-grid map of the 31 provinces.

    `tiles` has columns code, label, tile_row, tile_col, value (NaN = no value). Tiles are shaded
    by value on a 5-step ramp (zero gets the lightest, missing is white with a dashed border);
    `highlight` (a province code) gets a thick outline and bold label.
    """
    fig, ax = _new(6.4)
    vals = tiles["value"].astype(float)
    vmax = np.nanmax(vals.values) if vals.notna().any() else 0
    integers = bool(vals.dropna().apply(float.is_integer).all())
    if integers and 0 < vmax < len(RAMP) - 1:
        vmax = float(len(RAMP) - 1)  # one step per count: 0, 1, 2, 3, 4+
    bins = np.linspace(0, vmax, len(RAMP)) if vmax > 0 else np.zeros(len(RAMP))
    for _, t in tiles.iterrows():
        r, c, v = int(t["tile_row"]), int(t["tile_col"]), t["value"]
        if pd.isna(v):
            face, txt = "white", INK
        else:
            k = 0 if vmax <= 0 or v <= 0 else min(len(RAMP) - 1, max(1, int(np.ceil(v / vmax * (len(RAMP) - 1) - 1e-9))))
            face = RAMP[k]
            txt = "white" if k >= 3 else INK
        is_hl = highlight is not None and t["code"] == highlight
        rect = Rectangle((c - 0.47, -r - 0.47), 0.94, 0.94, facecolor=face,
                         edgecolor=HIGHLIGHT if is_hl else "#6b6b6b",
                         linewidth=3.2 if is_hl else 0.6, linestyle="--" if pd.isna(v) else "-")
        ax.add_patch(rect)
        label = str(t["label"])
        if label.isascii() and len(label) > 8 and " " in label:
            label = label.replace(" ", "\n", 1)  # "Inner\nMongolia"
        size = 8.5 if not label.isascii() else (7 if len(label) <= 9 else 6)
        ax.text(c, -r + 0.14, label, ha="center", va="center", fontsize=size,
                fontweight="bold" if is_hl else "normal", color=txt, linespacing=0.9)
        ax.text(c, -r - 0.2, missing_text if pd.isna(v) else fmt(v), ha="center", va="center", fontsize=8, color=txt)
    ax.set_xlim(0.4, tiles["tile_col"].max() + 0.6)
    ax.set_ylim(-tiles["tile_row"].max() - 0.6, -0.4)
    ax.set_aspect("equal")
    ax.axis("off")
    # legend: the ramp with its bin edges
    if vmax > 0:
        handles = [Rectangle((0, 0), 1, 1, facecolor=RAMP[0], edgecolor="#6b6b6b", linewidth=0.6)]
        labels = ["0"]
        for k in range(1, len(RAMP)):
            lo, hi = bins[k - 1], bins[k]
            handles.append(Rectangle((0, 0), 1, 1, facecolor=RAMP[k], edgecolor="#6b6b6b", linewidth=0.6))
            if integers:
                lo_i, hi_i = int(np.floor(lo)) + 1, int(np.floor(hi))
                labels.append(str(hi_i) if lo_i >= hi_i else f"{lo_i}–{hi_i}")
            else:
                labels.append(f"> 0–{fmt(hi)}" if k == 1 else f"{fmt(lo)}–{fmt(hi)}")
        if any(pd.isna(v) for v in tiles["value"]):
            handles.append(Rectangle((0, 0), 1, 1, facecolor="white", edgecolor="#6b6b6b", linewidth=0.6, linestyle="--"))
            labels.append(missing_text)
        ax.legend(handles, labels, title=value_label, loc="lower right", fontsize=7.5, title_fontsize=8,
                  frameon=False, bbox_to_anchor=(1.0, 0.0))
    return _finish(fig, title, source)


def hbar(labels: list[str], values: list[float], title: str, source: str, *, xlabel: str,
         highlight: list[bool] | None = None, reference: list[tuple[str, float]] | None = None,
         fmt=lambda v: f"{v:g}", hatched: list[bool] | None = None, hatch_label: str | None = None,
         solid_label: str | None = None) -> Figure:
    """Horizontal bars, largest on top, value printed at the end of each bar. `highlight` marks
    bars (dark fill + outline); `reference` adds labelled vertical lines (e.g. the national average);
    `hatched` draws some bars light and hatched (e.g. inferred rather than stated)."""
    n = len(labels)
    fig, ax = _new(max(2.2, 0.28 * n + 1.4))
    y = np.arange(n)[::-1]
    hl = highlight or [False] * n
    ht = hatched or [False] * n
    for yi, v, h, hatch in zip(y, values, hl, ht):
        if pd.isna(v):
            ax.text(0, yi, " —", va="center", fontsize=8, color=INK)
            continue
        ax.barh(yi, v, color=DARK if h else (LIGHT if hatch else MID), hatch="///" if hatch else None,
                edgecolor=HIGHLIGHT if h else (DARK if hatch else "none"), linewidth=2 if h else 0.6)
        ax.text(v, yi, " " + fmt(v), va="center", fontsize=8, color=INK)
    ax.set_yticks(y, labels)
    ax.set_xlabel(xlabel)
    vmax = np.nanmax([v for v in values if not pd.isna(v)] + [0] + [r[1] for r in reference or []])
    ax.set_xlim(0, vmax * 1.18 if vmax > 0 else 1)
    handles, names = [], []
    for (label, x), style in zip(reference or [], ["--", ":", "-."]):
        handles.append(ax.axvline(x, color=INK, linestyle=style, linewidth=1.2))
        names.append(f"{label} {fmt(x)}")
    if n:
        ax.set_ylim(-0.7, y.max() + 0.7)
    if hatched and any(ht) and hatch_label:
        from matplotlib.patches import Patch
        handles += [Patch(facecolor=MID), Patch(facecolor=LIGHT, hatch="///", edgecolor=DARK)]
        names += [solid_label or "", hatch_label]
    if handles:
        ax.legend(handles, names, loc="lower right", fontsize=7.5, frameon=True, framealpha=0.9, edgecolor="none")
    return _finish(fig, title, source)


def paired_bars(categories: list[str], series: dict[str, list[float]], title: str, source: str, *,
                ylabel: str, fmt=lambda v: f"{v:g}") -> Figure:
    """Grouped vertical bars for 2–3 series (e.g. resident vs visiting experts per centre);
    series are told apart by fill and hatching, not by hue alone. Missing values are marked '—'."""
    fig, ax = _new(3.6)
    x = np.arange(len(categories))
    k = len(series)
    width = 0.8 / max(k, 1)
    styles = [(DARK, None), (LIGHT, "///"), (GREY, "..")]
    for i, (name, vals) in enumerate(series.items()):
        face, hatch = styles[i % len(styles)]
        xs = x - 0.4 + width * (i + 0.5)
        for xi, v in zip(xs, vals):
            if pd.isna(v):
                ax.text(xi, 0, "—", ha="center", va="bottom", fontsize=8)
                continue
            ax.bar(xi, v, width=width * 0.95, color=face, hatch=hatch, edgecolor=DARK, linewidth=0.6,
                   label=name if xi == xs[0] or not ax.get_legend_handles_labels()[1].count(name) else None)
            ax.text(xi, v, fmt(v), ha="center", va="bottom", fontsize=7.5)
    handles, labels = ax.get_legend_handles_labels()
    uniq = dict(zip(labels, handles))
    ax.legend(uniq.values(), uniq.keys(), fontsize=8, frameon=False, loc="upper right")
    short = [c if len(c) <= 22 else c[:21] + "…" for c in categories]
    long_labels = any(len(c) > 8 for c in short)
    ax.set_xticks(x, short, fontsize=7.5 if long_labels else 8, rotation=20 if long_labels else 0,
                  ha="right" if long_labels else "center")
    ax.set_ylabel(ylabel)
    ax.margins(y=0.15)
    return _finish(fig, title, source)


def share_compare(labels: list[str], left: list[float], right: list[float], title: str, source: str, *,
                  left_label: str, right_label: str, xlabel: str) -> Figure:
    """Two shares per category (e.g. the province against the nation), dark solid vs light hatched."""
    n = len(labels)
    fig, ax = _new(max(2.4, 0.34 * n + 1.4))
    y = np.arange(n)[::-1]
    h = 0.38
    ax.barh(y + h / 2, left, height=h, color=DARK, label=left_label)
    ax.barh(y - h / 2, right, height=h, color=LIGHT, hatch="///", edgecolor=DARK, linewidth=0.6, label=right_label)
    for yi, a, b in zip(y, left, right):
        ax.text(a, yi + h / 2, f" {a:.0f}%", va="center", fontsize=7.5)
        ax.text(b, yi - h / 2, f" {b:.0f}%", va="center", fontsize=7.5)
    ax.set_yticks(y, labels)
    ax.set_xlabel(xlabel)
    ax.set_xlim(0, max(max(left, default=0), max(right, default=0), 1) * 1.2)
    ax.legend(fontsize=8, frameon=False, loc="lower right")
    return _finish(fig, title, source)


def matrix(table: pd.DataFrame, title: str, source: str, *, xlabel: str, ylabel: str) -> Figure:
    """A count matrix (rows × columns) drawn as shaded cells with the count written in each
    non-empty cell; zero cells are left blank."""
    rows, cols = table.shape
    fig, ax = _new(max(2.6, 0.3 * rows + 1.8))
    data = table.values.astype(float)
    vmax = data.max() if data.size else 0
    for i in range(rows):
        for j in range(cols):
            v = data[i, j]
            if v <= 0:
                continue
            k = min(len(RAMP) - 1, 1 + int((v / vmax) * (len(RAMP) - 1) - 1e-9)) if vmax else 0
            ax.add_patch(Rectangle((j - 0.5, i - 0.5), 1, 1, facecolor=RAMP[k], edgecolor="white"))
            ax.text(j, i, f"{v:g}", ha="center", va="center", fontsize=7.5, color="white" if k >= 3 else INK)
    ax.set_xlim(-0.5, cols - 0.5)
    ax.set_ylim(rows - 0.5, -0.5)
    ax.set_xticks(range(cols), list(table.columns), rotation=90, fontsize=7.5)
    ax.set_yticks(range(rows), list(table.index), fontsize=8)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.grid(True, color="#eeeeee", linewidth=0.5)
    ax.set_axisbelow(True)
    return _finish(fig, title, source)


def timeline(dates: pd.Series, labels: list[str], counts: pd.Series, title: str, source: str, *,
             ylabel: str, step_label: str) -> Figure:
    """Cumulative count over time as a step line, with labelled milestone markers."""
    fig, ax = _new(3.4)
    if len(counts):
        ax.step(counts.index, counts.values, where="post", color=DARK, linewidth=2, label=step_label)
        for x, yv in zip(counts.index, counts.values):
            ax.plot([x], [yv], marker="o", color=DARK, markersize=3)
    ymax = max([counts.max() if len(counts) else 0] + [0])
    for i, (d, lab) in enumerate(zip(dates, labels)):
        ax.axvline(d, color=GREY, linestyle=":", linewidth=1)
        ax.text(d, ymax * (1.02 + 0.09 * (i % 3)) if ymax else 1 + i % 3, lab, fontsize=7, ha="left", va="bottom")
    ax.set_ylabel(ylabel)
    ax.set_ylim(0, (ymax or 1) * 1.35)
    ax.legend(fontsize=8, frameon=False, loc="upper left")
    return _finish(fig, title, source)


# ---------------------------------------------------------------------------------------------
def figure_svg(fig: Figure) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="svg", metadata={"Date": None})
    return buf.getvalue()


def figure_html(fig: Figure, alt: str) -> Markup:
    """A self-contained <figure> with the chart as an SVG data URI and `alt` as its text alternative."""
    data = base64.b64encode(figure_svg(fig)).decode("ascii")
    return Markup('<figure class="chart"><img src="data:image/svg+xml;base64,{}" alt="{}"></figure>').format(
        Markup(data), escape(alt))
