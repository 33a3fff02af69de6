"""Chart text as a reader sees it in print (issue 20; the third English reading's chart faults):

- the national tile map never breaks a word inside a tile and nothing overflows a tile: English
  names (too wide for a tile at 8 pt in print) give way to ISO 3166-2 codes named in a key, while
  the Chinese map keeps its names; no text below 8 pt as printed at the chart's print width;
- no text of a bar chart is crossed by its reference line (the China average ran through
  "— not in the sources" and touched "0.50": in print the words looked struck through);
- the per-head chart of a province names an exporter province's row for what it is (Beijing's
  hospitals lead 42 centres elsewhere), the others "no centre reported".

Widths are measured in the font each language prints in: English chart text in Noto Sans (the
Latin font of briefing.css), which is wider than the CJK font's Latin letters matplotlib lays out
with; both are measured and the wider counts.
"""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from matplotlib.ft2font import FT2Font, LoadFlags

from nrmc import charts, fonts

ROOT = Path(__file__).resolve().parents[1]
PROVINCES = pd.read_csv(ROOT / "data" / "provinces.csv", dtype={"code": str})
NS = "{http://www.w3.org/2000/svg}"
CJK = re.compile(r"[\u2e80-\u2fff\u3000-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef]")
CSS = ROOT / "src" / "nrmc" / "templates" / "nrmc_briefing" / "static" / "briefing.css"


from test_charts import fresh_cache  # noqa: E402,F401  (autouse: every test starts with empty caches)


_FT: dict = {}


def latin_width(s: str, size: float, bold: bool = False) -> float:
    """Width in points of `s` in Noto Sans, the font English chart text prints in (glyphs it lacks
    come from the CJK font, as in the browser)."""
    if bold not in _FT:
        _FT[bold] = FT2Font(fonts.latin_font(bold=bold).path)
    font = _FT[bold]
    has = "".join(c for c in s if font.get_char_index(ord(c)))
    font.set_size(100, 72)
    font.set_text(has, 0.0, flags=LoadFlags.NO_HINTING)
    w = font.get_width_height()[0] / 64 * size / 100 if has else 0.0
    return w + sum(charts._tw(c, size, "bold" if bold else "normal") for c in s if not font.get_char_index(ord(c)))


def printed_width(s: str, size: float, bold: bool = False) -> float:
    cjk = charts._tw(s, size, "bold" if bold else "normal")
    return cjk if CJK.search(s) else max(cjk, latin_width(s, size, bold))


def print_width_pt() -> float:
    """The width a chart prints at (briefing.css: `width: min(100%, 125mm)`)."""
    mm = float(re.search(r"figure\.chart svg \{ width: min\(100%, ([\d.]+)mm\)", CSS.read_text(encoding="utf-8")).group(1))
    return mm / 25.4 * 72


# ---- the SVG, read as the browser draws it -----------------------------------------------------
def svg_texts(svg: str) -> list[dict]:
    """Every <text>: its string, size, weight and box (x0, y0, x1, y1) in SVG units, the width as printed."""
    out = []
    for t in ET.fromstring(svg).iter(NS + "text"):
        s = "".join(t.itertext())
        size = float(t.get("font-size", "8px").rstrip("px"))
        bold = t.get("font-weight") in ("700", "bold")
        if t.get("transform"):
            m = re.match(r"translate\(([-\d.]+) ([-\d.]+)\)", t.get("transform"))
            x, y = float(m.group(1)), float(m.group(2))
        else:
            x, y = float(t.get("x", 0)), float(t.get("y", 0))
        w = printed_width(s, size, bold)
        anchor = t.get("text-anchor", "start")
        x0 = x - w / 2 if anchor == "middle" else x - w if anchor == "end" else x
        out.append({"text": s, "size": size, "bold": bold, "box": (x0, y - 0.8 * size, x0 + w, y + 0.25 * size)})
    return out


