"""The support section (nrmc.sections.exports): the centres in other provinces that a province's
hospitals lead, and what the lead hospitals send, counted against data/centers.csv itself."""
from __future__ import annotations

import csv
import re
import sys
from collections import Counter
from pathlib import Path

import pytest

import nrmc
from nrmc.context import Briefing
import importlib

C = importlib.import_module("nrmc.sections.coverage")  # the modules, not the package's section functions
E = importlib.import_module("nrmc.sections.exports")
P = importlib.import_module("nrmc.sections.performance")

sys.path.insert(0, str(Path(__file__).resolve().parent))
from english import english_problems  # noqa: E402
from test_sections_performance import RAW, row, walk, with_rows  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SCOPES = ("national", "anhui", "guizhou", "henan", "hubei", "tibet", "shanghai", "beijing")
LANGS = ("zh", "en")
CODES = {"shanghai": "310000", "beijing": "110000", "guangdong": "440000", "zhejiang": "330000", "hubei": "420000",
         "tibet": "540000", "anhui": "340000"}


def centres_csv() -> list[dict]:
    with open(ROOT / "data" / "centers.csv", encoding="utf-8", newline="") as f:
        return [r for r in csv.DictReader(f) if r["status"] != "planned"]


def led_elsewhere(code: str) -> list[dict]:
    return [r for r in centres_csv() if r["output_province_code"] == code and r["province_code"] != code]


@pytest.fixture(scope="module")
def real():
    return nrmc.load(ROOT / "data")


@pytest.fixture(scope="module")
def brief(real):
    cache: dict = {}

    def get(scope: str, lang: str = "zh", **kw) -> Briefing:
        key = (scope, lang, tuple(sorted(kw.items())))
        if key not in cache:
            cache[key] = Briefing(scope, lang=lang, ds=real, **kw)
        return cache[key]

    return get


def text_of(b) -> str:
    import html

    return html.unescape(re.sub(r"<[^>]+>", "", "".join(str(s) for s in E.section(b).sentences)))


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("scope", SCOPES)
def test_findings_are_sound_and_readable(brief, scope, lang):
    b = brief(scope, lang)
    sec = E.section(b)
    assert sec.findings
    for f in sec.findings:
        assert f.check() == [], (scope, lang, f.key, f.check())
    text = "".join(str(s) for s in sec.sentences)
    assert not RAW.search(re.sub(r"<[^>]+>", "", text)), text
    if lang == "en":
        html = "<html><body>" + text + str(sec.chart_html or "") + "</body></html>"
        assert english_problems(html) == [], english_problems(html)


@pytest.mark.parametrize("scope", ("shanghai", "beijing", "guangdong", "hubei"))
def test_counts_match_centers_csv(brief, scope):
    """How many centres a province's hospitals lead elsewhere, and in which provinces, counted from
    data/centers.csv directly (Shanghai: 16 in 7 provinces since the southern sources P300+ name
    Fudan Zhongshan Xiamen and others; 14 in 6 when the issue was written)."""
    want = led_elsewhere(CODES[scope])
    b = brief(scope, "zh")
    cnt = next(f for f in E.findings(b) if f.name == "count")
    assert cnt.params["n"].value == len(want)
    by_host = Counter(r["province_code"] for r in want)
    names = b.ds.provinces.set_index("code")["name_zh_short"]
    assert {x["province"]: x["n"].value for x in cnt.params["parts"]} == {names[k]: v for k, v in by_host.items()}
    assert cnt.params["provinces"] == len(by_host)
    assert f"是{len(want)}个外省国家区域医疗中心的输出医院" in text_of(b)
    if scope == "shanghai":
        assert len(want) == 17 and len(by_host) == 7
        assert "Shanghai hospitals lead 17 national regional medical centres in 7 other provinces" in text_of(brief(scope, "en"))


