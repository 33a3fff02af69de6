"""Charts: inline SVG that is valid, self-contained per chart, fits its box in both languages,
never truncates or interprets data text, and is rendered once per distinct input."""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import numpy as np
import pandas as pd
import pytest
from markupsafe import Markup

from nrmc import charts

NS = "{http://www.w3.org/2000/svg}"
HOSTILE = "$\\foo$ <b> {0} & \"q\""
LONG = {"zh": "上海交通大学医学院附属上海儿童医学中心贵州医院",
        "en": "Children's Hospital of Fudan University, Anhui Hospital"}
PROVINCES = pd.read_csv(charts.Path(__file__).resolve().parents[1] / "data" / "provinces.csv", dtype={"code": str})


@pytest.fixture(autouse=True)
def fresh_cache(tmp_path, monkeypatch):
    """Every test starts with empty caches in a temporary folder."""
    monkeypatch.setenv("NRMC_CACHE_DIR", str(tmp_path / "cache"))
    charts.cache_clear()
    yield
    charts.cache_clear()


@pytest.fixture
def drawn(monkeypatch):
    """Count renders and keep the figures that were drawn."""
    figs = []
    real = charts.cache._draw

    def spy(kind, params):
        out = real(kind, params)
        figs.append(out[0])
        return out

    monkeypatch.setattr(charts.cache, "_draw", spy)  # where the cache looks it up
    # counts of this test only (charts drawn by earlier tests in the same worker are not its business)
    monkeypatch.setattr(charts.cache, "STATS", {"hits_memory": 0, "hits_disk": 0, "renders": 0})
    return figs


def tiles(lang: str) -> pd.DataFrame:
    n = len(PROVINCES)
    vals = (np.arange(n) % 10).astype(float)
    kinds = ["count"] * n
    vt = [str(int(v)) for v in vals]
    for i, code in enumerate(PROVINCES["code"]):
        if code == "540000":
            kinds[i], vals[i], vt[i] = "unknown", np.nan, "—"
        elif code == "650000":
            kinds[i], vals[i], vt[i] = "known", np.nan, "≥1"
        elif code == "110000":
            kinds[i], vt[i] = "exporter", "0"
        elif code == "340000":
            vt[i] = "7+2"
    labels = PROVINCES["name_zh_short" if lang == "zh" else "name_en"].tolist()
    labels[PROVINCES.index[PROVINCES["code"] == "120000"][0]] = HOSTILE
    return pd.DataFrame({"code": PROVINCES["code"], "label": labels, "short": PROVINCES["iso"].str.removeprefix("CN-"),
                         "tile_row": PROVINCES["tile_row"],
                         "tile_col": PROVINCES["tile_col"], "value": vals, "value_text": vt, "kind": kinds})


