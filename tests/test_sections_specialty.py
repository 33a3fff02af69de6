"""The specialty section: the honest count of planned specialties (issue 18, point 6), the rest
shown apart, the mix against the nation, and what every kind of scope gets, in both languages.

The expected numbers are worked out here from the CSV files, independently of the package."""
from __future__ import annotations

import re
import math

import pytest

from nrmc import charts
import importlib

specialty = importlib.import_module("nrmc.sections.specialty")  # the module (nrmc.sections.specialty is its section function)
from sections_support import SCOPES, briefing, reader_problems, rows, section_html, slugs, visible_text


def planned_codes() -> list[str]:
    sp = sorted(rows("specialties.csv"), key=lambda r: int(r["sort_order"]))
    return [r["code"] for r in sp if r["plan_target"] == "true" or r["category"] == "tcm"]


def centres_of(code: str | None) -> list[dict]:
    return [c for c in rows("centers.csv") if c["status"] != "planned" and (code is None or c["province_code"] == code)]


def honest(code: str | None) -> set[str]:
    """Planned specialties that a named centre has as its own specialty, stated by a source."""
    return {c["specialty"] for c in centres_of(code) if c["specialty_basis"] == "stated" and c["specialty"] in planned_codes()}


def naive(code: str) -> set[str]:
    """What '8/13 规划重点专科有中心' counted: own specialties stated or inferred, stated focuses, and a
    source's count of unnamed centres."""
    plan = set(planned_codes())
    out = {c["specialty"] for c in centres_of(code)} & plan
    out |= {f for c in centres_of(code) for f in c["focus_specialties"].split(";") if f} & plan
    out |= {m["breakdown"].split("=")[1] for m in rows("metrics.csv")
            if m["subject_id"] == code and m["metric"] == "nrmc_count" and m["breakdown"].startswith("specialty=")} & plan
    return out


def find(fs, name):
    return next((f for f in fs if f.name == name), None)


# ---------------------------------------------------------------------------------------------
# the honest count
def test_guizhou_counts_only_stated_specialties_of_named_centres():
    assert len(planned_codes()) == 13
    assert naive("520000") == {"pediatrics", "trauma", "tcm", "oncology", "neurology", "cardiovascular", "respiratory",
                               "orthopedics"}, "the 8 of '8/13' (the data changed: update this test)"
    # P001 (中国中医药报) states Guangdong TCM Guizhou's (GZ-04) specialty: TCM now counts
    assert honest("520000") == {"pediatrics", "trauma", "tcm"}
    for lang in ("zh", "en"):
        b = briefing("guizhou", lang)
        f = find(specialty.findings(b), "present")
        assert f.params["present"].value == 3 and f.params["planned"].value == 13
        assert f.params["present_names"] == [specialty.spec_name(b, c) for c in ("pediatrics", "trauma", "tcm")]
        # a stated focus is shown apart, never in the headline number
        assert f.params["inferred_names"] == []
        assert f.params["focus_names"] == [specialty.spec_name(b, c) for c in
                                           ("oncology", "neurology", "cardiovascular", "respiratory", "orthopedics")]
        s = visible_text(str(specialty.section(b).sentences[0]))
        if lang == "zh":
            # the plan's 12 key specialties, TCM apart; the centres whose stated focus is not counted are named
            assert "贵州已有中心的重点专科为儿科和创伤，占规划12个重点专科中的2个；另有中医中心" in s and "不计入的有：" in s
            assert "积水潭医院贵州医院以骨科为重点" in s and "含中医" not in s
        else:
            # as the Chinese says it: 2 of the plan's 12 key specialties, TCM apart, each focus with its centre
            assert ("Guizhou has centres in 2 of the plan's 12 key specialties: paediatrics and trauma; traditional "
                    "Chinese medicine, which the plan lists separately, also has a centre there" in s and "Not counted:" in s)
            # the centre's name is spelled out if this is its first use in the briefing
            assert re.search(r"orthopaedics, a stated focus of (?:Beijing Jishuitan Hospital, Guizhou Hospital \()?"
                             r"Jishuitan Guizhou", s) and "13" not in s
        assert "8" not in s.split("。")[0].split(". ")[0]


