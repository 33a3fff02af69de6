"""Official cumulative totals over time: a step line (or the points alone), each point labelled."""
from __future__ import annotations

from typing import Any, Sequence

from matplotlib.ticker import MaxNLocator

from nrmc.charts.axes import _place_labels, _year_ticks
from nrmc.charts.cache import _get, draws
from nrmc.charts.frame import _Frame, _new_fig, _text
from nrmc.charts.params import _date, _is_zh, _num, _sep, _strs, _year
from nrmc.charts.style import DARK, MIN_FONT, PAD, W_PT
from nrmc.charts.svg import Chart, _finish
from nrmc.charts.text import LINESPACING, _box, _clean, _fmt_num, _tw, wrap


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


@draws("step_total")
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
