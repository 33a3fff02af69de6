"""Horizontal bars (`hbar`: one bar per item, with highlight, hatching and reference lines) and
grouped horizontal bars (`grouped_hbar`: two or three series per category)."""
from __future__ import annotations

from typing import Mapping, Sequence

from nrmc.charts.axes import MISSING_INK, ROW_MIN, _bar_axes, _below_axes, _label_column, _missing, _value_axis
from nrmc.charts.cache import _get, draws
from nrmc.charts.frame import _Entry, _Frame, _legend_below, _new_fig
from nrmc.charts.params import _bools, _is_zh, _num, _sep, _strs
from nrmc.charts.style import DARK, FONT, HIGHLIGHT, INK, LIGHT, MID, MIN_FONT, PAD, W_PT, _families
from nrmc.charts.svg import Chart, _finish
from nrmc.charts.text import LINESPACING, _box, _clean, _maxw, _tw, _tw_print, wrap

BAR_H = 10.0


def hbar(labels: Sequence[str], values: Sequence[float], *, value_texts: Sequence[str], xlabel: str,
         highlight: Sequence[bool] | None = None, hatched: Sequence[bool] | None = None,
         legend: Sequence[tuple[str, str]] | None = None, reference: Sequence[tuple[str, float]] | None = None,
         alt: str | None = None) -> Chart:
    """Horizontal bars, first item on top; `value_texts` printed after each bar ("—" and no bar for
    NaN). `highlight`: dark bars with a vermilion outline; `hatched`: light hatched bars; `legend`:
    [(style, text)] with style in {"solid", "hatched", "highlight"}; `reference`: [(label, x)]
    vertical lines, explained in the legend. No line ever runs through a text: a value text the line
    would cross goes after the line, a bar-less row's text starts after it (wrapped to the room
    left), and where neither fits the line pauses at the text."""
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


def _patch_style(style: str) -> dict:
    if style == "highlight":
        return dict(facecolor=DARK, edgecolor=HIGHLIGHT, linewidth=2.0)
    if style == "hatched":
        return dict(facecolor=LIGHT, edgecolor=DARK, linewidth=0.6, hatch="////", hatchcolor=DARK)
    return dict(facecolor=MID, edgecolor="none", linewidth=0)


LINE_CLEAR = 2.0   # pt between a reference line and any text: a line through words reads as striking them out
NO_DATA_OFF = 4.0  # pt from the axis (or from a reference line) to the text of a row without a bar


def _crosses(x0: float, x1: float, lines: Sequence[float]) -> list[float]:
    """The reference lines (x in points) that pass within LINE_CLEAR of the span x0..x1."""
    return [x for x in lines if x0 - LINE_CLEAR < x < x1 + LINE_CLEAR]


def _hbar_layout(p: dict, label_w: float):
    """Where each value text goes, in points from the axes' left edge, so that no reference line
    crosses a text: after the bar's end; else after the line(s) it would cross. A row without a bar
    starts its text after the lines it would cross, wrapped to the room left. Returns the value axis
    (A, xmin, xmax, ticks, rm) and per row (x of the text's left edge or None for 'after the bar',
    the text, its width)."""
    vals, hl = p["values"], p["highlight"]
    vt = [t or "—" if v is None else t for v, t in zip(vals, p["value_texts"])]
    weights = ["bold" if h and not _missing(t) else "normal" for t, h in zip(vt, hl)]
    refs = [x for _, x in p["reference"]]
    left = PAD + label_w + 4.0
    avail = W_PT - PAD - left
    needed = [(v, _tw_print(t, FONT, w) + (1.0 if h else 0.0))
              for v, t, h, w in zip(vals, vt, hl, weights) if v is not None and v != 0]
    extra: list[tuple[float, float]] = []
    for _ in range(3):
        A, xmin, xmax, ticks, rm = _value_axis(needed + extra, refs, avail)
        u = A / (xmax - xmin)
        px = lambda x: (x - xmin) * u  # noqa: E731
        lines = [px(x) for x in refs]
        out, more = [], []
        for v, t, h, w in zip(vals, vt, hl, weights):
            tw = _tw_print(t, FONT, w)
            if v is None:
                x0 = px(0.0) + NO_DATA_OFF
                while _crosses(x0, x0 + tw, lines):
                    x0 = max(_crosses(x0, x0 + tw, lines)) + LINE_CLEAR + NO_DATA_OFF / 2
                room = A + rm - x0
                text = t if tw <= room else wrap(t, room, as_printed=True)
                if text.count("\n") > 1 or _maxw(text, as_printed=True) > room:
                    x0, text = px(0.0) + NO_DATA_OFF, t  # no room after the line: by the axis, the line pauses
                out.append((x0, text, _maxw(text, FONT, as_printed=True)))
                continue
            off = 3.0 + (1.0 if h else 0.0)
            end = px(v)
            x0 = end + off if v >= 0 else end - off - tw
            hit = _crosses(x0, x0 + tw, lines)
            if not hit:
                out.append((None, t, tw))
                continue
            x1 = max(hit) + LINE_CLEAR + 1.0
            while _crosses(x1, x1 + tw, lines):
                x1 = max(_crosses(x1, x1 + tw, lines)) + LINE_CLEAR + 1.0
            if v >= 0 and x1 + tw <= A:
                out.append((x1, t, tw))
            else:
                out.append((None, t, tw))  # the line gets a gap here instead (see _ref_segments)
                if v >= 0:
                    more.append((max(refs), tw + LINE_CLEAR + 1.0))
        if not more or more == extra:
            return (A, xmin, xmax, ticks, rm), out
        extra = more
    return (A, xmin, xmax, ticks, rm), out


