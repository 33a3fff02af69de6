"""Briefing parts (composed in process, charts included): what they print matches the dataset; no
NaN/None; data is escaped; the title carries the report's header fields."""
from __future__ import annotations

import html as htmllib
import re
import shutil

import pytest
from hypothesis import given, settings, strategies as st

from nrmc import charts, coverage
from nrmc.briefing import NationalBriefing, ProvinceBriefing
from nrmc.render import META_MIME
from conftest import MINIMAL

BAD_TOKENS = re.compile(r"\bNaN\b|\bnan\b|\bNone\b|nan%|\bNaT\b|Traceback|<NA>|\{[a-z_]+\}")


def text_of(html: str) -> str:
    """The reader's text outside the charts (chart labels have tests of their own, and a tile
    label such as "Hu / nan" would read as a NaN here)."""
    html = re.sub(r"<style.*?</style>", " ", html, flags=re.S)
    html = re.sub(r"<svg.*?</svg>", " ", html, flags=re.S)
    return htmllib.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)))


@pytest.fixture(scope="module")
def anhui():
    b = ProvinceBriefing("安徽")
    return b, b._repr_html_()


def test_anhui_figures_match_dataset(anhui, ds):
    b, html = anhui
    st_ = coverage.province_status(ds).set_index("code").loc["340000"]
    assert b.facts["named"] == 7 and b.facts["stated"] == 9 and b.facts["count"] == 9
    assert b.facts["per_10m"] == pytest.approx(st_["per_10m"]) and b.facts["rank"] == st_["rank"]
    text = text_of(html)
    assert "814项" in text and "安徽9个中心合计" in text
    assert "另有2个中心来源未列名称" in text and "本简报不作推测" in text
    assert "125" in text and "来源具名84个" in text


def test_anhui_lists_every_named_centre(anhui, ds):
    b, html = anhui
    for row in ds.centers[ds.centers["province_code"] == "340000"].to_dict("records"):
        assert row["name_zh"] in html  # the annex lists the full names as published
        assert row["short_zh"] in html  # the summary list uses the short forms


@pytest.mark.parametrize("scope", ["安徽", "贵州", "湖北", "西藏", "上海", "河南", "national"])
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_no_raw_missing_values_or_placeholders(scope, lang):
    b = NationalBriefing(lang=lang) if scope == "national" else ProvinceBriefing(scope, lang=lang)
    text = text_of(b._repr_html_())
    assert not BAD_TOKENS.findall(text), BAD_TOKENS.findall(text)[:5]


def test_guizhou_flags_are_shown_with_reason(ds):
    b = ProvinceBriefing("贵州")
    text = text_of(b.annex()._repr_html_())
    assert "29,063万人次" in text and "疑似单位有误" in text and "290.63万人次" in text
    assert "4,200张" in text
    flagged = ds.metrics[ds.metrics["subject_id"].str.match(r"^(520000|GZ-)")]
    assert b.facts["flagged"] == int((flagged["flag"] != "").sum())


def test_english_briefing_speaks_english():
    b = ProvinceBriefing("anhui", lang="en")
    html = b._repr_html_()
    text = text_of(html)
    assert "Summary" in text and "centres per 10 million residents" in text
    assert "Fudan Children's Anhui" in text
    # the Chinese name as published follows an English name as a marked gloss
    assert '<span lang="zh-CN" class="gloss">复旦大学附属儿科医院安徽医院</span>' in html
    assert "×10,000" not in text


def test_title_carries_metadata_for_the_report_header():
    b = ProvinceBriefing("皖")
    bundle = b.title()._repr_mimebundle_()
    meta = bundle[META_MIME]
    assert meta["title"] == "安徽省国家区域医疗中心简报" and meta["slug"] == "anhui"
    assert meta["window"] == "2020年6月2日至不早于2025年11月30日" and meta["centres_text"] == "9（具名7）"


def test_as_of_limits_the_briefing_and_accepts_years():
    b = ProvinceBriefing("安徽", as_of="2023-01-31")
    assert b.facts["named"] == 6 and b.facts["stated"] is None
    assert b.facts["official_total"] == 50
    assert ProvinceBriefing("安徽", as_of=2023).facts["named"] == 6
    early = ProvinceBriefing("安徽", as_of="2019")
    assert early.facts["named"] == 0 and early.facts["role"] == "unknown"
    assert "—" in text_of(early.summary()._repr_html_())
    with pytest.raises(ValueError, match=r"a year \(2023\)"):
        ProvinceBriefing("安徽", as_of="last year")


def test_national_figures_match_dataset(ds):
    b = NationalBriefing()
    assert b.facts["named"] == 84 and b.facts["official_total"] == 125
    text = text_of(b._repr_html_())
    assert "十堰市太和医院" in text and "另一项目" in text
    assert b.facts["top_province"] == "410000"  # Henan: 10 named centres


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
        html = ProvinceBriefing("安徽", lang=lang, data_dir=str(d))._repr_html_()
        assert "<script>" not in html and "<img src=x" not in html
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    html = NationalBriefing(data_dir=str(d))._repr_html_()
    assert "<script>" not in html


def test_unknown_province_in_briefing_names_the_closest():
    with pytest.raises(ValueError, match="Did you mean 安徽"):
        ProvinceBriefing("安微")


def test_parts_carry_their_stylesheet_for_jupyter():
    html = ProvinceBriefing("西藏").summary()._repr_html_()
    assert html.count("<style data-nrmc-inline>") == 1 and ".key-figures" in html


@settings(max_examples=60, deadline=None)
@given(assign=st.lists(st.integers(0, 30), min_size=0, max_size=120))
def test_property_per_head_rates_and_ranks(assign):
    """For any assignment of centres to provinces: counts add up, each rate is centres per
    10 million residents, ranks follow the rates (ties share a rank), provinces without a count
    have neither rate nor rank, and the named national rate lies between the provinces' rates."""
    import nrmc

    base = nrmc.load(MINIMAL)
    codes = base.provinces["code"].tolist()
    template = base.centers.iloc[[0]]
    ds = base.copy()
    rows = template.loc[template.index.repeat(len(assign))].reset_index(drop=True)
    rows["province_code"] = [codes[i] for i in assign]
    rows["center_id"] = [f"XX-{i:02d}" for i in range(len(assign))]
    ds.centers = rows
    ds.metrics = ds.metrics[ds.metrics["metric"] != "nrmc_count"]
    t = coverage.province_status(ds)
    assert t["named"].sum() == len(assign)
    has = t[t["named"] > 0]
    assert ((has["per_10m"] - has["named"] / has["population"] * 1000).abs() < 1e-12).all()
    assert t[t["named"] == 0]["per_10m"].isna().all() and t[t["named"] == 0]["rank"].isna().all()
    ordered = has.sort_values("per_10m", ascending=False)
    assert ordered["rank"].is_monotonic_increasing
    assert (has.groupby("per_10m")["rank"].nunique() == 1).all()
    if len(has):
        national = t["named"].sum() / t["population"].sum() * 1000
        assert national <= has["per_10m"].max() + 1e-12
