"""The tile-grid map of provinces: one square per province, shaded by its count on the ramp,
hatched or dashed where the number is not known; rendered once and a highlighted province drawn
into the cached SVG."""
from __future__ import annotations

from typing import Mapping, Sequence

import pandas as pd
from matplotlib.patches import Rectangle

from nrmc.charts.axes import MISSING_INK, _missing
from nrmc.charts.cache import _get, draws
from nrmc.charts.frame import _Entry, _Frame, _legend_draw, _legend_layout, _new_fig, _text, _title_block
from nrmc.charts.params import _href, _num, _sep
from nrmc.charts.ramp import _class_of, _classes, _ink_on
from nrmc.charts.style import EDGE, FONT, HIGHLIGHT_LW, INK, MIN_FONT, PAD, RAMP, W_PT
from nrmc.charts.svg import Chart, _finish
from nrmc.charts.text import _CJK, _ascent, _box, _clean, _maxw, _tw_print, wrap

TILE_GAP = 1.4
TILE_PAD = 0.3
KEY_TITLE = {"en": "Province codes (ISO 3166-2)", "zh": "省份代码（ISO 3166-2）"}
KEY_CODE_GAP = 2.5   # pt between a code and its name in the key
KEY_SEP = 9.0        # pt between two entries of the key


def tile_map(tiles: pd.DataFrame, *, lang: str, legend_title: str, legend_labels: Mapping[str, str] | None = None,
             highlight: str | None = None, links: Mapping[str, str] | None = None,
             bins: Sequence[float] | None = None, alt: str | None = None) -> Chart:
    """A tile-grid map of provinces.

    `tiles`: columns code, label, tile_row, tile_col, value (float or NaN), value_text (shown
    under the label), kind ∈ {"count", "known", "exporter", "unknown"}. "count" tiles are shaded by
    value on the ramp (0 lightest); "known" is hatched (centres known, number unknown); "exporter"
    has horizontal lines; "unknown" is white with a dashed border. Optional column `short`: a short
    code per province (ISO 3166-2, "HL"); when a label would only fit its tile broken inside a word
    (English names: "Heilongjiang" is twice a tile's width at 8 pt), the tiles show the codes and a
    key under the legend gives each code's name. The legend explains the ramp's bins and every
    kind present, using `legend_labels` {kind: text} ("count" is the ramp, titled `legend_title`).
    `bins`: optional upper edges of the positive classes (else chosen from the values).
    `highlight`: a code outlined in vermilion (drawn into the cached base map). `links`:
    {code: href}, each tile becomes a link (the map is then role="group").
    """
    need = {"code", "label", "tile_row", "tile_col", "value", "value_text", "kind"}
    missing = need - set(tiles.columns)
    if missing:
        raise ValueError(f"tile_map: missing columns {sorted(missing)}")
    recs = []
    cols = {c: tiles[c].tolist() for c in need}  # column lists: much faster than iterating rows
    cols["short"] = tiles["short"].tolist() if "short" in tiles.columns else [""] * len(tiles)
    for code, label, short, row, col, value, vt, kind in zip(*(cols[c] for c in (
            "code", "label", "short", "tile_row", "tile_col", "value", "value_text", "kind"))):
        kind = _clean(kind) or "count"
        if kind not in ("count", "known", "exporter", "unknown"):
            raise ValueError(f"tile_map: unknown kind {kind!r}")
        recs.append({"code": _clean(code), "label": _clean(label), "short": _clean(short), "row": int(row),
                     "col": int(col), "value": _num(value), "value_text": _clean(vt), "kind": kind})
    recs.sort(key=lambda t: (t["row"], t["col"], t["code"]))
    params = {"tiles": recs, "lang": lang, "legend_title": _clean(legend_title),
              "legend_labels": {str(k): _clean(v) for k, v in sorted((legend_labels or {}).items())},
              "bins": [float(b) for b in bins] if bins else None,
              "links": {str(k): _href(v) for k, v in sorted((links or {}).items())} or None}
    key, base = _get("tile_map", params)
    if alt is None:
        zh = lang == "zh"
        items = [f"{t['label'].replace(chr(10), '')} {t['value_text']}".strip() for t in recs if t["value_text"] not in ("", "—")]
        alt = params["legend_title"] + ("：" if zh else ": ") + _sep(zh).join(items)
    return _finish(base, key, alt, highlight=None if highlight is None else _clean(highlight))