def _ref_segments(x: float, boxes: list[tuple[float, float, float, float]], total: float) -> list[tuple[float, float]]:
    """The pieces (y0, y1) of a vertical line at x (points from the axes' left) from 0 to `total`
    that stay LINE_CLEAR away from every text box (x0, y0, x1, y1) it would otherwise cross."""
    gaps = sorted((y0 - LINE_CLEAR, y1 + LINE_CLEAR) for x0, y0, x1, y1 in boxes
                  if x0 - LINE_CLEAR < x < x1 + LINE_CLEAR)
    segs, y = [], 0.0
    for g0, g1 in gaps:
        if g0 > y:
            segs.append((y, g0))
        y = max(y, g1)
    if y < total:
        segs.append((y, total))
    return segs


@draws("hbar")
def _draw_hbar(p: dict):
    fig = _new_fig()
    frame = _Frame(fig)
    wrapped, label_w = _label_column(p["labels"])
    vals = p["values"]
    hl = p["highlight"]
    axis, placed = _hbar_layout(p, label_w)
    A, xmin, xmax, ticks, rm = axis
    u = A / (xmax - xmin)
    rows = [max(ROW_MIN, _box(w)[1] + 4.0, _box(text)[1] + 4.0) for w, (_x, text, _w) in zip(wrapped, placed)]
    refs = [x for _, x in p["reference"]]
    ax, centers, A, xmax, rm = _bar_axes(fig, frame, wrapped, rows, label_w, lambda avail: axis)
    left = frame.boxes[-1][1][0]
    boxes = []  # every value text's box, in points from the axes' top-left corner
    for yc, v, (x0, t, tw), h, hat in zip(centers, vals, placed, hl, p["hatched"]):
        th = _box(t)[1]
        bold = h and not _missing(t)
        if v is None:
            ax.annotate(t, (xmin, yc), xytext=(x0, 0), textcoords="offset points", va="center", ha="left",
                        fontsize=FONT, color=MISSING_INK if _missing(t) else INK, annotation_clip=False,
                        parse_math=False, fontfamily=_families(), bbox=VALUE_BG, zorder=4, linespacing=LINESPACING)
            boxes.append((x0, yc - th / 2, x0 + tw, yc + th / 2))
            continue
        style = _patch_style("highlight" if h else "hatched" if hat else "solid")
        ax.barh(yc, v, height=BAR_H, **style)
        if x0 is None:
            off = 3.0 + (1.0 if h else 0.0)
            ax.annotate(t, (v, yc), xytext=(off if v >= 0 else -off, 0), textcoords="offset points",
                        va="center", ha="left" if v >= 0 else "right", fontsize=FONT, color=INK,
                        fontweight="bold" if bold else "normal",
                        annotation_clip=False, parse_math=False, fontfamily=_families(), bbox=VALUE_BG, zorder=4)
            bx = (v - xmin) * u + (off if v >= 0 else -off - tw)
        else:  # after the reference line it would cross
            ax.annotate(t, (xmin, yc), xytext=(x0, 0), textcoords="offset points", va="center", ha="left",
                        fontsize=FONT, color=INK, fontweight="bold" if bold else "normal", annotation_clip=False,
                        parse_math=False, fontfamily=_families(), bbox=VALUE_BG, zorder=4)
            bx = x0
        boxes.append((bx, yc - th / 2, bx + tw, yc + th / 2))
    entries = [_Entry("patch", _patch_style(s), t) for s, t in p["legend"]]
    total = max(sum(rows), ROW_MIN)
    for (lab, x), ls in zip(p["reference"], REF_STYLES * 3):
        for y0, y1 in _ref_segments((x - xmin) * u, boxes, total):
            ax.plot([x, x], [y0, y1], color=INK, linestyle=ls, linewidth=1.1, zorder=3, solid_capstyle="butt",
                    dash_capstyle="butt")
        entries.append(_Entry("line", dict(color=INK, linestyle=ls, linewidth=1.1), lab))
    below = _below_axes(ax, frame, left, A, rm, p["xlabel"])
    top = PAD + 2.0 + sum(rows) + below
    lh = _legend_below(frame, entries, top + 6.0)
    frame.finish(top + (6.0 + lh if lh else 0.0) + PAD)
    return fig, frame, {}


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


@draws("grouped_hbar")
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
