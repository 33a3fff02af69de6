"""A matrix of counts (e.g. origin province × host province) as shaded cells with the count written
in, drawn transposed when its columns would be too narrow for a phone."""
from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.collections import LineCollection
from matplotlib.patches import Rectangle

from nrmc.charts.cache import _get, draws
from nrmc.charts.frame import _Frame, _new_fig, _text
from nrmc.charts.params import _is_zh, _num, _sep
from nrmc.charts.ramp import _class_of, _classes, _ink_on
from nrmc.charts.style import FONT, MIN_FONT, PAD, RAMP, W_PT
from nrmc.charts.svg import Chart, _finish
from nrmc.charts.text import _box, _clean, _fmt_num, _maxw, _tw, wrap


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


@draws("matrix")
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
