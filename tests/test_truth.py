"""Briefings say only what the sources say (issue 9), checked on the real data in both languages.

Each test is one rule a reader relies on; the briefings are composed in process (the same code the
notebooks call), charts included, so chart labels are checked too.
"""
from __future__ import annotations

import re

import pytest

from nrmc import coverage, dates, lifecycle
from nrmc.briefing import NationalBriefing, ProvinceBriefing

# Hubei, also first approved in batch 5, now has named centres (HB-01…HB-03) and is a host
BATCH5_FIRST = ["jilin", "hunan", "jiangsu", "zhejiang", "shaanxi"]


def text_of(html: str) -> str:
    html = re.sub(r"<style.*?</style>", " ", html, flags=re.S)
    html = re.sub(r"<title>.*?</title>", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).replace("&#39;", "'").replace("&amp;", "&")


@pytest.fixture(scope="module")
def briefings():
    cache = {}

    def get(scope, lang="zh"):
        key = (scope, lang)
        if key not in cache:
            b = NationalBriefing(lang=lang) if scope == "national" else ProvinceBriefing(scope, lang=lang)
            cache[key] = (b, b._repr_html_())
        return cache[key]
    return get


@pytest.mark.parametrize("slug", BATCH5_FIRST)
def test_batch5_provinces_are_never_told_they_have_no_centre(briefings, slug):
    for lang in ("zh", "en"):
        b, html = briefings(slug, lang)
        text = text_of(html)
        assert b.facts["role"] == "known" and b.facts["first_batch"] == 5
        assert b.facts["count"] is None and b.facts["per_10m"] is None and b.facts["rank"] is None
        for bad in ("尚无", "既无", "没有国家区域医疗中心", "0个中心", "0.00", "no centre in", "has none"):
            assert bad not in text, (slug, lang, bad)
        assert "≥1" in text
        assert ("第5批" in text or "第五批" in text) if lang == "zh" else "batch 5" in text


def test_national_counts_the_provinces_known_to_have_centres(briefings):
    b, html = briefings("national")
    assert b.facts["provinces_known"] == 27 and b.facts["provinces_named"] == 22
    assert "27/31" in text_of(html)
    assert "22/31" not in text_of(html)


def test_per_head_uses_the_best_supported_count_with_the_named_one_beside(briefings, ds):
    b, html = briefings("anhui")
    f = b.facts
    assert f["count"] == 9 and f["count_basis"] == "stated" and f["named"] == 7
    assert f["per_10m"] == pytest.approx(9 / 6123 * 1000) and f["per_10m_named"] == pytest.approx(7 / 6123 * 1000)
    text = text_of(html)
    assert "1.47" in text and "1.14" in text
    n, html_n = briefings("national")
    assert n.facts["per_10m_official"] == pytest.approx(125 / ds.provinces["pop_2024"].sum() * 1000)
    assert "0.89" in text_of(html_n) and "0.60" in text_of(html_n)


def test_ranks_say_what_they_count(briefings):
    b, html = briefings("anhui")
    assert b.facts["rank"] == 6 and b.facts["n_ranked"] == 22
    assert "22个有数量的省份中第6位" in text_of(html)


def test_each_briefing_states_its_own_data_window(briefings):
    g, _ = briefings("guizhou")
    w = g.window
    assert dates.end(w.last).year == 2026, g.meta()["window"]  # GZ-05's figure of 2026-01-29 (P323)
    a, _ = briefings("anhui")
    assert a.meta()["window"].endswith("不早于2025年11月30日")  # S01 is undated: inferred, and says so
    h, _ = briefings("henan")
    assert h.meta()["window"] == "截至2023年1月12日"  # the list's date, not the bound of a stage
    for slug in ("guizhou", "hubei", "henan"):
        assert "2025年11月30日" not in briefings(slug)[0].meta()["window"], slug


def test_trial_operation_is_never_called_opening(briefings, ds):
    life = lifecycle.lifecycles(ds)
    assert life["AH-07"].current.stage == "trial"  # 仁济安徽: 过渡期运营 from 2023-10, opening only expected
    assert life["AH-01"].current.stage == "open" and life["AH-01"].first_operation.date == "2022-12-28"
    op = coverage.openings(ds).set_index("center_id")
    assert "AH-07" not in op.index
    assert op.loc["AH-01", "open_date"] == "2023-06-26" and op.loc["AH-02", "open_date"] == "2023-08-28"
    for scope in ("anhui", "national"):
        text = text_of(briefings(scope)[1])
        assert "开诊 2023年10月" not in text and "开诊2023年10月" not in text
        assert "开诊 2022年12月28日" not in text and "开诊 2022年10月31日" not in text