def svg_rects(svg: str) -> list[tuple[float, float, float, float]]:
    """Axis-aligned rectangles drawn as paths 'M x0 y0 L x1 y0 L x1 y1 L x0 y1 z'."""
    out = []
    for p in ET.fromstring(svg).iter(NS + "path"):
        nums = [float(v) for v in re.findall(r"-?[\d.]+", p.get("d", ""))]
        if len(nums) == 8 and re.fullmatch(r"M [-\d. ]+ L [-\d. ]+ L [-\d. ]+ L [-\d. ]+ z", p.get("d", "")):
            xs, ys = nums[0::2], nums[1::2]
            if len(set(xs)) == 2 and len(set(ys)) == 2:
                out.append((min(xs), min(ys), max(xs), max(ys)))
    return out


def dashed_verticals(svg: str) -> list[tuple[float, float, float]]:  # noqa: D401
    """Every dashed vertical line piece (x, y0, y1): the reference lines of a bar chart."""
    out = []
    for p in ET.fromstring(svg).iter(NS + "path"):
        if not p.get("stroke-dasharray") or p.get("fill") not in (None, "none"):
            continue
        for x0, y0, x1, y1 in re.findall(r"M ([-\d.]+) ([-\d.]+) L ([-\d.]+) ([-\d.]+)", p.get("d", "")):
            if abs(float(x0) - float(x1)) < 0.01 and abs(float(y0) - float(y1)) > 0.01:
                out.append((float(x0), min(float(y0), float(y1)), max(float(y0), float(y1))))
    return out


def struck(svg: str, clear: float = 1.0) -> list[tuple[str, float]]:
    """The texts a dashed vertical line passes through (or within `clear` of)."""
    hits = []
    for t in svg_texts(svg):
        x0, y0, x1, y1 = t["box"]
        for x, ly0, ly1 in dashed_verticals(svg):
            if x0 - clear < x < x1 + clear and ly0 < y1 and ly1 > y0:
                hits.append((t["text"], x))
    return hits


# ---- the tile map ------------------------------------------------------------------------------------
def map_tiles(lang: str) -> pd.DataFrame:
    """The 31 provinces as the briefings' map has them (labels in `lang`, ISO codes as `short`)."""
    n = len(PROVINCES)
    kinds = ["count"] * n
    vals = (np.arange(n) % 12 + 1).astype(float)
    vt = [str(int(v)) for v in vals]
    for i, code in enumerate(PROVINCES["code"]):
        if code in ("540000", "120000"):
            kinds[i], vals[i], vt[i] = "unknown", np.nan, "—"
        elif code in ("330000", "430000"):
            kinds[i], vals[i], vt[i] = "known", np.nan, "≥1"
        elif code in ("110000", "310000"):
            kinds[i], vals[i], vt[i] = "exporter", np.nan, "—"
    return pd.DataFrame({"code": PROVINCES["code"], "short": PROVINCES["iso"].str.removeprefix("CN-"),
                         "label": PROVINCES["name_zh_short" if lang == "zh" else "name_en"],
                         "tile_row": PROVINCES["tile_row"], "tile_col": PROVINCES["tile_col"],
                         "value": vals, "value_text": vt, "kind": kinds})


def tile_texts(svg: str):
    """For each tile (a rectangle of the map's grid, the first 31 squares drawn) the texts whose
    anchor lies inside it, top to bottom."""
    texts = svg_texts(svg)
    squares = [r for r in svg_rects(svg) if r[2] - r[0] > 15 and r[3] - r[1] >= r[2] - r[0] - 0.1]
    widths = [round(r[2] - r[0], 1) for r in squares]
    tile_w = max(set(widths), key=widths.count)
    tiles = [r for r, w in zip(squares, widths) if w == tile_w]
    out = []
    for r in tiles:
        inside = [t for t in texts if r[0] <= (t["box"][0] + t["box"][2]) / 2 <= r[2]
                  and r[1] <= t["box"][3] - 0.25 * t["size"] <= r[3]]
        out.append((r, sorted(inside, key=lambda t: t["box"][1])))
    return out