def make(kind: str, lang: str, **extra) -> charts.Chart:
    zh = lang == "zh"
    long = LONG[lang]
    labels = [long, "安徽" if zh else "Inner Mongolia", HOSTILE, "西藏" if zh else "Heilongjiang"]
    if kind == "tile_map":
        return charts.tile_map(tiles(lang), lang=lang, legend_title="已具名中心数（个）" if zh else "Named centres",
                               legend_labels={"known": "有中心，数量不详" if zh else "Has centres, number not stated",
                                              "exporter": "输出医院所在地" if zh else "Home of output hospitals only",
                                              "unknown": "来源未提及" if zh else "Not in our sources"}, **extra)
    if kind == "hbar":
        return charts.hbar(labels, [3.2, 1.25, 0.4, np.nan], value_texts=["3.20", "超过1.25" if zh else "over 1.25", "0.40", "—"],
                           xlabel="每千万常住人口的已具名中心数（个）" if zh else "Named centres per 10 million residents",
                           highlight=[False, True, False, False], hatched=[False, False, True, False],
                           legend=[("solid", "已具名" if zh else "named"), ("hatched", HOSTILE),
                                   ("highlight", "安徽" if zh else "Anhui")],
                           reference=[("全国 1.01" if zh else "China 1.01", 1.01)], **extra)
    if kind == "grouped_hbar":
        return charts.grouped_hbar(labels[:3], {"常驻" if zh else "Resident": [345, 200, np.nan], HOSTILE: [1200, 88, 40]},
                                   value_texts={"常驻" if zh else "Resident": ["345", "200", "—"], HOSTILE: ["1,200", "88", "40"]},
                                   xlabel="人" if zh else "People", **extra)
    if kind == "scatter":
        pts = [{"label": lab, "x": x, "y": y, "value_text": str(y), "hollow": i % 2 == 1}
               for i, (lab, x, y) in enumerate(zip(labels, [2.2, 3.1, 2.25, 0.4], [814, 588, 800, 60]))]
        return charts.scatter(pts, xlabel="中心年龄（年）" if zh else "Centre age (years)",
                              ylabel="新技术（项）" if zh else "New techniques", **extra)
    if kind == "lifecycle":
        T = pd.Timestamp
        rows = [{"label": labels[0], "events": [(T("2020-06-02"), "approved", "stated"), (T("2020-06-02"), "plaque", "stated"),
                                                (T("2023-01-12"), "built", "not_after"), (T("2023-08-28"), "open", "stated")]},
                {"label": HOSTILE, "events": [(T("2022-04-01"), "agreement", "stated"), (T("2023-07-01"), "approved", "about"),
                                              (T("2026-06-01"), "expected_open", "expected")]}]
        sl = {"approved": "获批" if zh else "approved", "built": "建成" if zh else "built", "open": "开诊" if zh else "opened",
              "expected_open": "预计开诊" if zh else "expected opening", "agreement": HOSTILE, "plaque": "揭牌" if zh else "plaque"}
        return charts.lifecycle(rows, lang=lang, end=T("2025-11-30"), stage_labels=sl, stage_order=list(sl), **extra)
    if kind == "step_total":
        return charts.step_total(["2019-10-01", "2021-03-01", "2023-01-12", "2025-06-01"], [10, 26, 71, 125],
                                 ylabel="项目数（个）" if zh else "Projects", point_texts=["10", "26", HOSTILE, "超125" if zh else "over 125"],
                                 **extra)
    if kind == "matrix":
        names = PROVINCES["name_zh_short" if zh else "name_en"].tolist()
        m = pd.DataFrame(np.eye(4, 20, dtype=int) * 3 + np.eye(4, 20, 3, dtype=int), index=[HOSTILE] + names[:3],
                         columns=names[5:25])
        return charts.matrix(m, xlabel="中心所在省份" if zh else "Host province",
                             ylabel="输出医院所在省份" if zh else "Province of the output hospital", **extra)
    raise AssertionError(kind)


KINDS = ["tile_map", "hbar", "grouped_hbar", "scatter", "lifecycle", "step_total", "matrix"]
CASES = [(k, lang) for k in KINDS for lang in ("zh", "en")]


def ids_and_refs(svg: str) -> tuple[list[str], list[str]]:
    ids = re.findall(r'\sid="([^"]*)"', svg)
    refs = re.findall(r"url\(#([^)]*)\)", svg) + re.findall(r'href="#([^"]*)"', svg)
    return ids, refs


# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("kind,lang", CASES)
def test_svg_is_inline_ready(kind, lang):
    ch = make(kind, lang, alt="Alt <text> & more")
    assert ch.svg.startswith("<svg ") and ch.svg.endswith("</svg>")
    assert "<?xml" not in ch.svg and "<!DOCTYPE" not in ch.svg and "<!--" not in ch.svg
    root = ET.fromstring(ch.svg)
    assert root.tag == NS + "svg"
    assert root.get("role") == "img"
    assert root.get("class") == "nrmc-chart"
    assert root.get("preserveAspectRatio") == "xMidYMid meet"
    assert "width" not in root.attrib and "height" not in root.attrib
    x0, y0, w, h = map(float, root.get("viewBox").split())
    assert (x0, y0) == (0, 0) and w == pytest.approx(charts.WIDTH_IN * 72) and h == pytest.approx(ch.height_in * 72, abs=0.01)
    assert ch.width_in == charts.WIDTH_IN
    assert root[0].tag == NS + "title" and root[0].text == "Alt <text> & more" == ch.alt
    assert root.get("font-family").startswith("'Noto Sans CJK SC'")
    assert "<style" not in ch.svg and "style=" not in ch.svg  # presentation attributes only: CSS can override
    ids, refs = ids_and_refs(ch.svg)
    prefixes = {i.split("-")[0] + "-" for i in ids}
    assert len(prefixes) <= 1 and all(re.fullmatch(r"c[0-9a-f]{8}-", x) for x in prefixes)
    assert len(ids) == len(set(ids))
    assert set(refs) <= set(ids), "every url(#…) and href=#… resolves inside the chart"
    assert ch.__html__() == ch.svg and str(Markup(ch)) == ch.svg


@pytest.mark.parametrize("kind,lang", CASES)
def test_text_fits_and_is_never_truncated_or_interpreted(kind, lang, drawn):
    ch = make(kind, lang)
    (fig,) = drawn
    with matplotlib_rc():
        _, rec = charts._save(fig)
        assert charts.text_overflow(fig, rec, rec.drawn) == []
    assert charts.cache.STATS.get("refits", 0) == 0, "the layout fits at the first try"
    assert "…" not in ch.svg and not any("…" in t for t in ch.texts)
    sizes = [float(s) for s in re.findall(r'font-size="([\d.]+)px"', ch.svg)]
    assert sizes and min(sizes) >= charts.MIN_FONT
    # data text appears literally: not parsed as mathtext, not formatted, escaped for XML
    assert "$\\foo$ &lt;b&gt; {0} &amp;" in ch.svg
    # wrapped (lines, hyphens), but every character kept
    flat = re.sub(r"[\s-]", "", " ".join(ch.texts))
    assert re.sub(r"[\s-]", "", HOSTILE) in flat
    if kind in ("hbar", "scatter", "lifecycle"):
        assert re.sub(r"[\s-]", "", LONG[lang]) in flat


def matplotlib_rc():
    import matplotlib

    return matplotlib.rc_context(charts._rc())


def test_long_labels_wrap_in_both_languages():
    zh = charts.wrap(LONG["zh"], 100)
    en = charts.wrap(LONG["en"], 100)
    assert zh.count("\n") >= 1 and en.count("\n") >= 1
    assert zh.replace("\n", "") == LONG["zh"]
    assert en.replace("\n", " ") == LONG["en"]
    for line in (zh + "\n" + en).split("\n"):
        assert charts._tw(line) <= 100
    # Chinese prefers to break after punctuation; never starts a line with it
    s = charts.wrap("国家区域医疗中心，建设项目第一批，共十个项目", 70)
    assert not any(line[0] in charts.NO_START for line in s.split("\n"))
    # a word longer than the line: syllables (pinyin) or a hyphen, never an ellipsis
    assert charts.wrap("Heilongjiang", 25, 7.5, pinyin_hyphen=False).split("\n") == ["Hei", "long", "jiang"]
    assert all(line.endswith("-") for line in charts.wrap("Heilongjiang", 25, 7.5).split("\n")[:-1])
    assert "…" not in charts.wrap("x" * 300, 20)
    # pinyin syllables as written (no apostrophe: a consonant goes with the following vowel)
    for word, parts in {"Hunan": ["Hu", "nan"], "Yunnan": ["Yun", "nan"], "Shaanxi": ["Shaan", "xi"],
                        "Guangdong": ["Guang", "dong"], "Anhui": ["An", "hui"]}.items():
        assert charts._pinyin_split(word) == parts
    assert charts._pinyin_split("Mongolia") is None and charts._pinyin_split("Hospital") is None


