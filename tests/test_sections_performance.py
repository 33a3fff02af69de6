"""The results section (nrmc.sections.performance): what the sources publish, each figure with its
date and source, under the rules of issue 18 point 8.

Every test here would fail if the section broke its rule: "latest" taken across measures, a
province total set beside a transferred count or ranked, a flagged figure made a headline or
printed without its flag, a peer of another measure, "not given by the sources" where a source
gives it, a national figure said as the province's, raw missing values or Chinese in English.
"""
from __future__ import annotations

import csv
import re
import shutil
import sys
from pathlib import Path

import pytest

import nrmc
from nrmc.context import Briefing
from nrmc.findings import Num, Row
import importlib

E = importlib.import_module("nrmc.sections.exports")  # the modules, not the package's section functions
P = importlib.import_module("nrmc.sections.performance")

sys.path.insert(0, str(Path(__file__).resolve().parent))
from english import english_problems  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SCOPES = ("national", "anhui", "guizhou", "henan", "hubei", "tibet", "shanghai", "beijing")
LANGS = ("zh", "en")
RAW = re.compile(r"\bNaN\b|\bnan\b|\bNone\b|\bNaT\b|<NA>|[{}]")


@pytest.fixture(scope="module")
def real():
    return nrmc.load(ROOT / "data")


@pytest.fixture(scope="module")
def brief(real):
    cache: dict = {}

    def get(scope: str, lang: str = "zh", ds=None, **kw) -> Briefing:
        key = (scope, lang, id(ds) if ds is not None else None, tuple(sorted(kw.items())))
        if key not in cache:
            cache[key] = Briefing(scope, lang=lang, ds=ds if ds is not None else real, **kw)
        return cache[key]

    return get


# ---------------------------------------------------------------------------------------------
# helpers
def metric_rows(b) -> dict[str, dict]:
    """metrics.csv rows of the briefing's dataset by their evidence ref ('metrics.csv line N')."""
    m = b.ds.metrics
    return {f"metrics.csv line {int(r['_line'])}": r for r in m.to_dict("records")}


def walk(value, path=()):
    """(path, Num) for every number in a finding's parameters, with the keys that lead to it."""
    if isinstance(value, Num):
        yield path, value
    elif isinstance(value, dict):
        for k, v in value.items():
            yield from walk(v, path + (k,))
    elif isinstance(value, (list, tuple)) and not isinstance(value, Row):
        for v in value:
            yield from walk(v, path)


def rendered(b, f) -> str:
    from nrmc.sections.text import sentence, watch

    import html

    return html.unescape(re.sub(r"<[^>]+>", "", str(sentence(b, f)) + str(watch(b, f))))