def test_exporters_lead_with_support_hosts_keep_it_as_context(brief):
    """Shanghai and Beijing (no centre of their own in the sources): the support count is the most
    salient finding of the briefing. Guangdong, a host that also exports: its own centres lead."""
    for scope in ("shanghai", "beijing"):
        b = brief(scope, "zh")
        top = max(E.findings(b), key=lambda f: f.salience)
        others = C.findings(b) + P.findings(b)
        assert top.name == "count" and all(top.salience > f.salience for f in others), scope
    g = brief("guangdong", "zh")
    assert max(f.salience for f in E.findings(g)) < max(f.salience for f in C.findings(g))


def test_what_the_lead_hospitals_send_with_date(brief):
    """Fudan Children's Hospital has sent 36 resident experts to Anhui (cumulative, 22 Jan 2025):
    in Shanghai's briefing, with its date, never added up with other centres' figures."""
    zh = text_of(brief("shanghai", "zh"))
    assert "复旦儿科安徽医院，常驻专家36人（累计，2025年1月22日前后）" in zh
    en = text_of(brief("shanghai", "en"))
    # the centre's name may be spelled out at its first use: 'Children's Hospital …, Anhui Hospital (Fudan Children's Anhui), 36 …'
    assert re.search(r"Fudan Children's Anhui\)?, 36 resident experts \(cumulative, about 22 January 2025\)", en), en
    res = next(f for f in E.findings(brief("shanghai", "zh")) if f.name == "results")
    for path, n in walk(res.params):
        assert n.kind in ("figure", "count"), path  # no sums over centres
        if n.kind == "figure":
            assert len(n.rows) == 1
    bj = text_of(brief("beijing", "zh"))
    assert "积水潭医院贵州医院，常驻专家55人" in bj


def test_flagged_sent_figures_say_so(brief):
    """Guangdong TCM Guizhou's 21 technologies in its first half-year are flagged (scope unclear)."""
    for lang, word in (("zh", "存疑"), ("en", "flagged")):
        t = text_of(brief("guangdong", lang))
        assert "21" in t and word in t


def test_national_origins_beijing_first(brief):
    """Nationally: Beijing's hospitals lead the most centres in other provinces, counted from
    centers.csv; the chart is by origin province."""
    rows = [r for r in centres_csv() if r["output_province_code"] != r["province_code"]]
    by_origin = Counter(r["output_province_code"] for r in rows)
    b = brief("national", "en")
    o = next(f for f in E.findings(b) if f.name == "origins")
    assert o.params["leaders"][0]["province"] == "Beijing"
    assert o.params["leaders"][0]["n"].value == by_origin["110000"] == max(by_origin.values())
    assert o.params["n"].value == len(rows) and o.params["origins"].value == len(by_origin)
    data = E.section(b).data
    assert int(data["centres"].sum()) == len(rows)
    assert "Beijing hospitals lead the most centres in other provinces" in str(E.section(b).chart_html)


def test_chart_only_when_bars_differ(brief):
    """Shanghai: 5, 4, 2, 2, 1, 1, 1 by host province — a chart, Fujian the most; Guangdong: 2, 2, 2,
    1, 1, 1, 1 — a chart whose title says the tie; Zhejiang's four centres are one per province —
    no chart; Tibet leads none — no chart. (Counted from centers.csv; before the southern sources
    Shanghai's was 4, 4, 2, 2, 1, 1 with Anhui and Fujian tied.)"""
    sh = E.section(brief("shanghai", "zh")).chart_html
    assert sh is not None and "福建最多（5个）" in str(sh) and "并列" not in str(sh)
    g = Counter(r["province_code"] for r in led_elsewhere("440000"))
    most = max(g.values())
    tied = [k for k, v in g.items() if v == most]
    assert len(tied) > 1
    gd = str(E.section(brief("guangdong", "zh")).chart_html)
    names = brief("guangdong", "zh").ds.provinces.set_index("code")["name_zh_short"]
    assert f"并列最多（{most}个）" in gd and all(names[k] in gd.split("并列最多")[0] for k in tied)
    z = led_elsewhere("330000")
    assert len(set(Counter(r["province_code"] for r in z).values())) == 1
    assert E.section(brief("zhejiang", "zh")).chart_html is None
    assert E.section(brief("tibet", "zh")).chart_html is None


