"""The progress section: where each centre stands, in the sources' words and at the precision of
their dates; durations between two printed dates; the timeline readable (legend of at most four
entries); every kind of scope, in both languages.

The expected numbers and words are read here from the CSV files, independently of the package."""
from __future__ import annotations

import re

import pytest

from nrmc import charts, dates
import importlib

progress = importlib.import_module("nrmc.sections.progress")
annex = importlib.import_module("nrmc.sections.annex")  # the module (nrmc.sections.progress is its section function)
from sections_support import (SCOPES, briefing, printed_dates, reader_problems, row_dates, rows, section_html, slug_of,
                              source_words, visible_text)

ORDER = {"agreement": 0, "approved": 1, "plaque": 1, "listed": 1, "under_construction": 2, "built": 3, "trial": 4,
         "open": 5, "operating": 6}


def furthest(center_id: str) -> dict | None:
    """A centre's furthest stage in stages.csv (later date wins a tie), or None."""
    st = [r for r in rows("stages.csv") if r["center_id"] == center_id and r["stage"] in ORDER]
    return max(st, key=lambda r: (ORDER[r["stage"]], dates.sort_key(r["date"]))) if st else None


def named(code: str) -> list[dict]:
    return [c for c in rows("centers.csv") if c["province_code"] == code and c["status"] != "planned"]


CLASS = {"under_construction": "building"}  # the section's class of a furthest stage, where its name differs


def find(fs, name):
    return next((f for f in fs if f.name == name), None)


def counts(f) -> dict[str, int]:
    return {p["cls"]: p["n"].whole for p in f.params["parts"]}


# ---------------------------------------------------------------------------------------------
# where each centre stands
def test_anhui_three_open_one_in_transitional_operation_one_building_two_only_listed():
    # P333 (2023-06-28) reports the construction start of Beijing Anzhen Anhui (AH-05): one of the
    # three centres only on the 'built' list is now under construction
    expect: dict[str, int] = {}
    for c in named("340000"):
        st = CLASS.get(furthest(c["center_id"])["stage"], furthest(c["center_id"])["stage"])
        expect[st] = expect.get(st, 0) + 1
    assert expect == {"open": 3, "trial": 1, "building": 1, "listed": 2}
    for lang in ("zh", "en"):
        f = find(progress.findings(briefing("anhui", lang)), "where_now")
        assert counts(f) == expect
        trial = next(p for p in f.params["parts"] if p["cls"] == "trial")
        assert trial["words"] == (["过渡期运营"] if lang == "zh" else ["transitional operation"])
        opened = next(p for p in f.params["parts"] if p["cls"] == "open")["dates"]
        assert (opened["first"].text, opened["last"].text) == ("2023-02-02", "2023-08-28")


def test_guizhou_all_open_by_the_end_of_2023_at_the_sources_precision():
    assert {furthest(c["center_id"])["date"] for c in named("520000")} == {"2023-12"}
    for lang, by in (("zh", "不晚于2023年12月"), ("en", "by December 2023")):
        b = briefing("guizhou", lang)
        f = find(progress.findings(b), "where_now")
        assert counts(f) == {"open": 5}
        s = visible_text(str(progress.section(b).sentences[0]))
        assert by in s
        assert not re.search(r"2023年12月\d|\d+ December 2023", s), "never a day for a month"
    planned = find(progress.findings(briefing("guizhou", "zh")), "planned")
    assert [w.text for w in planned.params["projects"][0]["when"]] == ["2022-04", "2023-12"]


