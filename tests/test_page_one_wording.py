"""Pages 1–2 as a 简报 writes them (issue 18): ranks only within one measure, date and basis;
the plan's 12 key specialties with TCM apart; exporters led by what their hospitals support;
no database-speak. Rules that are general run over all 32 briefings in both languages (findings
only, composed in process: cheap); wording checks of one briefing name it."""
from __future__ import annotations

import re

import pytest

from briefing_texts import compose, running_text
from briefings import ALL, LANGS
from nrmc.findings import rankable
from nrmc.sections import summary
from nrmc.sections.base import plain_text
from nrmc.sections.text import claim, context
from sections_support import briefing

EVERY = [pytest.param(s, lg, id=f"{s}-{lg}") for s in ALL for lg in LANGS]
RANK_WORDS = {"zh": re.compile(r"最多|最高|之首|最大|居[^，。；]*第"),
              "en": re.compile(r"\bthe most\b|\bhighest\b|\blargest\b|\bfirst among\b|\branks?\b", re.I)}


def _text(b, f) -> str:
    return " ".join(plain_text(str(x)) for x in (claim(b, f), context(b, f)))


@pytest.mark.parametrize("scope,lang", EVERY)
def test_no_finding_ranks_across_dates_or_kinds(scope, lang):
    """A finding that ranks figures ("最多", "the most") ranks rows of one measure, one date and
    one basis; a source's own headline (its rank, "全国最大") is quoted, not ranked by us. Anhui's
    experts dispatched (1,137 to 30 Nov 2025 against others to 29 Dec 2025) are listed, not ranked."""
    b = briefing(scope, lang)
    bad = []
    for f in summary.ranked(b):
        metric_rows = [r for r in f.evidence() if r.kind == "metric"]
        if f.headline or not metric_rows:
            continue
        text = _text(b, f)
        if f.ranks:
            if not rankable(f.ranks):
                bad.append((f.key, text))
        elif RANK_WORDS[lang].search(text) and not rankable(metric_rows):
            bad.append((f.key, text))
    assert not bad, bad


def test_rankable_needs_one_measure_one_date_one_basis():
    from nrmc.findings import Row

    a = Row("metric", "x 1", "S01", "2025-12-29", "stated", "", "专家派驻", "expert visits", 296, "人次", "", "cumulative")
    same = Row("metric", "x 2", "S01", "2025-12-29", "stated", "", "专家派驻", "expert visits", 500, "人次", "余", "cumulative")
    other_day = Row("metric", "x 3", "S01", "2025-11-30", "stated", "", "专家派驻", "expert visits", 1137, "人次", "", "cumulative")
    other_kind = Row("metric", "x 4", "S01", "2025-12-29", "stated", "", "常驻专家", "resident experts", 36, "人", "", "cumulative")
    assert rankable([a, same]) and not rankable([a, other_day]) and not rankable([a, other_kind])


def test_anhui_lists_experts_dispatched_at_two_dates_side_by_side():
    two = running_text([x for x in compose("anhui", "zh") if x[0] == "page_two"])
    assert "公布专家派驻的3个中心中" not in two and "仁济医院安徽医院最多" not in two
    assert "3个中心公布了专家来院诊疗或指导，日期或口径不同，只并列、不排序" in two
    # a measure that groups what the sources word apart (巡回专家 44, 常规坐诊 18 and 7) is not ranked either
    assert "复旦儿科安徽医院最多，为44人" not in two
    assert "3个中心公布了短期、巡回或定期坐诊的专家，口径不同，只并列、不排序" in two


# ---- exporters: lead with what their hospitals support --------------------------------------
EXPORTERS = [pytest.param(s, lg, id=f"{s}-{lg}") for s in ALL for lg in LANGS]