def test_sums_over_centres_are_labelled_as_such(briefings):
    for scope in ("anhui", "guizhou", "national"):
        text = text_of(briefings(scope)[1])
        assert "全省" not in text, scope
    assert "安徽9个中心合计" in text_of(briefings("anhui")[1])
    assert "贵州5个中心合计" in text_of(briefings("guizhou")[1])
    assert "Anhui's 9 centres combined" in text_of(briefings("anhui", "en")[1])


def test_the_provincial_programme_only_in_its_labelled_box(briefings):
    b, html = briefings("hubei")
    boxes = re.findall(r'<aside class="box other-programme">.*?</aside>', html, flags=re.S)
    assert len(boxes) == 1 and "十堰市太和医院" in boxes[0] and "另一项目" in boxes[0]
    rest = html.replace(boxes[0], "")
    annex = rest[rest.index('id="annex"'):]
    body = rest[:rest.index('id="annex"')]
    assert "太和" not in text_of(body)  # its figures appear in the annex table under the other programme's theme
    assert "省级区域医疗中心（另一项目）" in text_of(annex)


def test_a_specialty_a_source_names_for_a_centre_counts_as_present(ds):
    ps = coverage.planned_specialties(ds, "贵州").set_index("code")
    assert ps.loc["oncology", "status"] == "has_focus" and ps.loc["cardiovascular", "status"] == "has_focus"
    assert ps.loc["ophthalmology", "status"] == "lacks"


def test_no_share_headlines_for_a_handful_of_centres(briefings):
    """With fewer than 5 centres every specialty is 14% or 33%: such shares are never stated."""
    for scope in ("anhui", "guizhou", "shanxi"):
        b, html = briefings(scope)
        text = text_of(html)
        assert not re.search(r"占比\s*\d|\d+%，全国为", text), (scope, re.findall(r".{20}占比\s*\d.{10}", text))
        assert "比例没有意义" in text or len(b.approved) >= 5


def test_exporters_are_framed_as_exporters(briefings):
    b, html = briefings("shanghai")
    text = text_of(html)
    assert b.facts["role"] == "exporter" and b.facts["exported"] == 15
    assert "输出地" in text and "15" in text
    for bad in ("0.00", "低于全国", "尚无", "rank"):
        assert bad not in text
    e, html_en = briefings("shanghai", "en")
    assert "source of expertise" in text_of(html_en) and "0.00" not in text_of(html_en)


def test_not_in_the_sources_is_not_zero(briefings):
    b, html = briefings("tibet")
    text = text_of(html)
    assert b.facts["role"] == "unknown"
    assert "来源未提及" in text and "不等于没有" in text
    for bad in ("尚无", "既无", "0.00"):
        assert bad not in text


def test_qualifiers_travel_with_their_numbers(briefings):
    b, html = briefings("anhui")
    text = text_of(html)
    assert "超过50项" in text  # 上海六院安徽: 50余项
    assert "超过26%" in text  # 三四级手术台次同比增长超26%
    assert "over 50 items" in text_of(briefings("anhui", "en")[1])


def test_figures_of_another_period_are_not_charted_beside_cumulative_ones(briefings):
    b, html = briefings("guizhou")
    charts = re.findall(r"<figure.*?</figure>", html, flags=re.S)
    tech = [c for c in charts if "新技术新项目" in c and "最多" in c]
    assert tech, "the comparable chart of new technologies"
    for chart in charts:  # GZ-04's first-half-year count (21 transferred) is no bar of any chart
        svg = re.search(r"<svg.*?</svg>", chart, flags=re.S)
        assert not svg or "21项" not in text_of(svg.group(0))


def test_sources_are_numbered_in_citation_order_and_only_cited_ones_listed(briefings):
    for scope in ("anhui", "tibet", "national"):
        b, html = briefings(scope)
        listed = [int(n) for n in re.findall(r'<li value="(\d+)">', html)]
        assert listed == list(range(1, len(listed) + 1)), scope
        cited = {int(x) for refs in re.findall(r'<sup class="src">\[([\d,]+)\]</sup>', html) for x in refs.split(",")}
        cited |= {int(x) for x in re.findall(r"\[(\d+)\]", text_of(html))}
        assert cited == set(listed), (scope, cited ^ set(listed))
        first = re.search(r'<sup class="src">\[([\d,]+)\]', html).group(1).split(",")[0]
        assert first == "1"


