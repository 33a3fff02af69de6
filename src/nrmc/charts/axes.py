"""Axes layout shared by the chart kinds: the value axis and its ticks, the label column and x label
of bar-like charts, year ticks of the time lines, and point labels placed without overlap."""
from __future__ import annotations

import math

from matplotlib.ticker import MaxNLocator

from nrmc.charts.style import PAD, W_PT
from nrmc.charts.text import LINESPACING, _box, _fmt_num, _maxw, _tw, wrap

LABEL_FRAC = 0.44
ROW_MIN = 15.0


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


def _label_column(labels: list[str]) -> tuple[list[str], float]:
    limit = (W_PT - 2 * PAD) * LABEL_FRAC
    wrapped = [wrap(lab, limit) for lab in labels]
    return wrapped, max([_maxw(w) for w in wrapped] + [0.0])


def _year_ticks(x0: float, x1: float, width: float) -> list[int]:
    """Whole years between x0 and x1, every 1, 2 or 5 years as the width allows."""
    years = list(range(math.ceil(x0), math.floor(x1) + 1))
    per_year = width / max(x1 - x0, 1e-9)
    step = next((k for k in (1, 2, 5, 10) if per_year * k >= _tw("2020") + 8.0), 10)
    return [y for y in years if y % step == 0] or years[:1]


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