@pytest.mark.parametrize("scope,lang", EXPORTERS)
def test_an_exporters_page_one_leads_with_what_its_hospitals_support(scope, lang):
    """An exporter (hospitals leading centres elsewhere, none at home): its first message is what
    its hospitals support; no comparison with its region's provinces, no national-total message,
    at most two centres as examples of what is sent."""
    import importlib

    exports = importlib.import_module("nrmc.sections.exports")
    b = briefing(scope, lang)
    if b.national or b.role != "exporter":
        return
    ms = summary.key_messages(b)
    assert ms[0].theme == "exports", [f.key for f in ms]
    assert not [f for f in ms if f.theme == "coverage" and f.key in ("official", "spread")]
    for f in ms:
        if f.key == "silent":
            assert not plain_text(str(context(b, f))), "an exporter is not compared with its region"
        if f.theme == "exports" and f.name == "results":  # page 1 says its short form (the section says all)
            assert len(f.params["page1"]["centres"]) <= 2
    assert exports.CENTRES_SAID <= 2


def test_shanghai_page_two_lists_all_seventeen_centres():
    from briefings import composed

    b, html = composed("shanghai", "zh")
    page2 = html.split('class="page summary summary-2"', 1)[1].split("</section>", 1)[0]
    assert "此处列出" not in page2
    assert page2.count("<tr") - page2.count("<thead") >= len(b.exported) == 17
    one = running_text([x for x in compose("shanghai", "zh") if x[0] == "key_messages"])
    assert "同属东部地区" not in one and "国家共批复" not in one


# ---- national -----------------------------------------------------------------------------
def test_national_total_dated_as_published_and_confirmed_with_the_batch_totals():
    one = running_text([x for x in compose("national", "zh") if x[0] == "key_messages"])
    assert "国家共批复国家区域医疗中心项目125个（2023年11月8日公布，2024年5月7日再次确认）" in one
    assert "第1批后累计10个（2019年11月），第3批后累计50个（2022年5月18日），前4批共76个（2023年4月13日公布）" in one
    assert "据2019年《区域医疗中心建设试点工作方案》，建设前有约7.9%的出院患者在区域外就医" in one
    # the national benchmark of patients leaving their region is said once on pages 1–2
    both = one + running_text([x for x in compose("national", "zh") if x[0] == "page_two"])
    assert both.count("7.9%") == 1 and both.count("约30%") == 1


# ---- a 简报's register: no database-speak on pages 1–2 -------------------------------------
DATABASE_SPEAK = ("公开来源具名", "来源具名", "另有3个中心有此类数据", "此类数据；其余", "按来源，", "来源未明示",
                  "来源未给出", "含中医", "个其他专科中心所述的重点方向")
ZH = [pytest.param(s, id=s) for s in ALL]


def _pages(scope: str, lang: str = "zh") -> str:
    return running_text([x for x in compose(scope, lang) if x[0] in ("key_messages", "page_two")])


@pytest.mark.parametrize("scope", ZH)
def test_pages_one_and_two_read_as_a_briefing_not_a_database(scope):
    """No field-and-source phrasing; "来源" at most 8 times; each qualifier said once (the rank's
    caveat in the box, not after each rank)."""
    text = _pages(scope)
    assert not [w for w in DATABASE_SPEAK if w in text], [w for w in DATABASE_SPEAK if w in text]
    assert text.count("来源") <= 8, text.count("来源")
    assert text.count("本简报无法另行核对") <= 1


@pytest.mark.parametrize("scope", ZH)
def test_every_rank_a_briefing_states_is_dated(scope):
    """A rank a source states ('总量居全国第N位', '全国最大') carries its date (Henan's first place is
    as of 2023-12-04). The briefing's own standing among provinces by named centres says its basis."""
    text = _pages(scope)
    for m in re.finditer(r"居[^，。；（]*?第\d+位|全国最大", text):
        sentence = re.split(r"[。\n]", text[:m.start()])[-1]
        if sentence.startswith("按具名中心计"):
            continue
        after = text[m.end():m.end() + 2]
        # dated after the rank, or with the publication that states it (据…监测分析（约2024年2月），…)
        dated_before = re.search(r"^据[^，。；]*（[^）]*\d{4}年[^）]*），", sentence)
        assert after.startswith("（") or dated_before, (scope, text[m.start() - 20:m.end() + 20])