def test_ids_never_collide_between_charts():
    a = make("hbar", "zh")
    b = make("hbar", "en")
    c = make("hbar", "zh", alt="another alt text")
    d = make("tile_map", "zh", highlight="340000")
    e = make("tile_map", "zh", highlight="520000")
    sets = [set(ids_and_refs(x.svg)[0]) for x in (a, b, c, d, e)]
    for i in range(len(sets)):
        for j in range(i + 1, len(sets)):
            assert not sets[i] & sets[j]


def test_second_call_is_cached_in_memory_and_on_disk(drawn):
    first = make("hbar", "en")
    again = make("hbar", "en")
    assert again.svg == first.svg and len(drawn) == 1
    charts.cache_clear()  # memory only: the disk copy answers
    from_disk = make("hbar", "en")
    assert from_disk.svg == first.svg and from_disk.texts == first.texts and len(drawn) == 1
    # a DataFrame with the same content is the same chart
    make("tile_map", "zh")
    make("tile_map", "zh")
    assert len(drawn) == 2


def test_corrupt_or_unwritable_cache_is_ignored(tmp_path, monkeypatch, drawn):
    first = make("step_total", "zh")
    for f in (tmp_path / "cache").rglob("*.json"):
        f.write_text("{not json", encoding="utf-8")
    charts.cache_clear()
    assert make("step_total", "zh").svg == first.svg and len(drawn) == 2
    blocker = tmp_path / "file"
    blocker.write_text("x")
    monkeypatch.setenv("NRMC_CACHE_DIR", str(blocker / "sub"))  # cannot be created
    charts.cache_clear()
    assert make("step_total", "zh").svg == first.svg and len(drawn) == 3


def test_cache_key_follows_the_arguments(drawn):
    make("hbar", "zh")
    charts.hbar(["a"], [1.0], value_texts=["1"], xlabel="x")
    charts.hbar(["a"], [1.0], value_texts=["1.0"], xlabel="x")
    assert len(drawn) == 3


def test_highlight_is_injected_into_the_cached_base(drawn):
    base = make("tile_map", "zh", links={c: f"{c}.html" for c in PROVINCES["code"]})
    anhui = make("tile_map", "zh", highlight="340000", links={c: f"{c}.html" for c in PROVINCES["code"]})
    guizhou = make("tile_map", "zh", highlight="520000", links={c: f"{c}.html" for c in PROVINCES["code"]})
    assert len(drawn) == 1, "the map is rendered once for every highlight"
    assert "nrmc-highlight" not in base.svg
    again = make("tile_map", "zh", links={c: f"{c}.html" for c in PROVINCES["code"]})
    assert again.svg == base.svg, "highlighting leaves the cached base unchanged"
    for ch, code in ((anhui, "340000"), (guizhou, "520000")):
        rects = re.findall(r'<rect class="nrmc-highlight" x="([\d.]+)" y="([\d.]+)" width="([\d.]+)" height="([\d.]+)"', ch.svg)
        assert len(rects) == 1
        x, y, w, h = map(float, rects[0])
        # the outline sits exactly on the tile of that province (the path inside its link)
        tile = re.search(rf'<a href="{code}.html"><path d="M ([\d.]+) ([\d.]+) L ([\d.]+) ([\d.]+) L ([\d.]+) ([\d.]+)', ch.svg)
        xs = [float(tile.group(i)) for i in (1, 3, 5)]
        ys = [float(tile.group(i)) for i in (2, 4, 6)]
        assert x == pytest.approx(min(xs), abs=0.02) and x + w == pytest.approx(max(xs), abs=0.02)
        assert y == pytest.approx(min(ys), abs=0.02) and y + h == pytest.approx(max(ys), abs=0.02)
    with pytest.raises(ValueError):
        make("tile_map", "zh", highlight="999999")


