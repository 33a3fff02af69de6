"""Counts as classes on the colour ramp (the tile map's and the matrix's shading), with legend
labels, and the text colour that reads on each shade."""
from __future__ import annotations

import math

import matplotlib

from nrmc.charts.style import INK, RAMP
from nrmc.charts.text import _fmt_num


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