def test_data_fixes_from_the_review(ds):
    m = ds.metrics.set_index(["subject_id", "metric", "breakdown", "source_id"])
    gz4 = m.loc[("GZ-04", "transferred_technologies", "", "S05")]
    assert gz4["period"] == "first_6_months" and gz4["flag"] == "ambiguous" and gz4["as_of"] == "2024-06" and gz4["as_of_basis"] == "not_after"
    assert m.loc[("AH-01", "out_of_province_patients_growth", "", "S01"), "flag"] == "ambiguous"
    assert m.loc[("340000", "surgery_growth", "level=3_4", "S01"), "flag"] == "ambiguous"
    assert "290.63万" in m.loc[("520000", "outpatient_visits", "", "S05"), "flag_reason_zh"]
    assert "17.09万" in m.loc[("520000", "out_of_province_patients", "care=inpatient", "S05"), "flag_reason_zh"]
    src = ds.sources.set_index("source_id")
    assert src.loc["S05", "title"] == "让群众「近」享优质医疗服务" and src.loc["S05", "date_basis"] == "about"
    assert src.loc["S01", "date_basis"] == "not_before"
    c = ds.centers.set_index("center_id")
    # one rule: a project hospital whose own site the sources do not give has no city
    assert c.loc["AH-07", "city_zh"] == c.loc["HI-03", "city_zh"] == ""
    assert c.loc["LN-01", "flag"] == "doubtful_name" and c.loc["LN-01", "flag_reason_zh"]
    st = ds.stages
    assert set(st.loc[st["source_id"] == "S02", "stage"]) == {"listed"}  # S02's headline, not a completion
    assert dates.sort_key("2019") < dates.sort_key("2019-07") < dates.sort_key("2019-11")


def test_milestones_are_listed_in_order_and_no_doubled_words(briefings):
    b, html = briefings("national")
    text = text_of(html)
    assert text.index("《区域医疗中心建设试点工作方案》") < text.index("第一批国家区域医疗中心试点项目")
    assert "类类" not in text



def test_per_head_verdicts_compare_like_with_like(briefings):
    """A count of named centres (the 2023-01 list) is set against the named national rate, a stated
    total against the official one (found by an independent reading: Hebei is above, not below)."""
    b, html = briefings("hebei")
    text = text_of(html)
    assert b.facts["compare_basis"] == "named" and b.facts["per_10m"] > b.facts["compare_per_10m"]
    assert "高于全国的0.60个（均按来源具名的中心计）" in text and "低于全国" not in text
    a, html_a = briefings("anhui")
    assert a.facts["compare_basis"] == "official" and "高于全国的0.89个" in text_of(html_a)


def test_what_the_sources_say_about_the_fall_in_patients_leaving(briefings):
    for scope in ("anhui", "tibet", "national"):
        text = text_of(briefings(scope)[1])
        assert "建成后" not in text and "已建成的76个" not in text
        assert "较建设前减少约30%" in text or scope == "national"


def test_ties_are_not_called_most(briefings):
    # Xinjiang's four centres come from four provinces, one each (Guangdong's tie of 2 and 2 ended with
    # its batch-5 centre of its own province)
    text = text_of(briefings("xinjiang")[1])
    assert "北京最多" not in text and "来自4个省份，各1个" in text
    assert "均在北京" in text_of(briefings("hebei")[1])


def test_a_doubtful_published_name_is_shown_as_doubtful(briefings):
    text = text_of(briefings("liaoning")[1])
    assert "名称存疑" in text and "其中1个的输出医院在本省" not in text
    assert "来源无法核定" in text  # the reason, in the flagged figures of the annex


def test_no_zero_where_the_sources_are_silent(briefings):
    for scope in ("ningxia", "guangxi"):
        assert "0/13" not in text_of(briefings(scope)[1]), scope
    b, html = briefings("jilin", "en")
    assert not re.search(r"kf-value\">0<", html)


def test_specialties_the_guizhou_source_names_count_as_present(briefings):
    b, html = briefings("guizhou")
    assert b.planned.set_index("code").loc["orthopedics", "status"] == "has_focus"
    assert "来源未提及的规划专科" not in text_of(html)


def test_an_expectation_is_printed_in_the_sources_words(briefings):
    text = text_of(briefings("anhui")[1])
    assert "预计2026年上半年建成开诊" in text and "预计2026年6月开诊" not in text