def test_links_wrap_each_tile_and_are_escaped():
    links = {c: f"{c}.html" for c in PROVINCES["code"]}
    links["340000"] = 'anhui.html?a=1&b="2"<'
    ch = make("tile_map", "en", links=links)
    root = ET.fromstring(ch.svg)
    assert root.get("role") == "group"  # links inside role="img" would be hidden from screen readers
    anchors = root.findall(f".//{NS}a")
    assert len(anchors) == len(PROVINCES)
    assert 'href="anhui.html?a=1&amp;b=&quot;2&quot;&lt;"' in ch.svg
    for a in anchors:
        tags = [c.tag for c in a]
        assert tags[0] == NS + "path" and NS + "text" in tags, "the tile and its texts are one link"
    with pytest.raises(ValueError):
        make("tile_map", "en", links={"340000": "javascript:alert(1)"})


def test_english_tile_labels_fit_their_tiles(drawn):
    make("tile_map", "en")
    (fig,) = drawn
    with matplotlib_rc():
        _, rec = charts._save(fig)
        tiles_ = [p for p in fig.artists if (p.get_gid() or "").startswith("tile-") and p.get_gid().endswith("-r")]
        texts = [t for t in fig.artists if (t.get_gid() or "").startswith("tile-") and t.get_gid().endswith(("-l", "-v"))]
        assert len(tiles_) == len(PROVINCES)
        for t in texts:
            stem = t.get_gid()[:-1]
            (tile,) = [p for p in tiles_ if p.get_gid() == stem + "r"]
            tb, pb = t.get_window_extent(rec), tile.get_window_extent(rec)
            assert pb.x0 - 0.01 <= tb.x0 and tb.x1 <= pb.x1 + 0.01, t.get_text()
            assert pb.y0 - 0.01 <= tb.y0 and tb.y1 <= pb.y1 + 0.01, t.get_text()


def test_default_alt_lists_the_data():
    ch = make("hbar", "en")
    assert ch.alt.startswith("Named centres per 10 million residents:")
    assert "Inner Mongolia over 1.25" in ch.alt
    assert ET.fromstring(ch.svg)[0].text == ch.alt


def test_counts_get_whole_number_ticks_and_rates_keep_fractions():
    def ticks(values):
        svg = charts.hbar(["a", "b"], values, value_texts=[str(v) for v in values], xlabel="x").svg
        drawn = re.findall(r">([0-9.]+)</text>", svg)
        return [t for t in drawn if t not in {str(v) for v in values}]
    assert ticks([1, 1]) and all("." not in t for t in ticks([1, 1]))  # 2 centres: no "0.5" tick
    assert any("." in t for t in ticks([0.4, 0.7]))                      # a rate keeps its fractions


def test_data_uri_is_a_standalone_svg():
    import base64

    ch = make("step_total", "en")
    data = ch.data_uri()
    assert data.startswith("data:image/svg+xml;base64,")
    assert base64.b64decode(data.split(",", 1)[1]).decode() == ch.svg


