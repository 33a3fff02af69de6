"""Horizontal bars (`hbar`: one bar per item, with highlight, hatching and reference lines) and
grouped horizontal bars (`grouped_hbar`: two or three series per category)."""
from __future__ import annotations

from typing import Mapping, Sequence

from nrmc.charts.axes import MISSING_INK, ROW_MIN, _bar_axes, _below_axes, _label_column, _missing, _value_axis
from nrmc.charts.cache import _get, draws
from nrmc.charts.frame import _Entry, _Frame, _legend_below, _new_fig
from nrmc.charts.params import _bools, _is_zh, _num, _sep, _strs
from nrmc.charts.style import DARK, FONT, HIGHLIGHT, INK, LIGHT, MID, MIN_FONT, PAD, _families
from nrmc.charts.svg import Chart, _finish
from nrmc.charts.text import _box, _clean, _tw

BAR_H = 10.0


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


def _patch_style(style: str) -> dict:
    if style == "highlight":
        return dict(facecolor=DARK, edgecolor=HIGHLIGHT, linewidth=2.0)
    if style == "hatched":
        return dict(facecolor=LIGHT, edgecolor=DARK, linewidth=0.6, hatch="////", hatchcolor=DARK)
    return dict(facecolor=MID, edgecolor="none", linewidth=0)


@draws("hbar")
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
