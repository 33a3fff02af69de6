"""From a laid-out figure to the inline SVG of a `Chart`: saving it while recording the texts drawn,
checking that every text stays inside (and refitting when one does not), post-processing the SVG
(no prolog or global style, presentation attributes, ids prefixed per chart, links), and the
`Chart` object itself with its alt text."""
from __future__ import annotations

import hashlib
import html
import io
import json
import logging
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from typing import Iterable, Mapping

from matplotlib.backends.backend_svg import RendererSVG
from matplotlib.figure import Figure
from matplotlib.text import Text

from nrmc.charts.frame import _Frame
from nrmc.charts.style import HIGHLIGHT, HIGHLIGHT_LW, _font_stack
from nrmc.charts.text import _clean

log = logging.getLogger(__name__)

SVG_NS = "http://www.w3.org/2000/svg"
XLINK_NS = "http://www.w3.org/1999/xlink"
ET.register_namespace("", SVG_NS)
ET.register_namespace("xlink", XLINK_NS)


@dataclass(frozen=True)
class Chart:
    """A rendered chart: `svg` is an inline-ready <svg> element (no prolog, ids prefixed per chart,
    `role="img"` with a <title> holding `alt`, no width/height: it scales to its container)."""

    svg: str
    alt: str
    width_in: float
    height_in: float
    texts: tuple[str, ...]

    def __html__(self) -> str:  # MarkupSafe / Jinja2
        return self.svg

    def _repr_html_(self) -> str:  # Jupyter shows the chart itself
        return f'<div style="max-width:{self.width_in * 1.5:.2f}in">{self.svg}</div>'

    def __str__(self) -> str:
        return self.svg

    def __repr__(self) -> str:
        alt = self.alt if len(self.alt) <= 60 else self.alt[:57] + "..."
        return f"Chart({self.width_in:g}x{self.height_in:.2f} in, {len(self.svg):,} chars, alt={alt!r})"

    def data_uri(self) -> str:
        """The SVG as a data: URI, for an <img src> (the alt text then goes on the <img>)."""
        import base64

        return "data:image/svg+xml;base64," + base64.b64encode(self.svg.encode("utf-8")).decode("ascii")


@dataclass(frozen=True)
class _Base:
    """What the cache stores: the SVG with placeholders for the id prefix and the alt text."""

    svg: str
    width_in: float
    height_in: float
    texts: tuple[str, ...]
    boxes: dict  # tile code -> [x, y, w, h] in SVG user units (tile map only)

    def to_json(self) -> str:
        return json.dumps({"svg": self.svg, "w": self.width_in, "h": self.height_in,
                           "texts": list(self.texts), "boxes": self.boxes}, ensure_ascii=False)

    @classmethod
    def from_json(cls, s: str) -> "_Base":
        d = json.loads(s)
        if not isinstance(d.get("svg"), str) or not d["svg"].startswith("<svg") or not d["svg"].endswith("</svg>"):
            raise ValueError("not a chart")
        return cls(d["svg"], float(d["w"]), float(d["h"]), tuple(str(t) for t in d["texts"]),
                   {str(k): [float(x) for x in v] for k, v in d["boxes"].items()})


_ID = "\x01"      # placeholder for the per-chart id prefix (control characters never reach the SVG)
_ALT = "\x02"     # placeholder for the alt text inside <title>


# ---- the text-inside check ----
class _Recorder(RendererSVG):
    """The SVG renderer, remembering every Text artist it draws, in order. (Multi-line texts reach
    `draw_text` without their artist, so texts are recognised by the group id they open.)"""

    def __init__(self, *a, texts: dict | None = None, **k):
        super().__init__(*a, **k)
        self.drawn: list[Text] = []
        self._texts = texts or {}

    def open_group(self, s, gid=None):
        if s == "text" and gid in self._texts:
            self.drawn.append(self._texts[gid])
        super().open_group(s, gid)


def _save(fig: Figure) -> tuple[str, _Recorder]:
    texts = {}
    for n, t in enumerate(fig.findobj(Text)):
        if not t.get_gid():
            t.set_gid(f"nrmc-text-{n}")  # unreferenced ids are dropped from the output
        texts[t.get_gid()] = t
    buf = io.StringIO()
    fig.set_dpi(72)
    w, h = fig.get_size_inches()
    renderer = _Recorder(w * 72, h * 72, buf, image_dpi=72, texts=texts,
                         metadata={"Date": None, "Creator": None, "Format": None, "Type": None})
    fig.draw(renderer)
    renderer.finalize()
    return buf.getvalue(), renderer