def make_map(lang: str, with_codes: bool = True) -> charts.Chart:
    tiles = map_tiles(lang)
    if not with_codes:
        tiles = tiles.drop(columns="short")
    return charts.tile_map(tiles, lang=lang, legend_title="Centres per province" if lang == "en" else "中心数",
                           legend_labels={"exporter": "no local centre in the sources; its hospitals lead centres elsewhere"
                                          if lang == "en" else "来源未提及本地中心；其医院支援外省"})


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_every_tile_label_is_whole_words_and_fits_its_tile_as_printed(lang):
    ch = make_map(lang)
    names = dict(zip(PROVINCES["iso"].str.removeprefix("CN-"), PROVINCES["name_en"]))
    found = tile_texts(ch.svg)
    assert len(found) == 31
    broken, overflow = [], []
    for (x0, y0, x1, y1), texts in found:
        assert texts, (x0, y0)
        for t in texts:
            if t["box"][0] < x0 + 0.2 or t["box"][2] > x1 - 0.2:
                overflow.append((t["text"], round(t["box"][2] - t["box"][0], 1), round(x1 - x0, 1)))
        label = [t["text"] for t in texts if not t["bold"] and t["text"] not in ("—",)]
        if lang == "en":
            shown = " ".join(label)
            # a whole name or a code of the key, never a piece of a word
            if not (shown in names or shown in set(PROVINCES["name_en"])):
                broken.append(label)
        else:  # Chinese may break between characters, never inside a number
            assert "".join(label) in set(PROVINCES["name_zh_short"]), label
    assert broken == [], broken
    assert overflow == [], overflow


def test_the_english_map_names_every_code_in_its_key_and_the_chinese_map_keeps_its_names():
    en = make_map("en")
    texts = [t["text"] for t in svg_texts(en.svg)]
    for iso, name in zip(PROVINCES["iso"], PROVINCES["name_en"]):
        code = iso.removeprefix("CN-")
        assert texts.count(code) == 2, code  # on its tile and in the key
        assert name in texts, name           # in the key, whole
    assert "Heilongjiang" in en.alt  # the alt text still reads names
    zh = make_map("zh")
    zh_texts = [t["text"] for t in svg_texts(zh.svg)]
    assert "HL" not in zh_texts and "黑龙江" in "".join(zh_texts)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_map_text_is_at_least_8_pt_at_the_print_width(lang):
    ch = make_map(lang)
    root = ET.fromstring(ch.svg)
    view_w = float(root.get("viewBox").split()[2])
    smallest = min(t["size"] for t in svg_texts(ch.svg))
    assert smallest * print_width_pt() / view_w >= 8.0 - 1e-6, (smallest, view_w)


# ---- bar charts and their reference line -----------------------------------------------------------
EAST = {"labels": ["Hainan", "Fujian", "Hebei", "Shandong", "Guangdong", "Jiangsu", "Beijing", "Tianjin", "Shanghai",
                   "Zhejiang"],
        "values": [3.82, 1.91, 0.81, 0.50, 0.39, 0.23, np.nan, np.nan, np.nan, np.nan]}


def east_chart(lang: str, texts: list[str] | None = None) -> charts.Chart:
    zh = lang == "zh"
    missing = (["— 来源未提及本地中心；其医院支援外省", "— 来源未提及", "— 来源未提及本地中心；其医院支援外省", "— 有中心，数量未知"] if zh else
               ["— no local centre; leads centres elsewhere", "— no centre reported",
                "— no local centre; leads centres elsewhere", "— has centres, number unknown"])
    vt = texts or ["3.82", "1.91", "0.81", "0.50", "0.39", "0.23"] + missing
    labels = ["海南", "福建", "河北", "山东", "广东", "江苏", "北京", "天津", "上海", "浙江"] if zh else EAST["labels"]
    return charts.hbar(labels, EAST["values"], value_texts=vt, xlabel="每千万常住人口的中心数（个）" if zh else
                       "Centres per 10 million residents", hatched=[False, True] + [False] * 8,
                       legend=[("solid", "named" if not zh else "具名"), ("hatched", "stated" if not zh else "所称")],
                       reference=[("China average (official total)" if not zh else "全国平均（官方总数）", 0.89)])


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_average_line_never_runs_through_a_text(lang):
    ch = east_chart(lang)
    assert dashed_verticals(ch.svg), "the average line is drawn"
    assert struck(ch.svg) == []
    # the old labels, longer and starting at the axis, too
    old = east_chart(lang, ["3.82", "1.91", "0.81", "0.50", "0.39", "0.23"] + ["— not in the sources"] * 3 +
                     ["— has centres, number unknown"])
    assert struck(old.svg) == []