def test_national_openings_match_the_data():
    opened = [c for c in rows("centers.csv") if c["status"] != "planned" and (furthest(c["center_id"]) or {}).get("stage") in ("open", "operating")]
    b = briefing("national", "en")
    f = find(progress.findings(b), "openings")
    # the sources of P300+ report openings in Fujian, Guangdong, Sichuan, Guangxi (formal
    # operation), Shaanxi, Jiangsu and Gansu besides Anhui's 3 and Guizhou's 5
    # (FJ-02's 2018 opening was the hospital's, before the programme: no longer a centre stage)
    assert f.params["open"].whole == len(opened) == 18  # + XJ-01, in full use 2025-06-14 (P357); + SD-02, phase 1 of its central campus in use by 2024-06-07 (P362)
    provinces = {r["code"]: r["name_en"] for r in rows("provinces.csv")}
    by: dict[str, int] = {}
    for c in opened:
        by[provinces[c["province_code"]]] = by.get(provinces[c["province_code"]], 0) + 1
    assert {x["province"]: x["n"].whole for x in f.params["by"]} == by
    assert by["Anhui"] == 3 and by["Guizhou"] == 5
    s = visible_text(str(progress.section(b).sentences[0]))
    assert "3 in Anhui (2 February 2023 to 28 August 2023)" in s and "5 in Guizhou (by December 2023)" in s
    # Guizhou's openings are known only as "by December 2023": one may have come before Anhui's
    # first or after its last, so first and latest are said of the exactly dated openings only
    fl = find(progress.findings(b), "first_latest")
    assert fl.params["stated_only"] is True
    first = min((furthest(c["center_id"]) for c in opened if furthest(c["center_id"])["date_basis"] == "stated"),
                key=lambda r: dates.sort_key(r["date"]))
    assert first["center_id"] == "FJ-03" and first["date"] == "2020-12-25"
    assert "Among the openings the sources date exactly, the first was Shanghai Children's MC Fujian, on 25 December 2020" in \
        visible_text(str(progress.section(b).sentences[1]))
    assert find(progress.findings(briefing("anhui", "en")), "first_latest").params["stated_only"] is False


# ---------------------------------------------------------------------------------------------
# stage words as the sources have them
def _row_text(section_h: str, centre_name: str) -> str:
    for tr in re.findall(r"<tr>.*?</tr>", section_h, flags=re.S):
        if centre_name in visible_text(tr):
            return visible_text(tr)
    raise AssertionError(f"no table row for {centre_name}")


def _less_precise_twin(r: dict) -> bool:
    """A row only bounding ('by') an event that another source of the same centre and stage dates
    (JX-01 approved 'by' 2022-05-20 beside 2021-10): one event, printed at its precise date."""
    return r["date_basis"] == "not_after" and any(
        x is not r and x["center_id"] == r["center_id"] and x["stage"] == r["stage"] and x["date_basis"] == "stated"
        and dates.start(x["date"]) <= dates.end(r["date"]) for x in rows("stages.csv"))


def test_one_event_of_two_sources_is_printed_once_at_its_most_precise_date():
    # JX-01's approval: 2021-10 (P309) and 'by' 2022-05-20 (P310); Guizhou's: 'by 2023-07' (S05)
    # beside the month P352 and P323 state
    twins = [r for r in rows("stages.csv") if _less_precise_twin(r)]
    assert {(r["center_id"], r["stage"]) for r in twins} >= {("JX-01", "approved"), ("GZ-01", "approved"),
                                                            ("GZ-02", "approved"), ("GZ-05", "approved")}
    for scope, cid, shown, hidden in (("jiangxi", "JX-01", "2021年10月正式批复命名", "2022年5月20日"),
                                      ("guizhou", "GZ-01", "2022年10月获批", "不晚于2023年7月"),
                                      ("guizhou", "GZ-05", "2023年7月获批", "不晚于2023年7月")):
        b = briefing(scope, "zh")
        c = next(c for c in rows("centers.csv") if c["center_id"] == cid)
        row = _row_text(section_html(progress.section(b)), c["short_zh"])
        assert shown in row and hidden not in row, row
        assert sum(e.stage == "approved" for e in b.life[cid].events) == 1
    # a groundbreaking on a stated day and 'by' a later day (HB-02): the day is its date
    assert progress.standing(briefing("hubei", "zh"), briefing("hubei", "zh").centres)[1]["current"].date == "2024-02-28"


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_labelled_stage_is_printed_in_the_sources_words(lang):
    planned = {c["center_id"] for c in rows("centers.csv") if c["status"] == "planned"}  # not in the table
    labelled = [r for r in rows("stages.csv") if r["label_zh"] and not _less_precise_twin(r) and r["center_id"] not in planned]
    assert {r["center_id"] for r in labelled} >= {"AH-02", "AH-06", "AH-07"}
    centres = {c["center_id"]: c for c in rows("centers.csv")}
    printed: dict[str, str] = {}  # a scope's section, composed once for all its centres' rows (was once a row)
    for r in labelled:
        c = centres[r["center_id"]]
        words = r["label_zh"] if lang == "zh" else r["label_en"]
        name = c["short_zh"] if lang == "zh" else c["short_en"]
        scopes = [slug_of(c["province_code"])]  # nationally, the annex's table of centres (below)
        # the lead hospital's province shows the centres it leads elsewhere when it has none of its
        # own (Hubei now has HB-01..03, so its briefing is a host's, without Shanxi's SX-01)
        if briefing(slug_of(c["output_province_code"]), lang).role == "exporter":
            scopes.append(slug_of(c["output_province_code"]))
        for scope in scopes:
            if scope not in printed:
                printed[scope] = section_html(progress.section(briefing(scope, lang)))
            assert words in _row_text(printed[scope], name), (scope, r["center_id"], words)
        if "national" not in printed:
            nb = briefing("national", lang)
            printed["national"] = {x["name_zh"]: " ".join(x["stages"]) for x in annex.centres_full(nb)}
        assert words in printed["national"][c["name_zh"]], ("national annex", r["center_id"], words)