# ---------------------------------------------------------------------------------------------
@pytest.mark.e2e
def test_chart_text_is_at_least_10px_on_a_phone(tmp_path):
    """At 375 px, in a 351-px column with `svg{width:100%;height:auto}`, Chromium draws no chart
    text smaller than 10 px and none outside the chart."""
    pw = pytest.importorskip("playwright.sync_api")
    from nrmc.export import CHROMIUM_ARGS

    exe = "/usr/bin/chromium"
    if not charts.Path(exe).exists():
        pytest.skip("no system Chromium")
    body = "".join(f'<div class="c">{make(k, lang, **({"highlight": "340000"} if k == "tile_map" else {})).svg}</div>'
                   for k, lang in CASES)
    page_html = ("<!doctype html><html lang=zh><head><meta charset=utf-8>"
                 "<meta name=viewport content='width=device-width,initial-scale=1'>"
                 "<style>body{margin:0;padding:0 12px}.c{width:351px;margin:0 0 12px}svg{width:100%;height:auto;display:block}</style>"
                 f"</head><body>{body}</body></html>")
    path = tmp_path / "charts.html"
    path.write_text(page_html, encoding="utf-8")
    with pw.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=exe, args=CHROMIUM_ARGS, headless=True)
        try:
            page = browser.new_page(viewport={"width": 375, "height": 800})
            page.goto(path.as_uri())
            result = page.evaluate("""() => {
              const out = {min: 1e9, smallest: null, outside: [], svgs: 0, width: document.documentElement.scrollWidth};
              for (const svg of document.querySelectorAll('svg.nrmc-chart')) {
                out.svgs++;
                const vb = svg.viewBox.baseVal;
                for (const t of svg.querySelectorAll('text')) {
                  const m = t.getScreenCTM();
                  const scale = Math.hypot(m.a, m.b);
                  const px = parseFloat(getComputedStyle(t).fontSize) * scale;
                  if (px < out.min) { out.min = px; out.smallest = t.textContent; }
                  // the text's box in the viewBox's units, through its own transform
                  const b = t.getBBox(), tm = svg.getScreenCTM().inverse().multiply(m);
                  const pts = [[b.x, b.y], [b.x + b.width, b.y], [b.x, b.y + b.height], [b.x + b.width, b.y + b.height]]
                    .map(([x, y]) => new DOMPoint(x, y).matrixTransform(tm));
                  const x0 = Math.min(...pts.map(p => p.x)), x1 = Math.max(...pts.map(p => p.x));
                  const y0 = Math.min(...pts.map(p => p.y)), y1 = Math.max(...pts.map(p => p.y));
                  if (x0 < vb.x - 0.5 || y0 < vb.y - 0.5 || x1 > vb.x + vb.width + 0.5 || y1 > vb.y + vb.height + 0.5)
                    out.outside.push([t.textContent, x0, y0, x1, y1]);
                }
              }
              return out;
            }""")
        finally:
            browser.close()
    print(f"smallest chart text at 375 px: {result['min']:.2f} px ({result['smallest']!r})")
    assert result["svgs"] == len(CASES)
    assert result["min"] >= 10.0, f"smallest chart text {result['min']:.2f} px: {result['smallest']!r}"
    assert result["outside"] == []
    assert result["width"] <= 375


def test_negative_values_and_empty_inputs_do_not_break(drawn):
    neg = charts.hbar(["上升", "Falling", "—"], [12.5, -30.0, np.nan], value_texts=["+12.5%", "−30%", "—"],
                      xlabel="Change in outflow (%)", reference=[("China −30%", -30.0)])
    assert "−30%" in neg.texts
    empty = [
        charts.hbar([], [], value_texts=[], xlabel="x"),
        charts.grouped_hbar([], {"a": [], "b": []}, value_texts={"a": [], "b": []}, xlabel="x"),
        charts.scatter([], xlabel="x", ylabel="y"),
        charts.scatter([{"label": "one", "x": 1, "y": np.nan, "value_text": "—"}], xlabel="x", ylabel="y"),
        charts.lifecycle([{"label": "no events", "events": []}], lang="en", end="2025-01-01", stage_labels={}, stage_order=[]),
        charts.step_total(["2023-01-01"], [71], ylabel="Projects", point_texts=["71"]),
        charts.matrix(pd.DataFrame(), xlabel="x", ylabel="y"),
        charts.tile_map(tiles("en").assign(value=np.nan, kind="unknown"), lang="en", legend_title="Named centres"),
    ]
    with matplotlib_rc():
        for fig in drawn:
            _, rec = charts._save(fig)
            assert charts.text_overflow(fig, rec, rec.drawn) == []
    for ch in [neg] + empty:
        ET.fromstring(ch.svg)
        assert ch.height_in > 0