def text_overflow(fig: Figure, renderer, drawn: Iterable[Text]) -> list[tuple[str, tuple[float, float, float, float]]]:
    """Texts whose extent leaves the figure: [(text, (x0, y0, x1, y1)), ...] in points."""
    W, H = fig.bbox.width, fig.bbox.height
    out = []
    for t in drawn:
        if not t.get_visible() or not t.get_text().strip():
            continue
        bb = t.get_window_extent(renderer)
        if bb.x0 < -0.01 or bb.y0 < -0.01 or bb.x1 > W + 0.01 or bb.y1 > H + 0.01:
            out.append((t.get_text(), (bb.x0, bb.y0, bb.x1, bb.y1)))
    return out


def _fit(fig: Figure, frame: _Frame) -> tuple[str, _Recorder, int]:
    """Save; if a text sticks out (which the layouts are built to avoid), move and shrink the axes
    to make room and save again. Also returns how many times it refitted (counted in STATS)."""
    svg, rec = _save(fig)
    for refits in range(3):
        bad = text_overflow(fig, rec, rec.drawn)
        if not bad:
            return svg, rec, refits
        W, H = fig.bbox.width, fig.bbox.height
        left = max(0.0, max(-b[0] for _, b in bad)) + 0.5
        right = max(0.0, max(b[2] - W for _, b in bad)) + 0.5
        bottom = max(0.0, max(-b[1] for _, b in bad)) + 0.5
        top = max(0.0, max(b[3] - H for _, b in bad)) + 0.5
        log.debug("chart text outside the figure, refitting: %s", bad)
        frame.shift(left, top, (W - left - right) / W, H + top + bottom)
        svg, rec = _save(fig)
    log.warning("chart text still outside the figure after refitting: %s", text_overflow(fig, rec, rec.drawn))
    return svg, rec, 3


# ---- post-processing: inline-ready, prefixed ids, presentation attributes ----
_PRESENTATION = {"fill", "fill-opacity", "fill-rule", "stroke", "stroke-width", "stroke-linecap", "stroke-linejoin",
                 "stroke-dasharray", "stroke-dashoffset", "stroke-opacity", "stroke-miterlimit", "opacity",
                 "font-size", "font-family", "font-weight", "font-style", "font-variant", "font-stretch",
                 "text-anchor", "clip-path", "visibility", "display", "letter-spacing"}
_URL = re.compile(r"url\(#([^)]+)\)")


def _q(tag: str) -> str:
    return f"{{{SVG_NS}}}{tag}"


_GEOMETRY = ("x", "y", "width", "height", "transform", "points", "x1", "x2", "y1", "y2", "cx", "cy", "r")
_NUM = re.compile(r"-?\d+\.\d{3,}")


def _round(m: re.Match) -> str:
    s = f"{float(m.group(0)):.2f}".rstrip("0").rstrip(".")
    return "0" if s == "-0" else s


def _flatten(el) -> None:
    """Replace every <g> without attributes by its children (matplotlib nests them deeply)."""
    i = 0
    while i < len(el):
        child = el[i]
        _flatten(child)
        if child.tag == _q("g") and not child.attrib:
            el.remove(child)
            for k, grand in enumerate(list(child)):
                el.insert(i + k, grand)
            i += len(child)
        else:
            i += 1


