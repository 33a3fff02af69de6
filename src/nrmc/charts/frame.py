"""Laying a chart out in points from its top-left corner: the figure, the frame that places axes
and frameless canvases and sets the height last, and legends drawn by hand (entries wrap, and their
height is known before the figure's)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

from matplotlib.collections import PathCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.markers import MarkerStyle
from matplotlib.patches import Rectangle
from matplotlib.text import Text
from matplotlib.transforms import Affine2D, IdentityTransform

from nrmc.charts.style import DARK, FONT, PAD, W_PT, WIDTH_IN, _families
from nrmc.charts.text import LINESPACING, _box, _maxw, wrap


def _new_fig() -> Figure:
    return Figure(figsize=(WIDTH_IN, 3.0), dpi=72)


def _text(ax, x, y, s, **kw) -> Text:
    kw.setdefault("fontsize", FONT)
    kw.setdefault("linespacing", LINESPACING)
    return ax.text(x, y, s, parse_math=False, fontfamily=_families(), **kw)


class _Canvas:
    """A frameless drawing area: artists go straight onto the figure, in points from the area's
    top-left corner (y down). Much cheaper than an axes with its ticks."""

    def __init__(self, frame: "_Frame", left: float, top: float):
        self.frame, self.fig = frame, frame.fig
        self.offset = Affine2D().translate(left, top)
        self.transData = self.offset + frame.page

    def _add(self, artist):
        artist.set_transform(self.transData)
        self.fig.add_artist(artist)
        return artist

    def add_patch(self, p):
        return self._add(p)

    def add_line(self, line):
        return self._add(line)

    def text(self, x, y, s, **kw):
        return self._add(Text(x, y, s, **kw))

    def scatter(self, xs, ys, *, marker="o", s=36.0, facecolors=DARK, edgecolors=DARK, linewidths=1.0,
                linestyles="solid", zorder=3):
        ms = MarkerStyle(marker)
        path = ms.get_path().transformed(ms.get_transform())
        coll = PathCollection([path], sizes=[s], offsets=list(zip(xs, ys)), offset_transform=self.transData,
                              facecolors=facecolors, edgecolors=edgecolors, linewidths=linewidths,
                              linestyles=linestyles, zorder=zorder)
        coll.set_transform(IdentityTransform())
        self.fig.add_artist(coll)
        return coll


class _Frame:
    """Positions given in points from the top-left corner; the figure height is set last."""

    def __init__(self, fig: Figure):
        self.fig = fig
        self.boxes: list[tuple[Any, tuple[float, float, float, float]]] = []
        self.page = Affine2D()  # points from the top-left corner -> display (set in finish)
        self.canvases: list[_Canvas] = []

    def add(self, left: float, top: float, width: float, height: float, *, frameless=True):
        if frameless:
            c = _Canvas(self, left, top)
            self.canvases.append(c)
            return c
        ax = self.fig.add_axes((0, 0, 1, 1))
        self.boxes.append((ax, (left, top, width, height)))
        return ax

    def place(self, ax, left, top, width, height):
        self.boxes = [(a, b) if a is not ax else (a, (left, top, width, height)) for a, b in self.boxes]

    def finish(self, height_pt: float):
        h = round(max(height_pt, 20.0), 1)  # the viewBox's height, in points
        self.fig.set_size_inches(WIDTH_IN, h / 72)
        for ax, (left, top, width, hh) in self.boxes:
            ax.set_position((left / W_PT, (h - top - hh) / h, width / W_PT, hh / h))
        self.page.clear().scale(1.0, -1.0).translate(0.0, h)  # the figure's dpi is 72: 1 pt = 1 px
        return h

    def shift(self, left: float, top: float, scale: float, height_pt: float):
        """Move everything right by `left` and down by `top`, shrinking widths by `scale`."""
        self.boxes = [(ax, (left + l * scale, t + top, w * scale, h)) for ax, (l, t, w, h) in self.boxes]
        for c in self.canvases:
            (tx, ty) = c.offset.get_matrix()[:2, 2]
            c.offset.clear().translate(left + tx * scale, ty + top)
        return self.finish(height_pt)


# ---- legends (drawn by hand: entries wrap, and the height is known before the figure's) ----
SW_W, SW_H, SW_GAP, ENTRY_SEP = 12.0, 8.0, 3.0, 10.0


@dataclass
class _Entry:
    kind: str   # patch | line | marker
    style: dict
    text: str


def _title_block(width: float, title: str | None) -> tuple[list[tuple], float]:
    """A legend's or key's title, wrapped as printed: ([("title", 0, 0, None, text)], the y below it)."""
    if not title:
        return [], 0.0
    t = wrap(title, width, as_printed=True)
    return [("title", 0.0, 0.0, None, t)], _box(t)[1] + 2.0


def _legend_layout(entries: Sequence[_Entry], width: float, title: str | None = None):
    placed, y = _title_block(width, title)
    x, row_h = 0.0, 0.0
    for e in entries:
        text = wrap(e.text, width - SW_W - SW_GAP, as_printed=True)
        tw = _maxw(text, as_printed=True)
        ew = SW_W + SW_GAP + tw
        eh = max(_box(text)[1], SW_H)
        if x > 0 and x + ew > width:
            x, y, row_h = 0.0, y + row_h + 3.0, 0.0
        placed.append(("entry", x, y, e, text))
        x += ew + ENTRY_SEP
        row_h = max(row_h, eh)
    return placed, (y + row_h if entries else y)


def _legend_draw(ax, placed):
    line1 = _box("国lp")[1]
    for what, x, y, e, text in placed:
        if what == "title":
            _text(ax, x, y, text, va="top", ha="left")
            continue
        cy = y + line1 / 2
        if e.kind == "patch":
            st = dict(e.style)
            ax.add_patch(Rectangle((x + 0.5, cy - SW_H / 2), SW_W - 1, SW_H, **st))
        elif e.kind == "line":
            ax.add_line(Line2D([x, x + SW_W], [cy, cy], **e.style))
        elif e.kind == "marker":
            ax.scatter([x + SW_W / 2], [cy], **e.style)
        _text(ax, x + SW_W + SW_GAP, y, text, va="top", ha="left")


def _legend_below(frame, entries, top) -> float:
    if not entries:
        return 0.0
    width = W_PT - 2 * PAD
    placed, h = _legend_layout(entries, width)
    lax = frame.add(PAD, top, width, h)
    _legend_draw(lax, placed)
    return h