def test_trial_words_follow_the_quote_and_a_launch_is_not_called_trial_operation():
    h = section_html(progress.section(briefing("anhui", "zh")))
    assert "过渡期运营" in _row_text(h, "仁济医院安徽医院") and "试运行" not in _row_text(h, "仁济医院安徽医院")
    assert "2022年12月28日试运行" in _row_text(h, "复旦儿科安徽医院")
    shuguang = _row_text(h, "曙光医院安徽医院")
    assert "2023年1月11日正式启动运营" in shuguang and "2023年1月11日试运行" not in shuguang


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_an_expected_stage_is_printed_as_the_source_words_it_never_as_a_date(lang):
    exp = next(r for r in rows("stages.csv") if r["stage"] == "expected_open")
    c = next(c for c in rows("centers.csv") if c["center_id"] == exp["center_id"])
    for scope in ("anhui", "national", "shanghai"):
        b = briefing(scope, lang)
        s = progress.section(b)
        text = visible_text(section_html(s), keep_svg=False)
        words = exp["label_zh"] if lang == "zh" else exp["label_en"]
        assert words in text
        y, m = exp["date"].split("-")
        assert (f"{y}年{int(m)}月" if lang == "zh" else f"June {y}") not in text
        # where the expectation is said (its sentence, its centre's row), its year is never a date
        # (other centres' events of that year are: 2026-01-18 in Gansu)
        said = [visible_text(str(x)) for f, x in zip(s.findings, s.sentences) if f.key == f"expected_{exp['center_id']}"]
        # several expectations are said in one sentence (national, Shanghai), a clause each
        said += [clause for f, x in zip(s.findings, s.sentences) if f.key == "expected_all"
                 for clause in re.split(r"；|; |\. (?=[A-Z])", visible_text(str(x))) if words in clause]
        # its centre's row; where many centres expect an opening (national: ten) the sentence points to
        # the table of expected openings, and that table's row says it
        html = section_html(s)
        table = any(f.key == "expected_all" and f.params.get("table") for f in s.findings)
        if table:
            expected_rows = re.search(r'class="[^"]*progress-expected.*?</table>', html, flags=re.S).group(0)
            said.append(_row_text(expected_rows, c["short_zh"] if lang == "zh" else c["short_en"]))
        said.append(_row_text(html, c["short_zh"] if lang == "zh" else c["short_en"]))
        assert len(said) == 2
        for t in said:
            assert words in t
            assert (f"{y}年" not in t.replace(words, "")) if lang == "zh" else (y not in t.replace(words, "")), t


# ---------------------------------------------------------------------------------------------
# dates and durations
@pytest.mark.parametrize("scope", SCOPES)
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_no_date_is_more_precise_than_its_row(scope, lang):
    s = progress.section(briefing(scope, lang))
    text = visible_text(section_html(s), keep_svg=False)
    for w in source_words():
        text = text.replace(w, " ")
    for d in printed_dates(text, lang):
        assert d in row_dates(), f"{scope}: {d} is printed, but no row gives that date at that precision"
    b = briefing(scope, lang)
    for f in s.findings:
        for w in f.whens():
            assert dates.parse(w.text) is not None
            shown = b.d(w, record=False)
            assert printed_dates(shown, lang) in ([w.text], []), (w.text, shown)