def test_unused_cache_entries_are_pruned(tmp_path):
    import os
    import time

    make("step_total", "en")
    make("step_total", "zh")
    files = sorted((tmp_path / "cache").glob("*/*.json"))
    assert len(files) == 2
    old = time.time() - 40 * 86400
    os.utime(files[0], (old, old))
    assert charts.prune_cache() == 1
    assert sorted((tmp_path / "cache").glob("*/*.json")) == files[1:]


def test_every_stage_of_the_data_is_drawn_as_a_phase_or_an_expectation():
    # the timeline draws three phases and an expectation (a legend of at most four entries), so
    # every stage of the data must map to one of them; an unknown stage is refused, not dropped
    import csv
    from pathlib import Path

    stages = {r["stage"] for r in csv.DictReader(open(Path(__file__).parents[1] / "data" / "stages.csv", encoding="utf-8"))}
    known = set(charts.STAGE_PHASE) | set(charts.EXPECTED_STAGES)
    assert stages <= known, stages - known
    assert set(charts.STAGE_PHASE.values()) == set(charts.PHASES) and len(charts.PHASES) == 3
    with pytest.raises(ValueError, match="unknown stage"):
        charts.lifecycle([{"label": "x", "events": [("2023-01-01", "opened?", "stated")]}], lang="en", end="2024-01-01")


# every stage and every basis at once, with events a day apart and on the same day, the way the
# old callers pass them (a label for every stage)
ALL_STAGES = ["agreement", "approved", "plaque", "listed", "under_construction", "built", "trial", "open", "operating",
              "expected_open"]
CROWDED = [
    {"label": "复旦儿科安徽医院", "events": [("2020-06-02", "approved", "stated"), ("2020-06-02", "plaque", "stated"),
                                      ("2022-12-28", "trial", "stated"), ("2023-01-12", "listed", "not_after"),
                                      ("2023-06-26", "open", "stated")]},
    {"label": "曙光医院安徽医院", "events": [("2023-01-11", "trial", "stated"), ("2023-01-12", "listed", "not_after"),
                                      ("2023-02-02", "open", "stated"), ("2023-02-03", "operating", "stated")]},
    {"label": "仁济医院安徽医院", "events": [("2023-10-01", "trial", "stated"), ("2026-06-30", "expected_open", "expected")]},
    {"label": "上海儿童医学中心贵州医院", "events": [("2023-01-12", "listed", "not_after"), ("2023-07-31", "approved", "not_after"),
                                            ("2023-12-31", "open", "not_after")]},
    {"label": "协和贵州", "events": [("2022-04-01", "agreement", "stated"), ("2023-12-01", "agreement", "stated")]},
    {"label": "某中心", "events": [("2021-03-01", "under_construction", "about"), ("2022-03-01", "built", "stated")]},
]


def _old_style_labels(lang):
    return {s: f"{s} label" for s in ALL_STAGES}


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_lifecycle_legend_has_at_most_four_entries(lang):
    ch = charts.lifecycle(CROWDED, lang=lang, end="2025-11-30", stage_labels=_old_style_labels(lang),
                          stage_order=ALL_STAGES)
    rows = {r["label"] for r in CROWDED}
    legend = [t for t in ch.texts if t not in rows and not t.isdigit()]
    assert 1 <= len(legend) <= 4, legend
    # the default words are used for the dashes, and the stage labels given for the phases
    assert sum("label" in t for t in legend) == 3  # approved, trial, open
    assert not any(t in ("≤", "≈") for t in ch.texts), "no marks beside the events"