def test_a_line_with_no_room_after_it_pauses_at_the_text_instead():
    """A bar-less row's text too long for the room after the line stays by the axis: the line
    leaves a gap for it (in pieces above and below)."""
    ch = charts.hbar(["a", "b", "c"], [3.0, np.nan, 1.0], value_texts=["3.00", "— a long text in a row without a bar, for once", "1.00"],
                     xlabel="x", reference=[("ref", 2.2)])
    assert struck(ch.svg) == []
    assert len(dashed_verticals(ch.svg)) == 2  # in two pieces
    assert any(t["text"].startswith("— a long text") and t["box"][0] < 30 for t in svg_texts(ch.svg))


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_every_value_text_stays_inside_the_chart(lang):
    ch = east_chart(lang)
    w = float(ET.fromstring(ch.svg).get("viewBox").split()[2])
    for t in svg_texts(ch.svg):
        assert t["box"][0] >= -0.01 and t["box"][2] <= w + 0.01, t


# ---- the per-head chart of a briefing ----------------------------------------------------------------
def per_head_svg(scope: str, lang: str) -> str:
    from briefings import composed

    _b, html = composed(scope, lang)
    axis = "Centres per 10 million residents" if lang == "en" else "每千万常住人口的中心数（个）"
    for m in re.finditer(r"<svg\b.*?</svg>", html, re.S):
        if axis in m.group(0):
            return m.group(0)
    raise AssertionError(f"no per-head chart in {scope} {lang}")


def row_text(svg: str, label: str) -> str:
    texts = svg_texts(svg)
    row = next(t for t in texts if t["text"] == label)
    yc = (row["box"][1] + row["box"][3]) / 2
    return " ".join(t["text"] for t in texts if t is not row and t["box"][0] > row["box"][2]
                    and t["box"][1] - 4 < yc < t["box"][3] + 4)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_beijings_chart_says_beijing_and_shanghai_lead_centres_elsewhere(lang):
    svg = per_head_svg("beijing", lang)
    if lang == "en":
        assert row_text(svg, "Beijing") == row_text(svg, "Shanghai") == "— no local centre; leads centres elsewhere"
        assert row_text(svg, "Tianjin") == "— no centre reported"
        assert "not in the sources" not in svg
    else:
        assert row_text(svg, "北京") == row_text(svg, "上海") == "— 来源未提及本地中心；其医院支援外省"
        assert row_text(svg, "天津") == "— 来源未提及"
    assert struck(svg) == []


@pytest.mark.parametrize("scope", ["anhui", "guizhou", "tibet", "hubei"])
def test_no_briefings_per_head_chart_has_text_under_its_line(scope):
    for lang in ("en", "zh"):
        assert struck(per_head_svg(scope, lang)) == [], (scope, lang)


def test_the_english_chart_title_compares_with_the_national_average():
    from briefings import composed

    _b, html = composed("anhui", "en")
    assert "above the national average of 0.89" in html
    assert not re.search(r"(above|below) the national \d", html)


def test_the_national_map_of_the_briefings_shows_codes_in_english():
    from briefings import composed

    _b, html = composed("national", "en")
    svg = next(m.group(0) for m in re.finditer(r"<svg\b.*?</svg>", html, re.S) if "Province codes" in m.group(0))
    assert [t for t in svg_texts(svg) if t["text"] in ("Hei", "long", "jiang", "Shang", "hai")] == []
    _b, html = composed("national", "zh")
    assert "Province codes" not in html and "省份代码" not in html