def _kind_style(kind: str, face: str) -> dict:
    if kind == "known":
        return dict(facecolor="white", edgecolor=EDGE, linewidth=0.6, hatch="////", hatchcolor="#8fb4d9")
    if kind == "exporter":
        return dict(facecolor="white", edgecolor=EDGE, linewidth=0.6, hatch="---", hatchcolor="#9a9a9a")
    if kind == "unknown":
        return dict(facecolor="white", edgecolor=EDGE, linewidth=0.8, linestyle=(0, (2.5, 1.5)))
    return dict(facecolor=face, edgecolor=EDGE, linewidth=0.6)


@draws("tile_map")
def _draw_tile_map(p: dict):
    tiles = p["tiles"]
    fig = _new_fig()
    frame = _Frame(fig)
    outline = max(0.0, HIGHLIGHT_LW / 2 - TILE_GAP / 2)  # how far a highlight sticks out of the grid
    inner = W_PT - 2 * PAD - 2 * outline
    c0 = min(t["col"] for t in tiles)
    c1 = max(t["col"] for t in tiles)
    r0 = min(t["row"] for t in tiles)
    r1 = max(t["row"] for t in tiles)
    cell = inner / (c1 - c0 + 1)
    tile_w = cell - TILE_GAP
    text_w = tile_w - 2 * TILE_PAD
    # one size for every label: 8 pt if all fit on one line, else 7.5 pt and wrap at spaces (Chinese
    # between characters). A label with a word wider than its tile ('Heilongjiang', 'Shanghai' in
    # print) is never broken inside the word: the tiles then show short codes, named in a key.
    codes = _use_codes(tiles, text_w)
    shown = {t["code"]: t["short"] if codes else t["label"] for t in tiles}
    size = FONT if all(_maxw(shown[t["code"]], FONT, as_printed=True) <= text_w for t in tiles) else MIN_FONT
    labels = {t["code"]: wrap(shown[t["code"]], text_w, size, pinyin_hyphen=False, as_printed=True) for t in tiles}
    vsize = size
    values = {t["code"]: wrap(t["value_text"], text_w, vsize, as_printed=True) if t["value_text"] else ""
              for t in tiles}
    gap_v = 1.0
    need = {}
    for t in tiles:
        h = _box(labels[t["code"]], size)[1]
        if values[t["code"]]:
            h += gap_v + _box(values[t["code"]], vsize)[1]
        need[t["code"]] = h + 2 * TILE_PAD
    # row heights: at least square, taller where a label needs it; rows without tiles are halved
    row_h = {}
    for r in range(r0, r1 + 1):
        in_row = [need[t["code"]] for t in tiles if t["row"] == r]
        row_h[r] = max([tile_w] + in_row) + TILE_GAP if in_row else cell * 0.45
    row_top = {}
    y = 0.0
    for r in range(r0, r1 + 1):
        row_top[r] = y
        y += row_h[r]
    map_w, map_h = inner, y
    left = PAD + outline
    top = PAD + outline
    ax = frame.add(left, top, map_w, map_h)

    counts = [t["value"] for t in tiles if t["kind"] == "count" and t["value"] is not None]
    edges, class_labels = _classes(counts, p["bins"])
    meta_tiles = []
    for i, t in enumerate(tiles):
        x = (t["col"] - c0) * cell + TILE_GAP / 2
        yt = row_top[t["row"]] + TILE_GAP / 2
        th = row_h[t["row"]] - TILE_GAP
        face = "white"
        if t["kind"] == "count":
            face = RAMP[_class_of(t["value"], edges)] if t["value"] is not None else "white"
        style = _kind_style(t["kind"] if (t["kind"] != "count" or t["value"] is not None) else "unknown", face)
        gid = "tile-" + t["code"].encode("utf-8").hex() + "-"
        z = 2 + i * 1e-3
        rect = Rectangle((x, yt), tile_w, th, zorder=z, gid=gid + "r", **style)
        ax.add_patch(rect)
        ink = _ink_on(face) if t["kind"] == "count" else INK
        lab, val = labels[t["code"]], values[t["code"]]
        lh = _box(lab, size)[1]
        vh = _box(val, vsize)[1] if val else 0.0
        block = lh + (gap_v + vh if val else 0.0)
        y0 = yt + (th - block) / 2
        bg = dict(boxstyle="square,pad=0.15", facecolor="white", edgecolor="none") if t["kind"] in ("known", "exporter") else None
        _text(ax, x + tile_w / 2, y0, lab, fontsize=size, ha="center", va="top", multialignment="center",
              color=ink, zorder=z, gid=gid + "l", bbox=bg)
        if val:
            miss = _missing(t["value_text"])
            _text(ax, x + tile_w / 2, y0 + lh + gap_v, val, fontsize=vsize, ha="center", va="top",
                  multialignment="center", color=(MISSING_INK if ink == INK else ink) if miss else ink,
                  zorder=z, gid=gid + "v", fontweight="normal" if miss else "bold", bbox=bg)
        meta_tiles.append((t["code"], ax, (x, yt, tile_w, th)))

    # legend: the ramp's classes, then each other kind present
    entries: list[_Entry] = []
    n_classes = len(edges) + 1 if counts else 0
    present_classes = sorted({_class_of(v, edges) for v in counts})
    for k in range(n_classes):
        # the 0 class only when a tile is 0: on the briefings' map no province is 0 (not in the
        # sources is not zero), and a legend entry for it would suggest otherwise
        if k in present_classes or (k == n_classes - 1 and k > 0):
            entries.append(_Entry("patch", dict(facecolor=RAMP[k], edgecolor=EDGE, linewidth=0.6), class_labels[k]))
    kinds = [t["kind"] if (t["kind"] != "count" or t["value"] is not None) else "unknown" for t in tiles]
    ll = p["legend_labels"]
    defaults = {"zh": {"known": "有中心，数量不详", "exporter": "输出医院所在地", "unknown": "来源未提及"},
                "en": {"known": "Has centres, number unknown", "exporter": "Home of output hospitals",
                       "unknown": "Not in the sources"}}["zh" if p["lang"] == "zh" else "en"]
    kind_entries = []
    for kind in ("known", "exporter", "unknown"):
        if kind in kinds:
            kind_entries.append(_Entry("patch", _kind_style(kind, "white"), ll.get(kind) or defaults[kind]))
    legend_w = W_PT - 2 * PAD
    placed, lh_ = _legend_layout(entries, legend_w, p["legend_title"] or None)
    placed2, lh2 = _legend_layout(kind_entries, legend_w)
    ltop = top + map_h + outline + 4.0
    lax = frame.add(PAD, ltop, legend_w, lh_)
    _legend_draw(lax, placed)
    total = ltop + lh_
    if kind_entries:
        lax2 = frame.add(PAD, total + 3.0, legend_w, lh2)
        _legend_draw(lax2, placed2)
        total += 3.0 + lh2
    if codes:
        title = ll.get("key") or KEY_TITLE["zh" if p["lang"] == "zh" else "en"]
        kplaced, kh = _key_layout([(t["short"], t["label"].replace("\n", " ")) for t in tiles], legend_w, title)
        kax = frame.add(PAD, total + 5.0, legend_w, kh)
        _key_draw(kax, kplaced)
        total += 5.0 + kh
    frame.finish(total + PAD)
    return fig, frame, {"tiles": meta_tiles}


