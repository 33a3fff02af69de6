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

Where things live (one concern a module; each kind imports only the shared ones above it):
    style.py      colours, sizes, the CJK font family, matplotlib rc, setup()
    text.py       cleaning, measuring and wrapping text (pinyin syllables), tick numbers
    params.py     arguments normalised into the cache key
    frame.py      the figure laid out in points: frame, canvases, legends
    svg.py        saving with the text check, SVG post-processing, the Chart object
    cache.py      keys, memory and disk cache, pruning, rendering a kind's drawer (@draws)
    ramp.py       counts as classes on the colour ramp
    axes.py       value axis, ticks, label columns, x labels, point labels without overlap
    tilemap.py    tile_map                 bars.py      hbar, grouped_hbar
    scatterplot.py scatter                 timeline.py  lifecycle, lifecycle_segments
    totals.py     step_total               heatmap.py   matrix
"""
from __future__ import annotations

from pathlib import Path

from nrmc.charts.style import (DARK, EDGE, FONT, FONT_STACK, GREY, HIGHLIGHT, HIGHLIGHT_LW, INK, LIGHT, MID,
                               MIN_FONT, PAD, RAMP, W_PT, WIDTH_IN, MissingCJKFontError, _families, _rc,
                               cjk_font, setup)
from nrmc.charts.text import (LINESPACING, NO_END, NO_START, PREFER_AFTER, SOFT, ZWSP, _box, _clean, _fmt_num,
                              _maxw, _pinyin_split, _syllables, _tw, wrap)
from nrmc.charts.params import _date, _year
from nrmc.charts.frame import ENTRY_SEP, SW_GAP, SW_H, SW_W
from nrmc.charts.svg import SVG_NS, XLINK_NS, Chart, _postprocess, _save, text_overflow
from nrmc.charts.cache import (CHARTS_VERSION, PRUNE_AFTER_DAYS, PRUNE_EVERY, STATS, _draw, cache_clear, cache_dir,
                               prune_cache)
from nrmc.charts.axes import LABEL_FRAC, MISSING_INK, ROW_MIN
# the chart kinds (importing each registers its drawer with the cache)
from nrmc.charts.tilemap import TILE_GAP, TILE_PAD, tile_map
from nrmc.charts.bars import BAR_H, GBAR_H, GBAR_PITCH, REF_STYLES, SERIES_STYLES, VALUE_BG, grouped_hbar, hbar
from nrmc.charts.scatterplot import scatter
from nrmc.charts.timeline import (BASIS_MARK, DASH, EXPECTED_STAGES, FUZZY_PT, LC_ROW_MIN, LEGEND_KEYS, LEGEND_TEXT,
                                  PHASE_EDGE, PHASE_FACE, PHASE_H, PHASES, STAGE_PHASE, lifecycle, lifecycle_segments)
from nrmc.charts.totals import step_total
from nrmc.charts.heatmap import CELL_MAX, CELL_MIN, matrix

__all__ = [
    # the charts and their result
    "tile_map", "hbar", "grouped_hbar", "scatter", "lifecycle", "lifecycle_segments", "step_total", "matrix",
    "Chart", "wrap", "text_overflow", "setup", "cjk_font", "MissingCJKFontError",
    # the cache
    "cache_dir", "cache_clear", "prune_cache", "STATS", "CHARTS_VERSION", "PRUNE_AFTER_DAYS", "PRUNE_EVERY",
    # style and layout constants
    "RAMP", "DARK", "MID", "LIGHT", "GREY", "INK", "EDGE", "HIGHLIGHT", "HIGHLIGHT_LW", "WIDTH_IN", "MIN_FONT",
    "FONT", "PAD", "W_PT", "FONT_STACK", "SVG_NS", "XLINK_NS", "LINESPACING", "NO_START", "NO_END", "PREFER_AFTER",
    "SOFT", "ZWSP", "SW_W", "SW_H", "SW_GAP", "ENTRY_SEP", "MISSING_INK", "LABEL_FRAC", "ROW_MIN", "TILE_GAP",
    "TILE_PAD", "BAR_H", "VALUE_BG", "REF_STYLES", "SERIES_STYLES", "GBAR_H", "GBAR_PITCH", "PHASES", "STAGE_PHASE",
    "EXPECTED_STAGES", "LEGEND_KEYS", "LEGEND_TEXT", "PHASE_H", "PHASE_FACE", "PHASE_EDGE", "DASH", "FUZZY_PT",
    "LC_ROW_MIN", "BASIS_MARK", "CELL_MIN", "CELL_MAX",
]