def with_rows(tmp_path, rows: list[dict]) -> Path:
    """A copy of the real data with `rows` appended to metrics.csv (other columns empty)."""
    data = tmp_path / "data"
    shutil.copytree(ROOT / "data", data)
    path = data / "metrics.csv"
    with open(path, encoding="utf-8", newline="") as f:
        reader = csv.DictReader(f)
        fields, old = list(reader.fieldnames), list(reader)
    with open(path, "w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, fieldnames=fields, lineterminator="\n")
        w.writeheader()
        w.writerows(old)
        for r in rows:
            w.writerow({k: r.get(k, "") for k in fields})
    return data


def row(subject, metric, value, unit, as_of, quote, period="cumulative", source="S01", **kw) -> dict:
    return {"subject_id": subject, "metric": metric, "value": str(value), "unit": unit, "as_of": as_of,
            "as_of_basis": "stated", "period": period, "source_id": source, "quote": quote,
            "note": "test row", **kw}


# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("scope", SCOPES)
def test_findings_are_sound_and_readable(brief, scope, lang):
    """Every finding passes check(); no raw missing value or template brace in a sentence; no
    Chinese in English outside a marked gloss (sentences and chart)."""
    b = brief(scope, lang)
    sec = P.section(b)
    assert sec.findings, scope
    for f in sec.findings:
        assert f.check() == [], (scope, lang, f.key, f.check())
    text = "".join(str(s) for s in sec.sentences)
    assert not RAW.search(re.sub(r"<[^>]+>", "", text)), text
    if lang == "en":
        html = "<html><body>" + text + str(sec.chart_html or "") + "</body></html>"
        assert english_problems(html) == [], english_problems(html)
    assert sec.data is not None and len(sec.data) == len(b.figures)  # .data is every figure of the scope


def test_latest_is_taken_within_one_measure(brief, real):
    """A figure printed as a subject's result is the newest unflagged row of ITS measure (metric,
    breakdown, period, unit); an older one only as the earlier point of a trend. Fudan Children's
    Anhui reports resident experts twice on two measures (36 cumulative, 22 Jan 2025; 25 stationed,
    later): each is the latest of its own measure."""
    for scope in ("anhui", "guizhou", "national"):
        b = brief(scope, "zh")
        rows = metric_rows(b)
        m = b.ds.metrics
        for f in P.findings(b):
            for path, n in walk(f.params):
                if n.kind != "figure" or len(n.rows) != 1 or n.rows[0].kind != "metric":
                    continue
                r = rows[n.rows[0].ref]
                same = m[(m["subject_id"] == r["subject_id"]) & (m["metric"] == r["metric"]) & (m["flag"] == "")
                         & (m["breakdown"] == r["breakdown"]) & (m["period"] == r["period"])
                         & (m["base_unit"] == r["base_unit"])]
                newer = same[same["as_of_dt"] > r["as_of_dt"]]
                if "earlier" in path or r["flag"]:
                    continue
                assert newer.empty, (scope, f.key, path, r["subject_id"], r["metric"], r["value"])


def test_latest_ignores_a_later_figure_of_another_period_and_shows_the_trend(tmp_path):
    """Anhui's new technologies: 700 (cumulative, 2024-06) then 814 (cumulative, S01); a later
    figure of another period (900 in the year 2025) is another measure. The totals finding says 814,
    up from 700 — never 900 as the latest of the cumulative count."""
    data = with_rows(tmp_path, [
        row("340000", "new_technologies", 700, "项", "2024-06", "引进新技术新项目700项"),
        row("340000", "new_technologies", 900, "项", "2025-12", "全年引进新技术新项目900项", period="2025"),
    ])
    b = Briefing("anhui", lang="en", data_dir=str(data))
    tech = next(f for f in P.findings(b) if f.key == "totals:technology")
    lead = tech.params["items"][0]
    assert lead["metric"] == "new_technologies" and lead["n"].value == 814
    assert lead["earlier"] and lead["earlier"]["n"].value == 700 and lead["earlier"]["dir"] == "up"
    text = rendered(b, tech)
    assert "814 new technologies" in text and "rose from 700" in text and "900" not in text


def test_transferred_counts_are_never_set_beside_province_totals(brief):
    """A transferred count (a part of what a centre carries out) and a province total never share a
    finding or the chart; every centre finding compares one measure; province totals are only
    province rows."""
    for scope in ("anhui", "guizhou", "national"):
        b = brief(scope, "zh")
        rows = metric_rows(b)
        for f in P.findings(b):
            ev = [rows[r.ref] for r in f.evidence() if r.kind == "metric"]
            metrics_prov = {r["metric"] for r in ev if re.fullmatch(r"\d{6}", r["subject_id"])}
            has_transfer = any(r["metric"] == "transferred_technologies" for r in ev)
            assert not (has_transfer and metrics_prov), (scope, f.key)
            if f.name == "centre_top":
                measures = {(r["metric"], r["breakdown"], r["period"], r["base_unit"]) for r in ev}
                assert len(measures) == 1, (scope, f.key, measures)
                assert all(r["subject_id"] in b.centres_by_id for r in ev)
            if f.name == "totals":
                items = [rows[x["n"].rows[0].ref] for x in f.params["items"]]
                assert {r["subject_id"] for r in items} == {b.code}, f.key
        g = P.chart_measure(b)
        if len(g):
            assert set(g["kind"]) == {"centre"} and g["measure"].nunique() == 1


def test_the_anhui_chart_compares_transferred_counts_of_centres_only(brief):
    """Anhui's chart: the four centres' transferred counts (453, 137, 50余, 21), never the
    province's 814 new technologies."""
    b = brief("anhui", "zh")
    g = P.chart_measure(b)
    assert set(g["metric"]) == {"transferred_technologies"}
    assert sorted(g["value"].tolist(), reverse=True) == [453, 137, 50, 21]
    html = str(P.section(b).chart_html)
    assert "814" not in html and "复旦儿科安徽医院最多（453项）" in html


def test_province_totals_are_never_ranked(tmp_path):
    """Nationally, the province totals of one measure are listed by province, not by value: with
    Henan's 325 added, the order is Anhui 814, Henan 325, Guizhou 588."""
    data = with_rows(tmp_path, [row("410000", "new_technologies", 325, "项", "2023-12-04", "开展新技术325项")])
    b = Briefing("national", lang="en", data_dir=str(data))
    nt = next(f for f in P.findings(b) if f.name == "national_totals")
    assert [x["province"] for x in nt.params["parts"]] == ["Anhui", "Henan", "Guizhou"]
    text = rendered(b, nt)
    assert "not ranked" in text and "most" not in text and "largest" not in text


def test_flagged_figures_are_never_headlines_and_always_say_so(tmp_path, brief):
    """A flagged figure is never a headline, and every sentence that prints one says it is flagged.
    Flagging Guizhou's outflow rank takes it off the headline; it is then said with its flag."""
    for scope, lang in (("anhui", "zh"), ("guizhou", "zh"), ("guizhou", "en")):
        b = brief(scope, lang)
        for f in P.findings(b):
            flagged = [r for r in f.evidence() if r.flag]
            if f.headline:
                assert not flagged, f.key
            if flagged:
                assert ("存疑" if lang == "zh" else "flagged") in rendered(b, f), f.key
    data = tmp_path / "data"
    shutil.copytree(ROOT / "data", data)
    path = data / "metrics.csv"
    text = path.read_text(encoding="utf-8")
    line = next(x for x in text.splitlines() if x.startswith("520000,outflow_decline_rank,"))
    cols = next(csv.reader([line]))
    header = next(csv.reader([text.splitlines()[0]]))
    rec = dict(zip(header, cols))
    rec.update(flag="ambiguous", flag_reason_zh="测试：口径存疑", flag_reason_en="test: scope doubtful")
    import io

    buf = io.StringIO()
    csv.DictWriter(buf, fieldnames=header, lineterminator="\n").writerow(rec)
    path.write_text(text.replace(line, buf.getvalue().rstrip("\n")), encoding="utf-8")
    b = Briefing("guizhou", lang="zh", data_dir=str(data))
    fs = P.findings(b)
    assert not any(f.headline for f in fs)
    pat = next(f for f in fs if f.name == "patients")
    assert "存疑" in rendered(b, pat) and "第1位" in rendered(b, pat)


def test_headline_claims_of_the_sources_come_first(brief):
    """Guizhou's 跨省流出住院患者下降幅度全国最大 and Fudan Children's Anhui's national rank are
    headline findings, ranked above every other result."""
    for scope in ("guizhou", "anhui"):
        b = brief(scope, "zh")
        fs = P.findings(b)
        heads = [f for f in fs if f.headline]
        assert heads, scope
        assert all(h.salience > f.salience for h in heads for f in fs if not f.headline)
        assert fs[: len(heads)] == heads
    g = brief("guizhou", "zh")
    first = P.findings(g)[0]
    assert first.name == "rank_outflow" and "跨省流出住院患者下降幅度全国最大" in rendered(g, first)
    a = brief("anhui", "en")
    assert any("ranks 16th" in rendered(a, f) for f in P.findings(a) if f.headline)


def test_peers_only_on_the_same_measure(tmp_path, brief):
    """A peer province's figure is of the same metric, breakdown, period and unit; a later figure of
    new technologies on another period (a snapshot) of the peer province is not Anhui's peer. The
    note about wording and dates is said once in the section. (The peer is the first other province
    by code with a total of the measure: Henan since P008 gives its 325, before that Guizhou.)"""
    for scope in ("anhui", "guizhou"):
        b = brief(scope, "zh")
        rows = metric_rows(b)
        for f in P.findings(b):
            pr = f.params.get("peer") if isinstance(f.params, dict) else None
            if not pr:
                continue
            lead = rows[f.params["lead"]["n"].rows[0].ref]
            other = rows[pr["n"].rows[0].ref]
            assert [lead[c] for c in ("metric", "breakdown", "period", "base_unit")] == \
                [other[c] for c in ("metric", "breakdown", "period", "base_unit")]
            assert other["subject_id"] != lead["subject_id"] and not other["flag"]
        text = str(P.section(b).text)
        assert text.count("措辞") == 1, text
    assert str(P.section(brief("anhui", "en")).text).count("words the measure differently") == 1
    m = brief("anhui", "zh").ds.metrics
    same = m[(m["metric"] == "new_technologies") & (m["breakdown"] == "") & (m["period"] == "cumulative")
             & (m["flag"] == "") & m["subject_id"].str.fullmatch(r"\d{6}") & (m["subject_id"] != "340000")]
    code = min(same["subject_id"])
    want = same[same["subject_id"] == code].sort_values(["as_of_dt", "_line"])["value"].iloc[-1]
    data = with_rows(tmp_path, [row(code, "new_technologies", 999, "项", "2025-12", "新技术新项目999项", period="snapshot",
                                    source="S05")])
    b = Briefing("anhui", lang="zh", data_dir=str(data))
    tech = next(f for f in P.findings(b) if f.key == "totals:technology")
    assert tech.params["peer"]["n"].value == want != 999


def test_not_given_only_when_no_source_gives_it(brief):
    """'No source gives results' only for a scope without any result row; a scope with results
    never says it. 'No figures on patients' only without any patient-flow row."""
    for scope in SCOPES[1:]:
        b = brief(scope, "zh")
        fig = P.results(b.figures)
        fig = fig[fig["kind"].isin(("province", "centre"))]
        names = {f.name for f in P.findings(b)}
        assert ("none" in names) == fig.empty, scope
        flows = b.figures[b.figures["metric"].isin(P.FLOW_METRICS)]
        for f in P.findings(b):
            if f.name == "patients":
                said = bool(re.search(r"来源未给出|数据未见公布", rendered(b, f)))
                assert said == flows.empty, scope
    # Jilin (4 centres stated by P020, 2 of them named; no result row) says it, with the stated total; Henan, since
    # P008 gives its centres' totals, does not. (Hubei was the example until P302's six co-built departments of HB-01
    # gave it a result row; it must now not say it.)
    assert "吉林4个国家区域医疗中心尚未见公布成效数据" in str(P.section(brief("jilin", "zh")).text)
    assert "尚未见公布成效数据" not in str(P.section(brief("hubei", "zh")).text)
    assert "尚未见公布成效数据" not in str(P.section(brief("henan", "zh")).text)


def test_national_context_is_never_the_provinces_figure(brief):
    """The NHC's national fall (about 30%) and the 7.9% baseline appear in a province briefing only
    as context, said to be national."""
    for scope, lang, word in (("guizhou", "zh", "这是全国数"), ("anhui", "zh", "这是全国数"),
                              ("guizhou", "en", "not the province's own")):
        b = brief(scope, lang)
        for f in P.findings(b):
            for path, n in walk(f.params):
                nat = [r for r in n.rows if r.kind == "metric" and metric_rows(b)[r.ref]["subject_id"] == "national"]
                if nat:
                    assert set(path) & {"context", "programme", "decline", "baseline"}, (f.key, path)
                    if "context" in path:
                        assert word in rendered(b, f), f.key


def provinces_with_centre_results(b) -> list[str]:
    """The provinces (by code) of the named centres that have a result row in metrics.csv: counted
    from the data, not from the section (安徽 and 贵州 before the sources P008–P035 and P300+)."""
    m = b.ds.metrics
    theme = m["metric"].map(b.ds.metric_definitions.set_index("code")["theme"])
    m = m[theme.isin(P.RESULT_THEMES) & ~m["metric"].isin(P.NOT_RESULTS)]
    c = b.ds.counted_centers.set_index("center_id")["province_code"]
    codes = sorted({c[s] for s in m["subject_id"] if s in c.index})
    return [b.pname(x) for x in codes]


def test_national_results_and_who_has_results(brief):
    b = brief("national", "zh")
    fs = {f.name: f for f in P.findings(b)}
    prog = rendered(b, fs["programme"])
    assert "460" in prog and "6,200" in prog and "2024年2月28日" in prog
    assert "约30%" in rendered(b, fs["outflow"]) and "7.9%" in rendered(b, fs["outflow"])
    assert fs["with_results"].params["names"] == provinces_with_centre_results(b)


def test_any_province_with_centre_figures_gets_results(tmp_path):
    """Jiangxi (湘雅江西: 227 resident experts, 99 transferred, 41 of them province firsts, January
    2026; and a second centre with the same 227 resident experts) gets centre results, a tie said
    as a tie, no chart (its only shared measure has equal bars). A Hubei centre with a first figure
    (a test row; Hubei has none in the data) makes Hubei one of the provinces with results
    nationally (Jiangxi already is one since the sources P300+)."""
    data = with_rows(tmp_path, [
        row("JX-07", "resident_experts", 227, "人", "2026-01", "湘雅医院派出227名常驻专家", source="S02"),
        row("JX-01", "resident_experts", 227, "人", "2026-01", "派出227名常驻专家", source="S02"),
        row("JX-07", "transferred_technologies", 99, "项", "2026-01", "平移99项新技术新项目", source="S02"),
        row("JX-07", "tech_province_firsts", 41, "项", "2026-01", "41项填补江西省空白", source="S02",
            breakdown="of=transferred_technologies"),
        row("JL-02", "resident_experts", 12, "人", "2026-01", "派出12名常驻专家", source="S02"),
    ])
    for lang in LANGS:
        b = Briefing("jiangxi", lang=lang, data_dir=str(data))
        fs = P.findings(b)
        assert all(f.check() == [] for f in fs)
        tops = [f for f in fs if f.name == "centre_top"]
        own = [f for f in fs if f.name == "centre_own"]
        assert {f.params["top"]["n"].value for f in tops} == {227}
        assert [x["n"].value for f in own for x in f.params["items"]] == [99, 41]  # the part after its whole
        text = str(P.section(b).text)
        if lang == "zh":
            assert "各为227人（累计，2026年1月）" in text
            assert "湘雅医院江西医院：平移输出医院的新技术新项目99项，其中填补省内空白41项（累计，2026年1月）" in text
        else:
            assert "227 each (cumulative, January 2026)" in text
            assert ("Xiangya Jiangxi reports 99 technologies and procedures transferred from the lead hospital, "
                    "41 of them firsts in the province (cumulative, January 2026)") in text
        assert P.section(b).chart_html is None
        assert "none" not in {f.name for f in fs}
        tie = next(f for f in tops if f.params["top"]["metric"] == "resident_experts")
        assert tie.params["tie"] and ("并列最多" if lang == "zh" else "share the highest figure") in rendered(b, tie)
    n = Briefing("national", lang="zh", data_dir=str(data))
    wr = next(f for f in P.findings(n) if f.name == "with_results")
    real = provinces_with_centre_results(Briefing("national", lang="zh"))
    assert "江西" in real and "吉林" not in real  # Hubei has a result since HB-01 (P302); Jilin has none
    assert wr.params["names"] == provinces_with_centre_results(n) and "吉林" in wr.params["names"]
    assert wr.params["provinces"].value == len(real) + 1


def test_a_province_and_its_subset_agree(brief):
    """A province's briefing composed from its part of the data says what the whole data says."""
    for scope in ("anhui", "guizhou", "shanghai"):
        a = [str(s) for s in P.section(brief(scope, "zh")).sentences]
        b = [str(s) for s in P.section(brief(scope, "zh", full=True)).sentences]
        assert a == b, scope


def test_exporter_results_point_to_the_support_section(brief):
    b = brief("shanghai", "en")
    none = next(f for f in P.findings(b) if f.name == "none")
    assert "section on support" in rendered(b, none)
    assert max(f.salience for f in P.findings(b)) < max(f.salience for f in E.findings(b))
