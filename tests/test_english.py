"""The English edition is English (issue 11), checked in process on briefings unlike each other:
a province with a stated total, one with flagged figures, a batch-5 province with a provincial
programme, one with nothing in the sources, an exporter, and the national overview. The built
HTML and PDF of all 32 are checked the same way in the end-to-end tests."""
from __future__ import annotations

import pytest

from nrmc.briefing import NationalBriefing, ProvinceBriefing
from nrmc.labels import fmt_value
from english import english_problems

SCOPES = ["anhui", "guizhou", "hubei", "tibet", "shanghai", "beijing", "national"]


@pytest.mark.parametrize("scope", SCOPES)
def test_english_briefing_has_no_chinese_outside_glosses_and_no_plumbing(scope):
    b = NationalBriefing(lang="en") if scope == "national" else ProvinceBriefing(scope, lang="en")
    html = b._repr_html_()
    problems = english_problems(html)
    assert not problems, problems[:8]


def test_checker_finds_what_it_must():
    bad = ('<div lang="en"><p>Hefei 合肥</p><p>3.5 ×10,000 cases</p><p>see centers.csv</p><p>source S01</p>'
           '<p>Children\'s Hospital of Fudan Universit…</p><span lang="zh-CN">复旦</span></div>')
    problems = english_problems(bad)
    assert len(problems) == 5, problems
    assert not english_problems('<p>Fudan <span lang="zh-CN" class="gloss">复旦大学</span></p>')


@pytest.mark.parametrize("value,unit,qualifier,expected", [
    (3.5, "万例", "more_than", "over 35,000 cases"),
    (29063, "万人次", "", "290.63 million visits"),
    (141.33, "万人次", "more_than", "over 1.4133 million visits"),
    (50, "项", "more_than", "over 50 items"),
    (2000, "例", "nearly", "nearly 2,000 cases"),
    (16, "位", "", "16th"),
    (240.37, "%", "", "240.37%"),
])
def test_english_numbers_and_units(value, unit, qualifier, expected):
    assert fmt_value(value, unit, qualifier, "en") == expected


@pytest.mark.parametrize("slug", ["liaoning", "gansu", "ningxia", "qinghai", "sichuan", "chongqing", "jiangsu", "shandong"])
def test_english_counts_of_one_take_the_singular(slug):
    # provinces with one named centre, one exported centre or one output hospital
    import re
    from nrmc.briefing import ProvinceBriefing
    html = ProvinceBriefing(slug, lang="en")._repr_html_()
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", re.sub(r"<style.*?</style>", " ", html, flags=re.S)))
    bad = re.search(r"(?<![\d.,])1 (centres|provinces|hospitals|named centres|other provinces|output hospitals|are led)\b|\b1 of the 1\b"
                    r"|\b1 centres'|The 1 ", text)
    assert not bad, text[max(0, bad.start() - 80):bad.end() + 40]