@pytest.mark.parametrize("scope", ["anhui", "national", "shanghai"])
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_duration_is_counted_from_the_date_printed_beside_it(scope, lang):
    b = briefing(scope, lang)
    f = find(progress.findings(b), "first_latest")
    took = f.params["took"]
    start, stop = took["from"], took["to"]
    months = dates.months_between(dates.start(start.text), dates.start(stop.text))
    assert took["time"]["months"].value == months
    assert (took["time"]["years"].value, took["time"]["rest"]) == (months // 12, None)
    s = visible_text(str(progress.section(b).sentences[[x.name for x in progress.findings(b)].index("first_latest")]))
    assert b.d(start, record=False) in s and b.d(stop, record=False) in s
    # Fudan Children's Anhui: from its approval on 2 June 2020 to its opening, 3 years; counted
    # from its first operation (trial, 28 December 2022) it would read 5 months
    assert (start.text, stop.text, months) == ("2020-06-02", "2023-06-26", 36)
    assert ("用了3年" in s) if lang == "zh" else ("took 3 years from approval" in s)
    assert "5个月" not in s and "5 months" not in s
    life = b.life["AH-01"]
    assert life.first_operation.date != start.text, "the printed start is not the first operation"


# ---------------------------------------------------------------------------------------------
# the timeline
@pytest.mark.parametrize("scope", ["anhui", "national", "shanghai"])
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_timeline_legend_has_at_most_four_entries(scope, lang, monkeypatch):
    drawn = []
    real = charts.lifecycle

    def spy(rows_, **kw):
        ch = real(rows_, **kw)
        drawn.append((rows_, ch))
        return ch

    monkeypatch.setattr(charts, "lifecycle", spy)
    from nrmc.context import Briefing
    from sections_support import dataset

    s = progress.section(Briefing(scope, lang=lang, ds=dataset()))
    assert s.chart_html is not None and len(drawn) == 1
    rows_, ch = drawn[0]
    flat = lambda t: re.sub(r"[\s-]", "", t)  # noqa: E731  (labels wrap over lines)
    labels = {flat(r["label"]) for r in rows_}
    legend = [t for t in ch.texts if flat(t) not in labels and not t.isdigit()]
    assert 1 <= len(legend) <= 4, legend
    # centres drawn alike share a row: no two rows are the same drawing
    assert len({tuple(r["events"]) for r in rows_}) == len(rows_)


def test_no_timeline_where_every_centre_stands_at_the_same_place():
    # (Beijing's centres elsewhere no longer stand alike: the sources of P300+ report construction
    # and openings, so its briefing has a timeline)
    assert progress.section(briefing("beijing", "zh")).chart_html is not None
    # (Hubei's three stand apart now: one approved, two under construction, P303/P304)
    assert progress.section(briefing("hubei", "zh")).chart_html is not None
    for scope in ("guizhou", "henan", "tibet"):
        assert progress.section(briefing(scope, "zh")).chart_html is None, scope


# ---------------------------------------------------------------------------------------------
# words, every kind of scope
@pytest.mark.parametrize("scope", SCOPES)
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_sentences_in_both_languages_read_clean(scope, lang):
    s = progress.section(briefing(scope, lang))
    assert s.sentences, scope
    assert reader_problems(s, lang) == []
    for f in s.findings:
        assert f.check() == [], f.key
    if lang == "en":
        text = visible_text(section_html(s))
        for bad in ("By the sources", " 1 centres", "trial operation (opened)"):
            assert bad not in text, bad


def test_every_scope_has_findings_that_pass_their_check():
    from sections_support import slugs

    for slug in slugs():
        fs = progress.findings(briefing(slug, "zh"))
        assert fs, slug
        for f in fs:
            assert f.check() == [], (slug, f.key)


@pytest.mark.parametrize("scope", ["shanghai", "beijing", "anhui", "guizhou"])
def test_a_province_briefing_says_the_same_from_its_part_of_the_data(scope):
    # an exporter's briefing shows how far the centres its hospitals lead have got: their stages
    # must be in its part of the data (nrmc.inputs.scope_dataset)
    from nrmc.context import Briefing
    from sections_support import dataset

    # fresh briefings: a briefing numbers its sources in the order it cites them
    a = str(progress.section(Briefing(scope, lang="zh", ds=dataset())))
    b = str(progress.section(Briefing(scope, lang="zh", ds=dataset(), full=True)))
    assert a == b
    if scope == "shanghai":
        assert "已开诊" in a


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_several_expected_openings_are_one_finding_with_one_line_to_watch(lang):
    """The national overview listed ten expectations, each ending in the same line to watch; now
    they are one finding, and what to watch names the centres whose expected time passed with
    nothing reported since (of the ten: not Renji Anhui, expected in 2026; not Tongji Xiangyang,
    whose construction was reported in January 2026 for April 2026)."""
    b = briefing("national", lang)
    s = progress.section(b)
    keys = [f.key for f in s.findings]
    assert "expected_all" in keys and not any(k.startswith("expected_") and k != "expected_all" for k in keys)
    f = s.findings[keys.index("expected_all")]
    assert f.params["n"].value == len(f.params["centres"]) >= 2
    text = visible_text(str(s.sentences[keys.index("expected_all")]))
    watch = "值得关注" if lang == "zh" else "Worth watching"
    assert text.count(watch) == 1
    said = text[text.index(watch):]
    if f.params["table"]:  # the table marks them, one row each; the line to watch counts them
        assert str(len(f.params["overdue"])) in said
        table = re.search(r'class="[^"]*progress-expected.*?</table>', section_html(s), flags=re.S).group(0)
        passed = "时间已过" if lang == "zh" else "time passed"
        said = " ".join(visible_text(tr) for tr in re.findall(r"<tr>.*?</tr>", table, flags=re.S)
                        if passed in visible_text(tr))
    renji, xiangyang, xiamen = (("仁济医院安徽医院", "同济医院襄阳医院", "华西医院厦门医院") if lang == "zh"
                                else ("Renji Anhui", "Tongji Xiangyang", "West China Xiamen"))
    assert xiamen in said  # expected 2023-12-27, nothing since
    assert renji not in said and xiangyang not in said


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_many_expected_openings_are_a_table_one_row_each(lang):
    """Nationally ten centres have an expected opening: one row each (furthest stage, the source's
    words), those whose time has passed marked, instead of a paragraph of ten sentences (the English
    reader counted 'In a source's words: …' ten times in one paragraph)."""
    s = progress.section(briefing("national", lang))
    f = next(f for f in s.findings if f.key == "expected_all")
    assert f.params["table"] and f.params["n"].value >= progress.EXPECTED_TABLE_MIN
    html = section_html(s)
    table = re.search(r'class="[^"]*progress-expected.*?</table>', html, flags=re.S).group(0)
    body = re.findall(r"<tr>.*?</tr>", table.split("</thead>")[-1], flags=re.S)
    assert len(body) == f.params["n"].value
    passed = "时间已过" if lang == "zh" else "time passed"
    assert sum(passed in visible_text(tr) for tr in body) == len(f.params["overdue"]) > 0
    said = visible_text(str(s.sentences[s.findings.index(f)]))
    assert "In a source's words" not in said and "据报道" not in said
    # a province with fewer keeps its sentences (Shanghai-led centres, Anhui)
    for scope in ("anhui", "hubei"):
        fs = [x for x in progress.findings(briefing(scope, lang)) if x.key == "expected_all"]
        assert all(not x.params["table"] for x in fs)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_national_stage_table_is_one_line_per_furthest_stage_with_its_provinces(lang):
    """Nationally the table of stages is one line per furthest stage (how many centres, in which
    provinces), not one line a centre over three pages: its counts add up to the named centres,
    each stage's count and provinces agree with stages.csv, and it points to the annex's table of
    centres where each one is listed."""
    s = progress.section(briefing("national", lang))
    table = re.search(r'class="[^"]*progress-stages.*?</table>', section_html(s), flags=re.S).group(0)
    body = [visible_text(tr) for tr in re.findall(r"<tr>.*?</tr>", table.split("</thead>")[-1], flags=re.S)]
    recs = s.findings and progress.standing(briefing("national", lang), briefing("national", lang).ds.counted_centers)
    by: dict[str, list[dict]] = {}
    for r in recs:
        by.setdefault(r["cls"], []).append(r)
    assert len(body) == len(by) and len(by) >= 5
    n = re.compile(r"(\d+)\s*(?:个中心|centres?)")
    assert sum(int(n.search(tr).group(1)) for tr in body) == len(recs)
    open_row = next(tr for tr in body if (" opened " in f" {tr} " if lang == "en" else "开诊" in tr))
    assert int(n.search(open_row).group(1)) == len(by["open"])
    guizhou = sum(r["c"]["province_code"] == "520000" for r in by["open"])
    assert (f"贵州{guizhou}个" if lang == "zh" else f"Guizhou {guizhou}") in open_row
    note = visible_text(table.split("</table>")[0] + html_after(section_html(s), table))
    assert ("附录“中心”表" if lang == "zh" else "the annex's table of centres") in note


def html_after(html: str, part: str) -> str:
    """The HTML right after `part` (a table's note follows it)."""
    return html[html.index(part) + len(part):][:3000]