def test_a_watch_on_results_is_the_briefings_reading_of_opening_and_first_results():
    """Jilin (no centre opened, no result; Hubei was the example until P302 gave it one): what to
    watch is the briefing's reading, opening first, then first results. Hubei, which has a
    result now, no longer says it awaits its first."""
    one = running_text([x for x in compose("jilin", "zh") if x[0] == "key_messages"])
    assert "值得关注（本简报的判断）：一是吉林的中心何时开诊，二是开诊后何时首次公布成效" in one
    hubei = running_text([x for x in compose("hubei", "zh") if x[0] == "key_messages"])
    assert "首次公布成效" not in hubei


@pytest.mark.parametrize("scope", ["henan", "guizhou", "hubei", "anhui"])
def test_page_one_currency_lies_within_the_header_window(scope):
    """The data-currency line of page 1 gives the dates its messages print; they fall within the
    briefing's data window in the header (Henan's page 1 said 约2024年7月10日, a date no message
    printed, while its header ended in 2023)."""
    from briefings import composed
    from nrmc import dates

    b, _ = composed(scope, "zh")
    ms = summary.key_messages(b)
    own = summary.own_subjects(b)
    printed = [(w.text, w.basis) for f in ms for w in f.whens() if w.text and any(
        r.kind in ("metric", "stage", "centre") and (own is None or r.subject in own) for r in w.rows)]
    win, head = dates.window(printed), b.window
    assert win and head
    assert dates.start(win.first) >= dates.start(head.first) and dates.end(win.last) <= dates.end(head.last), (win, head)


# ---- a second reading of pages 1–2 (issue 18): what a reader forwards ------------------------
def _page(scope: str, lang: str, section: str) -> str:
    return running_text([x for x in compose(scope, lang) if x[0] == section])


@pytest.mark.parametrize("scope", ALL)
def test_no_flagged_figure_on_the_page_a_reader_forwards(scope):
    """A figure kept as published but flagged (Guizhou's 11.9万 inpatients, 存疑：单位可能有误) is
    for the annex and the performance section; pages 1–2 only count such figures in the caveats box."""
    b = briefing(scope, "zh")
    flagged = {r.ref for f in summary.ranked(b) for r in f.evidence() if r.flag}
    used = [f for f in summary.key_messages(b) if {r.ref for r in f.evidence()} & flagged]
    assert not used, [f.key for f in used]
    two = _page(scope, "zh", "page_two").split("阅读须知")[0]
    assert "存疑" not in two, two


def test_a_sources_rank_says_who_ranked_and_among_whom():
    """Guizhou's 全国最大 names the monitoring analysis of the seven ministries its source cites;
    Anhui's 16th is among children's hospitals (the source: 全国儿科医院第16位), not 同类医院."""
    gz = _page("guizhou", "zh", "key_messages")
    assert "据国家七部委联合发布的全国三级公立医院绩效考核国家监测分析（约2024年2月），贵州跨省流出住院患者下降幅度全国最大" in gz
    assert "7.9%" not in gz  # the national baseline is not the context of a province's own rank
    ah = _page("anhui", "zh", "key_messages")
    assert "居儿科医院第16位（2025年1月22日前后）" in ah and "同类医院" not in ah and "约2025年1月22日" not in ah
    assert "among children's hospitals" in _page("anhui", "en", "key_messages")


def test_hubei_leads_with_its_next_opening_and_its_hospitals_centres_elsewhere():
    """Hubei's newest fact (同济襄阳 91 %, aiming for April 2026) and its exporter role (同济山西,
    协和重庆) are key messages; its plain count, said by the key figure, is not one of its own."""
    one = _page("hubei", "zh", "key_messages")
    assert "同济医院襄阳医院基建工程总体进度已达91%（约2026年1月），据报道“力争2026年4月投入运营”" in one
    assert "湖北的医院还是2个外省国家区域医疗中心的输出医院：同济医院山西医院（山西）、武汉协和医院重庆医院（重庆）" in one
    assert "湖北共有国家区域医疗中心3个" not in one