def test_anhui_keeps_a_sources_unnamed_count_and_a_focus_apart():
    # P333 states Beijing Anzhen Anhui's (AH-05) specialty: cardiovascular now counts
    assert honest("340000") == {"cardiovascular", "pediatrics", "trauma", "tcm"}
    b = briefing("anhui", "zh")
    f = find(specialty.findings(b), "present")
    assert f.params["present"].value == 4
    assert f.params["inferred_names"] == ["神经"]
    assert f.params["focus_names"] == ["骨科"]
    assert [u["spec"] for u in f.params["unnamed"]] == ["肿瘤", "精神"]
    frame = specialty.checklist_frame(b, b._cache["specialty_checklist"])
    assert frame.loc[frame["counted"], "code"].tolist() == ["cardiovascular", "pediatrics", "trauma", "tcm"]
    kinds = dict(zip(frame["code"], frame["kind"]))
    assert kinds["neurology"] == "inferred" and kinds["orthopedics"] == "focus" and kinds["oncology"] == "unnamed"
    assert frame.set_index("code").loc["neurology", "unnamed_count"] == 1  # S01 counts one; shown, not added


def test_a_province_with_no_stated_specialty_says_so():
    # Henan's specialties are stated by P004, P043 and the project's own name (复旦大学附属妇产科医院河南医院)
    # now (9 of 13); Liaoning's one centre (its name flagged doubtful) still has only a specialty inferred
    # from its lead hospital (Heilongjiang's children's and TCM projects are stated by name and by P001 now)
    assert len(honest("410000")) == 9
    assert honest("210000") == set()
    inferred = {c["specialty"] for c in centres_of("210000")} & set(planned_codes())
    assert len(inferred) == 1
    b = briefing("liaoning", "en")
    f = find(specialty.findings(b), "present")
    assert f.params["present"] is None and f.params["inferred"].value == len(inferred)
    s = visible_text(str(specialty.section(b).sentences[0]))
    assert "none of the plan's 12 key specialties, nor traditional Chinese medicine, is confirmed there" in s
    assert "the one named centre would cover oncology" in s


@pytest.mark.parametrize("slug", slugs())
def test_every_host_headline_is_the_honest_count(slug):
    code = next(r["code"] for r in rows("provinces.csv") if r["slug"] == slug)
    b = briefing(slug, "zh")
    fs = specialty.findings(b)
    for f in fs:
        assert f.check() == [], f.key
    f = find(fs, "present")
    if b.role != "host":
        assert f is None
        return
    got = f.params["present"].value if f.params["present"] else 0
    assert got == len(honest(code)), (slug, honest(code))
    assert set(f.params["present_names"]) == {specialty.spec_name(b, c) for c in honest(code)}
    # the table counts exactly those, and lists the 13 in the plan's order in every briefing
    items = b._cache["specialty_checklist"]
    assert [it["code"] for it in items] == planned_codes()
    assert {it["code"] for it in items if it["stated"]} == honest(code)


def test_national_counts_three_and_names_the_gaps():
    # the sources of P004, P043 and P300+, and the projects' own names (…妇产科医院河南医院, 北京大学口腔医院三亚分院),
    # state 10 planned specialties of named centres
    assert honest(None) == {"oncology", "neurology", "cardiovascular", "pediatrics", "respiratory", "trauma",
                            "obstetrics_gynecology", "stomatology", "mental_health", "tcm"}
    plan = set(planned_codes())
    anywhere = {c["specialty"] for c in centres_of(None)}
    assert plan - anywhere == {"orthopedics", "infectious", "ophthalmology"}
    inferred = (anywhere & plan) - honest(None)
    focus = {code: sum(code in c["focus_specialties"].split(";") for c in centres_of(None)) for code in plan - anywhere}
    assert focus == {"orthopedics": 3, "infectious": 1, "ophthalmology": 0}
    b = briefing("national", "en")
    fs = specialty.findings(b)
    present = find(fs, "national_present").params
    assert present["present"].value == 10 and len(inferred) == 0 and not (present["inferred"] and present["inferred"].value)
    gaps = find(fs, "national_gaps")
    assert gaps.watch and gaps.params["empty"] == ["ophthalmology"]
    assert [(x["spec"], x["n"].value) for x in gaps.params["focus"]] == [("orthopaedics", 3), ("infectious diseases", 1)]
    mix = find(fs, "national_mix").params
    assert mix["named"].value == len(centres_of(None))
    assert mix["stated"].value == sum(c["specialty_basis"] == "stated" for c in centres_of(None))
    top = sorted({c["specialty"] for c in centres_of(None)}, key=lambda s: -sum(c["specialty"] == s for c in centres_of(None)))[0]
    assert mix["leaders"][0]["code"] == top
    s = visible_text(section_html(specialty.section(b)))
    assert "Worth watching (this briefing's reading)" in s


