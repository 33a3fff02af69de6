"""A scatter plot with every point labelled beside it, labels nudged so that none overlap."""
from __future__ import annotations

from typing import Any, Mapping, Sequence

from matplotlib.ticker import MaxNLocator

from nrmc.charts.axes import _below_axes, _place_labels
from nrmc.charts.cache import _get, draws
from nrmc.charts.frame import _Entry, _Frame, _legend_below, _new_fig, _text
from nrmc.charts.params import _is_zh, _num, _sep
from nrmc.charts.style import DARK, MIN_FONT, PAD, W_PT
from nrmc.charts.svg import Chart, _finish
from nrmc.charts.text import LINESPACING, _box, _clean, _fmt_num, _tw, wrap


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


@draws("scatter")
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