def test_a_specialty_that_is_only_a_stated_focus_is_not_called_unnamed(ds, briefings):
    # Orthopedics: no centre has it as its specialty, but 积水潭 Guizhou names it as its focus.
    ps = coverage.planned_specialties(ds, "贵州").set_index("code")
    assert ps.loc["orthopedics", "national_count"] == 0 and ps.loc["orthopedics", "national_focus"] >= 1
    assert ps.loc["pediatrics", "national_focus"] == 0
    nat = text_of(briefings("national")[1])
    assert re.search(r"骨科（[^）]*积水潭[^）]*以之为来源所述重点）", nat)
    # 积水潭贵州 and 上海六院安徽
    assert "全国2个以之为重点" in text_of(briefings("guizhou")[1])
    assert "China: 2 as a focus" in text_of(briefings("guizhou", "en")[1])


def test_inferred_specialties_are_marked_where_they_are_counted(briefings):
    # Every centre named in the rest of Jilin's region has an inferred specialty: the title says so;
    # where some are stated (Tianjin's region), it says how many are inferred.
    assert "其他省份具名的3个中心，按专科（专科均为推断）" in text_of(briefings("jilin")[1])
    assert "其他省份具名的25个中心，按专科（其中21个的专科系推断）" in text_of(briefings("tianjin")[1])
    en = text_of(briefings("tibet", "en")[1])
    assert re.search(r"by specialty \(\d+ of them inferred\)", en)
    # Guizhou's pediatrics centre is stated by its source, the regional-only bars are not
    b, _ = briefings("guizhou")
    assert b.planned.set_index("code").loc["pediatrics", "province_inferred"] == 0


def test_the_2024_results_say_what_was_summed(briefings):
    nat = text_of(briefings("national")[1])
    assert "前四批76个项目的合计" in nat and "不是各中心之和" in nat
    assert "当时76个中心的合计" not in nat


def test_a_province_whose_centres_are_outside_the_planned_specialties_is_not_told_it_has_none(briefings):
    # Ningxia's one named centre is a maternal-child one, Guangxi's three are general and maternal-child
    for scope, lang, want in (("ningxia", "zh", "宁夏具名的1个中心为妇幼中心，不在规划的13个重点专科（含中医）之内"),
                              ("guangxi", "zh", "广西具名的3个中心均为综合类、妇幼中心"),
                              ("ningxia", "en", "Ningxia's 1 named centre is a maternal and child health centre, outside the 13 planned"),
                              ("ningxia", "en", "its maternal and child health centre may cover some of them")):
        text = text_of(briefings(scope, lang)[1])
        assert want in text, (scope, lang)
        assert "有0个有中心" not in text and "in 0 of the 13" not in text
    # a digestive centre is not offered as covering respiratory or ophthalmology
    assert "消化系统疾病中心的服务可能涵盖" not in text_of(briefings("anhui")[1])
    assert "综合类中心的服务可能涵盖其中一些" in text_of(briefings("anhui")[1])


def test_a_stated_total_that_equals_the_named_count_is_not_called_missing(briefings):
    text = text_of(briefings("guizhou")[1])
    assert "来源称贵州共有5个中心（2023年7月），均已具名" in text and "未给出贵州的总数" not in text


def test_unlike_province_totals_are_not_called_like_for_like(briefings):
    # Anhui's 814 are 引进, Guizhou's 588 开展; Anhui's 345 experts include management experts
    for scope in ("national", "anhui", "guizhou"):
        assert "同口径比较" not in text_of(briefings(scope)[1]), scope
    nat = text_of(briefings("national")[1])
    assert "措辞、日期不同" in nat and "same basis" not in text_of(briefings("national", "en")[1])


def test_a_launch_before_the_opening_is_not_a_stage_beyond_it(briefings, ds):
    # S01: 曙光安徽 2023年1月11日正式启动运营，2023年2月2日正式开诊
    life = lifecycle.lifecycles(ds)["AH-06"]
    assert life.current.stage == "open"
    text = text_of(briefings("anhui")[1])
    assert "开诊3个" in text and "正式运营1个" not in text
    assert "正式启动运营（开诊前，计为试运行） 2023年1月11日" in text


def test_a_centres_own_count_and_the_count_transferred_to_it_are_not_one_trend(briefings):
    # 复旦儿科安徽: 412 / 69 the hospital's own (S03), 453 / 88 transferred from Fudan (S01)
    text = text_of(briefings("anhui")[1])
    assert "→ 453" not in text and "→ 88" not in text
    # 上海六院安徽: S01 puts 创伤骨科 at its core with the national orthopaedics centre behind it
    b, _ = briefings("anhui")
    assert b.planned.set_index("code").loc["orthopedics", "status"] == "has_focus"
    assert "全国2个以之为重点" in text_of(briefings("guizhou")[1])