def test_exporters_get_the_specialties_their_hospitals_support():
    for slug, code in (("shanghai", "310000"), ("beijing", "110000")):
        led = [c for c in centres_of(None) if c["output_province_code"] == code and c["province_code"] != code]
        b = briefing(slug, "zh")
        f = find(specialty.findings(b), "exported")
        assert f.params["n"].value == len(led)
        assert f.params["stated"].value == sum(c["specialty_basis"] == "stated" for c in led)
        assert f.check() == []


def test_mix_is_said_only_over_enough_centres():
    for slug in slugs():
        b = briefing(slug, "zh")
        if find(specialty.findings(b), "mix") is not None:
            assert len(b.centres) >= specialty.MIX_MIN, slug
    anhui = find(specialty.findings(briefing("anhui", "zh")), "mix").params
    assert anhui["lean"] == "specialist" and anhui["stated"]["specialist"].value == 8 and anhui["stated"]["general"].value == 1


# ---------------------------------------------------------------------------------------------
# charts: one question, never bars that are all equal
def test_no_chart_has_bars_that_are_all_equal(monkeypatch):
    drawn = []
    real = charts.hbar

    def spy(labels, values, **kw):
        drawn.append([v for v in values if not (isinstance(v, float) and math.isnan(v))])
        return real(labels, values, **kw)

    monkeypatch.setattr(charts, "hbar", spy)
    from nrmc.context import Briefing
    from sections_support import dataset

    for scope in ("national", "shanghai", "beijing", "anhui", "guizhou"):
        specialty.section(Briefing(scope, lang="en", ds=dataset()))
    assert len(drawn) == 3  # national, shanghai, beijing; the hosts get the checklist
    for values in drawn:
        assert len(set(values)) > 1, values
    # an exporter whose centres would each be a bar of 1 gets no chart
    b = Briefing("shanghai", lang="en", ds=dataset())
    ex = b.exported
    b.__dict__["exported"] = ex.drop_duplicates("specialty").head(4)
    s = specialty.section(b)
    assert s.chart_html is None and len(drawn) == 3 and len(s.data) == 4


def test_every_host_gets_the_same_checklist_and_no_table_of_dashes():
    for slug in ("anhui", "guizhou", "henan", "guangxi"):
        s = specialty.section(briefing(slug, "en"))
        if slug == "guangxi":  # its two centres are outside the plan: the sentence says so, no table
            assert s.table_html is None and s.chart_html is None
            continue
        assert s.table_html is not None and s.chart_html is None
        assert list(s.data["code"]) == planned_codes()
        assert "Planned specialty" in str(s.table_html)


# ---------------------------------------------------------------------------------------------
# words
@pytest.mark.parametrize("scope", SCOPES)
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_sentences_in_both_languages_read_clean(scope, lang):
    s = specialty.section(briefing(scope, lang))
    assert s.sentences, scope
    assert reader_problems(s, lang) == []
    for f in s.findings:
        assert f.check() == [], f.key
    text = visible_text(section_html(s))
    if lang == "en":
        for bad in ("Pediatrics", "pediatrics", "Orthopedics", "gynecology", " 1 centres", "By the sources"):
            assert bad not in text, bad


@pytest.mark.parametrize("scope", ["anhui", "shanghai", "beijing", "hubei"])
def test_a_province_briefing_says_the_same_from_its_part_of_the_data(scope):
    from nrmc.context import Briefing
    from sections_support import dataset

    # fresh briefings: a briefing numbers its sources in the order it cites them
    a = str(specialty.section(Briefing(scope, lang="zh", ds=dataset())))
    b = str(specialty.section(Briefing(scope, lang="zh", ds=dataset(), full=True)))
    assert a == b


def test_hubei_names_the_centres_whose_stated_focus_is_not_counted_on_both_pages():
    """Page 1 and page 2 agree: no centre's own specialty is stated, and the two centres with a
    stated focus (Xiangyang: women and children; Xianning: heart, brain, trauma) are named."""
    from briefing_texts import compose, running_text

    blocks = compose("hubei", "zh")
    one = running_text([x for x in blocks if x[0] == "key_messages"])
    two = running_text([x for x in blocks if x[0] == "page_two"])
    assert "规划的12个重点专科和中医中，尚无一个能确认已有中心" in one
    assert "同济医院咸宁医院以神经、心血管和创伤为重点" in one and "同济医院襄阳医院以儿科和妇产为重点" in one
    assert "个其他专科中心所述的重点方向" not in one and "均未写明专科" not in one
    assert "同济医院襄阳医院和同济医院咸宁医院另有所述的重点方向" in two