def test_centres_only_on_a_list_are_named_and_the_list_is_not_called_built():
    one = _page("anhui", "zh", "key_messages")
    assert "2个（北京天坛医院安徽医院、浙大二院安徽医院）仅见于项目清单" in one
    assert "“已建成”清单" not in one


def test_an_exporters_inferred_general_centres_are_said_apart():
    one = _page("shanghai", "zh", "key_messages")
    assert "另有5个综合类中心，专科据输出医院推断" in one and "综合类5个" not in one
    assert "the other five are general centres, as inferred from their lead hospitals" in _page("shanghai", "en", "key_messages")
    beijing = _page("beijing", "en", "key_messages")  # general and inferred-specialist centres said apart
    assert "the other two are general centres" in beijing and "For 5 of the 40 specialist centres, too," in beijing


def test_national_spread_names_the_provinces_whose_centres_are_unnamed():
    """27 provinces known to have centres against 25 with a named one: the two are named."""
    b = briefing("national", "zh")
    f = next(f for f in summary.ranked(b) if f.key == "spread")
    unnamed = f.params["unnamed"]
    one = _page("national", "zh", "key_messages")
    if unnamed:
        assert f"其中{'和'.join(unnamed) if len(unnamed) == 2 else '、'.join(unnamed)}的中心未见名称" in one
    assert f.params["provinces_known"] - len(unnamed) == f.params["provinces_named"].value


@pytest.mark.parametrize("scope", ["national", "guizhou", "anhui"])
def test_page_one_does_not_point_to_the_annex_for_more_totals(scope):
    """'另有1项合计数见附录' belongs to the results section, not to the page a reader forwards;
    the results section still says it."""
    for lang, words in (("zh", "见附录"), ("en", "listed in the annex")):
        assert words not in _page(scope, lang, "key_messages")
    if scope == "guizhou":
        assert "项合计数见附录" in _page(scope, "zh", "performance")


def _ymd(text: str) -> tuple[int, int, int]:
    m = re.search(r"(\d{4})年(?:(\d{1,2})月)?(?:(\d{1,2})日)?", text)
    return tuple(int(g or 0) for g in m.groups())


@pytest.mark.parametrize("scope", ALL)
def test_page_one_window_lies_within_the_headers(scope):
    """The header's data window spans every date the briefing prints; page 1's currency line spans
    the key messages' dates, so it lies within it — Hubei's oldest, 2023年1月12日 (the list that
    names its centres), is the header's first date too, not earlier than it."""
    blocks = compose(scope, "zh")
    meta = [b.meta for _, b in blocks if getattr(b, "meta", None) and "as_of" in b.meta][-1]
    one = _page(scope, "zh", "key_messages")
    first = meta["as_of"].split("至")[0]
    m = re.search(r"最早为([^；，。]+)", one)
    if m:
        assert _ymd(m.group(1)) >= _ymd(first), (meta["as_of"], m.group(1))
    if scope == "hubei":
        assert m and first == m.group(1) == "2023年1月12日"


@pytest.mark.parametrize("scope", ["shanghai", "beijing"])
def test_page_one_dates_its_data_by_what_page_one_prints(scope):
    """The support message says two centres' figures on page 1 and all of them in its section: the
    currency line dates page 1 by the two (Shanghai's oldest is the list of 12 January 2023, not a
    2021 figure that only the section prints)."""
    one = _page(scope, "zh", "key_messages")
    oldest = re.search(r"最早为([^；，。]+)", one).group(1)
    body = one.split("。", 1)[1]
    assert oldest in body or scope == "shanghai" and oldest == "2023年1月12日", oldest