def _words_fit(label: str, width: float) -> bool:
    """Whether `label` fits a tile `width` wide when it may break only between words (and between
    Chinese characters) at the smallest size, as it prints in either font."""
    for word in label.split():
        for piece in (list(word) if _CJK.search(word) else [word]):
            if _tw_print(piece, MIN_FONT) > width:
                return False
    return True


def _use_codes(tiles: list[dict], text_w: float) -> bool:
    """Short codes instead of labels: when every tile has one and some label would have to be
    broken inside a word."""
    if not all(t["short"] for t in tiles):
        return False
    return not all(_words_fit(t["label"], text_w) for t in tiles)


def _key_layout(items: list[tuple[str, str]], width: float, title: str):
    """The key of the codes, in the codes' alphabetical order, entries flowing in lines (an entry is
    never split): [(what, x, y, code, name)], height."""
    placed, y = _title_block(width, title)
    x, row_h = 0.0, 0.0
    for code, name in sorted(set(items)):
        cw = _tw_print(code, FONT, "bold") + KEY_CODE_GAP
        name_t = wrap(name, width - cw, as_printed=True)
        ew = cw + _maxw(name_t, as_printed=True)
        if x > 0 and x + ew > width:
            x, y, row_h = 0.0, y + row_h + 1.5, 0.0
        placed.append(("entry", x, y, code, name_t))
        x += ew + KEY_SEP
        row_h = max(row_h, _box(name_t)[1])
    return placed, y + row_h


def _key_draw(ax, placed) -> None:
    for what, x, y, code, text in placed:
        if what == "title":
            _text(ax, x, y, text, va="top", ha="left")
            continue
        base = y + _ascent()  # one baseline for the bold code and its name
        # the code ends where its name begins, less the gap, in whichever font prints it
        xc = x + _tw_print(code, FONT, "bold")
        _text(ax, xc, base, code, va="baseline", ha="right", fontweight="bold")
        _text(ax, xc + KEY_CODE_GAP, base, text, va="baseline", ha="left")
