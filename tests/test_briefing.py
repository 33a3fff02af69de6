"""Briefing sections: every figure they print matches the dataset; no NaN/None; data is escaped."""
from __future__ import annotations

import re
import shutil

import pytest
from hypothesis import given, settings, strategies as st

from nrmc import charts, coverage
from nrmc.briefing import NationalBriefing, ProvinceBriefing
from nrmc.render import META_MIME
from conftest import MINIMAL

BAD_TOKENS = re.compile(r"\bNaN\b|\bnan\b|\bNone\b|nan%|\bNaT\b|Traceback|<NA>")


def render(b, sections):
    return "".join(getattr(b, s)()._repr_html_() for s in sections)


PROVINCE_SECTIONS = ["title", "headline", "coverage", "specialty_mix", "performance", "sources_notes"]
NATIONAL_SECTIONS = ["title", "headline", "coverage", "flows", "specialty_mix", "progress", "performance", "context", "sources_notes"]


def text_of(html: str) -> str:
    return re.sub(r"<[^>]+>", " ", re.sub(r'data:image/[^"]+', "", html))


@pytest.fixture(scope="module")
def anhui():
    b = ProvinceBriefing("安徽")
    return b, render(b, PROVINCE_SECTIONS)


def test_anhui_headline_figures_match_dataset(anhui, ds):
    b, html = anhui
    t = coverage.centers_by_province(ds).set_index("code")
    assert b.facts["named"] == 7 and b.facts["stated"] == 9
    assert b.facts["per_10m"] == pytest.approx(t.loc["340000", "per_10m"])
    assert b.facts["rank"] == t.loc["340000", "rank"]
    text = text_of(html)
    assert "来源称共9个，具名7个" in text
    assert f"{t.loc['340000', 'per_10m']:.2f}" in text
    assert "814项" in text  # province-level new technologies, S01
    assert "75/125" in text  # national completeness
    assert "其余2个未具名，本简报不作推测" in text


def test_anhui_lists_every_named_centre_and_source(anhui, ds):
    b, html = anhui
    for name in ds.centers[ds.centers["province_code"] == "340000"]["name_zh"]:
        assert name in html
    # numbered sources: the Anhui article is source [1] and is listed in the sources section
    assert '<li value="1">' in html and "九大国家区域医疗中心" in html


def test_no_raw_missing_values_in_any_briefing():
    for prov in ["安徽", "贵州", "湖北", "西藏"]:
        for lang in ["zh", "en"]:
            b = ProvinceBriefing(prov, lang=lang)
            text = text_of(render(b, PROVINCE_SECTIONS))
            assert not BAD_TOKENS.findall(text), (prov, lang, BAD_TOKENS.findall(text)[:5])
    for lang in ["zh", "en"]:
        b = NationalBriefing(lang=lang)
        text = text_of(render(b, NATIONAL_SECTIONS))
        assert not BAD_TOKENS.findall(text)


def test_guizhou_flags_are_shown_with_reason(ds):
    b = ProvinceBriefing("贵州")
    text = text_of(render(b, ["performance", "sources_notes"]))
    assert "29,063万人次" in text and "疑似单位有误" in text
    assert "4,200张" in text
    assert b.facts["flagged"] == int((ds.metrics[ds.metrics["subject_id"].str.startswith(("520000", "GZ-"))]["flag"] != "").sum())


def test_province_without_centre_still_gets_a_useful_briefing():
    b = ProvinceBriefing("西藏")
    assert b.facts["named"] == 0
    text = text_of(render(b, PROVINCE_SECTIONS))
    assert "尚无国家区域医疗中心" in text
    assert "西部地区" in text  # the neighbours' centres in the same region
    assert "新疆" in text and "中山大学附属喀什医院" in text


def test_hubei_shows_provincial_centre_context():
    b = ProvinceBriefing("湖北")
    text = text_of(render(b, PROVINCE_SECTIONS))
    assert "十堰市太和医院" in text


def test_english_briefing_uses_english_labels():
    b = ProvinceBriefing("anhui", lang="en")
    text = text_of(render(b, PROVINCE_SECTIONS))
    assert "Key points" in text and "centres per 10 million residents" in text
    assert "Children's Hospital of Fudan University" in text or "Fudan" in text
    assert "复旦大学附属儿科医院安徽医院" in text  # the Chinese name as published stays beside the gloss


def test_title_carries_metadata_for_the_report_header():
    b = ProvinceBriefing("皖")
    bundle = b.title()._repr_mimebundle_()
    assert bundle[META_MIME]["title"] == "安徽省国家区域医疗中心简报"
    assert bundle[META_MIME]["as_of"] == "2025年11月30日"