def test_a_province_whose_hospitals_lead_nothing(brief):
    for lang, words in (("zh", "来源未见西藏的医院作为输出医院"), ("en", "led by a Tibet hospital")):
        fs = E.findings(brief("tibet", lang))
        assert [f.name for f in fs] == ["none"] and fs[0].salience < 10
        assert words in text_of(brief("tibet", lang))


def test_the_exporters_subset_carries_the_figures_of_the_centres_it_leads(brief):
    """Shanghai's briefing reads only its part of the data; that part must hold the figures of the
    centres Shanghai hospitals lead (nrmc.inputs.scope_dataset), so it says what the whole data says."""
    for scope in ("shanghai", "beijing", "guangdong"):
        a = [str(s) for s in E.section(brief(scope, "zh")).sentences]
        b = [str(s) for s in E.section(brief(scope, "zh", full=True)).sentences]
        assert a == b, scope


def test_a_new_exported_figure_reaches_the_lead_province(tmp_path, brief):
    """湘雅二医院桂林医院 (GX-01, led by a Hunan hospital) with 31 resident experts (a test row): Hunan's
    briefing says it. (湘雅江西's 227 resident experts, once this test's row, are now in the data,
    P308: said with its date shared by its other figures.)"""
    assert "31 resident experts" not in text_of(brief("hunan", "en"))
    assert "227 resident experts" in text_of(brief("hunan", "en"))
    data = with_rows(tmp_path, [row("GX-01", "resident_experts", 31, "人", "2026-02", "湘雅二医院派出31名常驻专家", source="S02")])
    b = Briefing("hunan", lang="en", data_dir=str(data))
    res = next(f for f in E.findings(b) if f.name == "results")
    assert res.check() == []
    assert "31 resident experts (cumulative, February 2026)" in text_of(b)


@pytest.mark.parametrize("scope", ["beijing", "shanghai", "guangdong", "hubei"])
def test_the_inferred_note_only_under_a_table_that_marks_one(scope, brief):
    """'Specialty*: inferred' is said under the exported-centres table only when a row it shows
    carries the asterisk (Beijing's first 8 rows carry none)."""
    import importlib

    ex = importlib.import_module("nrmc.sections.exports")
    for lang in ("zh", "en"):
        b = brief(scope, lang)
        if not len(b.exported):
            continue
        for limit in (8, None):
            html = str(ex.table_html(b, limit=limit))
            table, note = html.split('class="table-note"', 1)
            marked = "*</td>" in table
            assert (b.L("table.inferred_note") in note) == marked, (scope, lang, limit)


@pytest.mark.parametrize("lang", LANGS)
def test_the_support_section_says_every_centres_figures_and_page_one_points_to_it(lang):
    """Beijing's hospitals' figures are reported for 6 centres: the section says all six (it said
    two and pointed to itself: "另有4个中心的此类数据见'输出'一节" inside the 输出 section); page 1
    says two and points to the section."""
    from briefing_texts import compose, running_text

    blocks = compose("beijing", lang)
    section = running_text([x for x in blocks if x[0] == "exports"])
    one = running_text([x for x in blocks if x[0] == "key_messages"])
    b = Briefing("beijing", lang)
    f = next(f for f in E.findings(b) if f.key == "results")
    n = f.params["with"].value
    assert n >= 3 and len(f.params["centres"]) == min(n, E.CENTRES_SECTION)
    for c in f.params["centres"]:
        assert c["centre"] in section or c["centre"].split(" (")[0] in section
    pointer = "见“输出”一节" if lang == "zh" else "are in the section on support"
    assert pointer not in section
    if f.params["page1"]["more"] is not None:
        assert pointer in one