def _postprocess(raw: str, links: Mapping[str, str] | None = None) -> str:
    root = ET.fromstring(raw)
    # drop metadata and matplotlib's global <style> (it would style the whole HTML page)
    for parent in list(root.iter()):
        for child in list(parent):
            if child.tag in (_q("metadata"), _q("style")):
                parent.remove(child)
    for defs in root.findall(_q("defs")):
        if len(defs) == 0:
            root.remove(defs)
    for a in ("width", "height", "version"):
        root.attrib.pop(a, None)
    root.set("class", "nrmc-chart")
    root.set("role", "img")
    root.set("preserveAspectRatio", "xMidYMid meet")
    root.set("stroke-linejoin", "round")
    root.set("stroke-linecap", "butt")
    fonts = _font_stack()

    # links: one <a> around the rect and texts of each linked tile
    if links:
        for parent in list(root.iter()):
            kids = list(parent)
            groups: dict[str, list] = {}
            for k in kids:
                gid = k.get("id", "")
                if gid.startswith("tile-"):
                    groups.setdefault(gid.split("-")[1], []).append(k)
            for code_hex, members in groups.items():
                code = bytes.fromhex(code_hex).decode("utf-8")
                href = links.get(code)
                if not href:
                    continue
                idx = list(parent).index(members[0])
                a = ET.Element(_q("a"), {"href": href})
                for m in members:
                    parent.remove(m)
                    a.append(m)
                parent.insert(idx, a)
        root.set("role", "group")  # links inside role=img would be hidden from assistive technology

    refs: list[str] = []
    for el in root.iter():
        # style="a: b; c: d" -> presentation attributes, which the page's CSS can override
        style = el.attrib.pop("style", None)
        if style:
            rest = []
            for decl in style.split(";"):
                if ":" not in decl:
                    continue
                k, v = (x.strip() for x in decl.split(":", 1))
                if k in _PRESENTATION:
                    el.set(k, v)
                else:
                    rest.append(f"{k}: {v}")
            if rest:
                el.set("style", "; ".join(rest))
        if "font-family" in el.attrib:  # inherited from the root, where the page's CSS can override it
            del el.attrib["font-family"]
        for k in _GEOMETRY:
            v = el.get(k)
            if v is not None:
                el.set(k, _NUM.sub(_round, v))
        tr = el.get("transform")
        if tr and re.fullmatch(r"rotate\(-?0 [-\d.e]+ [-\d.e]+\)", tr):
            del el.attrib["transform"]
        d = el.get("d")
        if d:
            el.set("d", _NUM.sub(_round, " ".join(d.split())))
        x = el.attrib.pop(f"{{{XLINK_NS}}}href", None)
        if x is not None:
            el.set("href", x)
        if el.tag == _q("a"):
            el.attrib.pop("target", None)
        for k, v in el.attrib.items():
            if k == "href" and v.startswith("#") and el.tag != _q("a"):
                refs.append(v[1:])
            refs += _URL.findall(v)
        if el.text is not None and not el.text.strip() and el.tag != _q("text"):
            el.text = None
        if el.tail is not None and not el.tail.strip():
            el.tail = None
    names: dict[str, str] = {}
    for r in refs:
        names.setdefault(r, f"{_ID}{len(names):x}")
    for el in root.iter():
        i = el.get("id")
        if i is not None:
            if i in names:
                el.set("id", names[i])
            else:
                del el.attrib["id"]
        for k, v in list(el.attrib.items()):
            if k == "href" and v.startswith("#") and el.tag != _q("a") and v[1:] in names:
                el.set(k, "#" + names[v[1:]])
            elif "url(#" in v:
                el.set(k, _URL.sub(lambda m: f"url(#{names.get(m.group(1), m.group(1))})", v))
    _flatten(root)
    root.set("font-family", fonts)
    title = ET.Element(_q("title"))
    title.text = _ALT
    root.insert(0, title)
    svg = ET.tostring(root, encoding="unicode")
    if svg.startswith("<?xml"):
        svg = svg.split("?>", 1)[1].lstrip()
    return svg


def _finish(base: _Base, key: str, alt: str, highlight: str | None = None) -> Chart:
    alt = _clean(alt)
    extra = ""
    if highlight is not None:
        box = base.boxes.get(str(highlight))
        if box is None:
            raise ValueError(f"highlight: no tile with code {highlight!r}")
        x, y, w, h = box
        extra = (f'<rect class="nrmc-highlight" x="{x:.2f}" y="{y:.2f}" width="{w:.2f}" height="{h:.2f}" '
                 f'fill="none" stroke="{HIGHLIGHT}" stroke-width="{HIGHLIGHT_LW}" pointer-events="none"/>')
    prefix = "c" + hashlib.sha256(f"{key}\x00{alt}\x00{highlight}".encode()).hexdigest()[:8] + "-"
    svg = base.svg.replace(_ID, prefix).replace(_ALT, html.escape(alt, quote=False))
    if extra:
        svg = svg[: -len("</svg>")] + extra + "</svg>"
    return Chart(svg=svg, alt=alt, width_in=base.width_in, height_in=base.height_in, texts=base.texts)