def test_national_figures_match_dataset(ds):
    b = NationalBriefing()
    assert b.facts["named"] == 75 and b.facts["official_total"] == 125
    text = text_of(render(b, NATIONAL_SECTIONS))
    assert "125" in text and "十堰市太和医院" in text
    assert b.facts["top_province"] == "410000"  # Henan: 10 named centres
    assert "河南（10个）" in text


def test_as_of_parameter_limits_the_briefing():
    b = ProvinceBriefing("安徽", as_of="2023-01-31")
    assert b.facts["named"] == 6 and b.facts["stated"] is None  # Renji Anhui and the article of 2025 are later
    assert b.facts["official_total"] == 50


def test_data_is_html_escaped(tmp_path):
    d = tmp_path / "data"
    shutil.copytree(MINIMAL, d)
    c = (d / "centers.csv").read_text(encoding="utf-8")
    c = c.replace("测试儿科医院安徽医院", "<script>alert(1)</script>测试儿科医院安徽医院").replace(
        "安徽省儿童医院", '<img src=x onerror="alert(2)">')
    (d / "centers.csv").write_text(c, encoding="utf-8")
    hosp = (d / "hospitals.csv").read_text(encoding="utf-8").replace("安徽省儿童医院", '<img src=x onerror="alert(2)">')
    (d / "hospitals.csv").write_text(hosp, encoding="utf-8")
    for lang in ("zh", "en"):
        html = render(ProvinceBriefing("安徽", lang=lang, data_dir=str(d)), PROVINCE_SECTIONS)
        assert "<script>" not in html and "<img src=x" not in html
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    html = render(NationalBriefing(data_dir=str(d)), NATIONAL_SECTIONS)
    assert "<script>" not in html


def test_unknown_province_in_briefing_names_the_closest():
    with pytest.raises(ValueError, match="Did you mean 安徽"):
        ProvinceBriefing("安微")


def test_cjk_font_is_found_and_charts_carry_alt_text():
    assert charts.cjk_font().startswith(("Noto Sans CJK", "Noto Sans SC", "Source Han", "WenQuanYi", "Droid"))
    fig = charts.hbar(["安徽", "贵州"], [1.0, 2.0], "标题", "来源：[1]", xlabel="个")
    html = str(charts.figure_html(fig, 'alt "quoted" <b>'))
    assert 'alt="alt &#34;quoted&#34; &lt;b&gt;"' in html
    assert html.count("<img") == 1


def test_missing_cjk_font_is_a_clear_error(monkeypatch):
    from matplotlib import font_manager

    charts.cjk_font.cache_clear()
    monkeypatch.setattr(font_manager.fontManager, "ttflist", [f for f in font_manager.fontManager.ttflist if "CJK" not in f.name
                                                               and f.name not in charts.CJK_FAMILIES])
    monkeypatch.setattr(charts, "CJK_FONT_DIRS", ())
    monkeypatch.setattr(charts.shutil, "which", lambda _: None)
    try:
        with pytest.raises(charts.MissingCJKFontError, match="fonts-noto-cjk"):
            charts.cjk_font()
    finally:
        monkeypatch.undo()
        charts.cjk_font.cache_clear()


@settings(max_examples=80, deadline=None)
@given(assign=st.lists(st.integers(0, 30), min_size=0, max_size=120))
def test_property_per_head_rates_and_ranks(assign):
    """For any assignment of centres to provinces: counts add up, each rate is centres per
    10 million residents, ranks follow the rates (ties share a rank) and the national rate lies
    between the lowest and highest provincial rate."""
    import nrmc

    base = nrmc.load(MINIMAL)
    codes = base.provinces["code"].tolist()
    template = base.centers.iloc[[0]]
    ds = base.copy()
    rows = template.loc[template.index.repeat(len(assign))].reset_index(drop=True)
    rows["province_code"] = [codes[i] for i in assign]
    rows["center_id"] = [f"XX-{i:02d}" for i in range(len(assign))]
    ds.centers = rows
    t = coverage.centers_by_province(ds)
    assert t["centers"].sum() == len(assign)
    assert (t["per_10m"] - t["centers"] / t["population"] * 1000).abs().max() < 1e-12
    ordered = t.sort_values("per_10m", ascending=False)
    assert ordered["rank"].is_monotonic_increasing
    assert (t.groupby("per_10m")["rank"].nunique() == 1).all()
    national = t["centers"].sum() / t["population"].sum() * 1000
    assert t["per_10m"].min() - 1e-12 <= national <= t["per_10m"].max() + 1e-12


def test_breakdowns_and_short_columns_read_well():
    b = ProvinceBriefing("贵州")
    html = b.performance()._repr_html_()
    assert "省外患者（住院）" in html and "care=inpatient" not in html and "（inpatient）" not in html
    # dates, flags and values never break inside a value (a flag column one character wide)
    assert '<td class="nowrap">疑似单位有误</td>' in html