def test_lifecycle_draws_nothing_on_top_of_anything(drawn):
    """Bars, lines and dashed boxes of a row tile the time line (however close two events are), rows
    do not touch each other, and no two texts overlap (labels, years, legend)."""
    from matplotlib.patches import Rectangle as _R
    from matplotlib.transforms import Bbox

    charts.lifecycle(CROWDED, lang="zh", end="2025-11-30", stage_labels=_old_style_labels("zh"), stage_order=ALL_STAGES)
    (fig,) = drawn
    with matplotlib_rc():
        _, rec = charts._save(fig)
        ax = fig.axes[0]
        boxes = []  # (what, bbox) of every mark in the plot and every text of the chart
        for a in ax.patches:
            if isinstance(a, _R):
                boxes.append((f"bar {a.get_x():.3f}", a.get_window_extent(rec)))
        for ln in ax.lines:
            bb = ln.get_window_extent(rec)
            w = ln.get_linewidth() / 2  # a line is as thick as it is drawn
            boxes.append((f"line {ln.get_xdata()[0]:.3f}", type(bb).from_extents(bb.x0, bb.y0 - w, bb.x1, bb.y1 + w)))
        for c in ax.collections:  # markers: each offset with its marker's size
            r = (c.get_sizes()[0] ** 0.5) / 2 if len(c.get_sizes()) else 0
            for x, y in c.get_offset_transform().transform(c.get_offsets()):
                boxes.append((f"marker {x:.1f}", Bbox.from_extents(x - r, y - r, x + r, y + r)))
        marks = len(boxes)
        texts = [t for t in rec.drawn if t.get_visible() and t.get_text().strip()]
        boxes += [(f"text {t.get_text()!r}", t.get_window_extent(rec)) for t in texts]
        assert marks >= 12
        for i in range(len(boxes)):
            for j in range(i + 1, len(boxes)):
                (na, a), (nb, b) = boxes[i], boxes[j]
                ox = min(a.x1, b.x1) - max(a.x0, b.x0)
                oy = min(a.y1, b.y1) - max(a.y0, b.y0)
                assert ox <= 0.05 or oy <= 0.05, f"{na} and {nb} overlap"
        assert charts.text_overflow(fig, rec, rec.drawn) == []
    sizes = [t.get_fontsize() for t in texts]
    assert min(sizes) >= charts.MIN_FONT


def test_lifecycle_phases_never_go_back_and_bounds_are_dashed():
    seg = charts.lifecycle_segments
    # approval and plaque on one day are one start; a later listing does not undo the opening
    segs, exp = seg([["2020-06-02", "approved", "stated"], ["2020-06-02", "plaque", "stated"],
                     ["2022-12-28", "trial", "stated"], ["2023-01-12", "listed", "not_after"],
                     ["2023-06-26", "open", "stated"]], "2025-11-30")
    assert [s["phase"] for s in segs] == ["approved", "trial", "open"]
    assert all(a["stop"] == b["start"] for a, b in zip(segs, segs[1:])), "the phases tile the line"
    assert segs[-1]["stop"] == pytest.approx(charts._year("2025-11-30")) and all(s["exact"] for s in segs) and exp == []
    # a date known only as "by" starts a dashed phase; an expected opening after the end is a dashed box
    segs, exp = seg([["2023-01-12", "listed", "not_after"], ["2023-12-31", "open", "not_after"]], "2025-11-30")
    assert [(s["phase"], s["exact"]) for s in segs] == [("approved", False), ("open", False)]
    segs, exp = seg([["2023-10-01", "trial", "stated"], ["2026-06-30", "expected_open", "expected"]], "2025-11-30")
    assert [s["phase"] for s in segs] == ["trial"] and len(exp) == 1
    assert exp[0]["start"] == pytest.approx(charts._year("2025-11-30")) and exp[0]["stop"] == pytest.approx(charts._year("2026-06-30"))
    # once open, an expectation is no longer drawn
    segs, exp = seg([["2023-10-01", "trial", "stated"], ["2024-06-30", "expected_open", "expected"],
                     ["2024-05-01", "open", "stated"]], "2025-11-30")
    assert exp == []
