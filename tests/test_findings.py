"""Findings first (issue 18): every sentence of pages 1–2 is a finding resting on evidence; page 1
leads with 3–5 key messages; one national benchmark; numbers and dates as precise as their source.
All 32 scopes in both languages run in the fast suite: each briefing is composed once per test
process (tests/briefings.py) and shared with the other modules that read it (test_page_one_wording
reads every one of them already), so the checks here add little to the composition they share."""
from __future__ import annotations

import re

import pytest

from briefings import ALL, LANGS, UNUSUAL, composed
from nrmc import i18n
from nrmc.sections import summary
from nrmc.sections.base import plain_text
from nrmc.sections.text import claim, context

FAST = [pytest.param(s, lg, id=f"{s}-{lg}") for s in UNUSUAL for lg in LANGS]
FULL = [pytest.param(s, lg, id=f"{s}-{lg}") for s in ALL if s not in UNUSUAL for lg in LANGS]
EVERY = FAST + FULL
NUMBER = re.compile(r"(?<![\w.])\d[\d,]*(?:\.\d+)?")


def _findings(scope, lang):
    b, _ = composed(scope, lang)
    return b, summary.ranked(b)


@pytest.mark.parametrize("scope,lang", EVERY)
def test_every_finding_rests_on_its_evidence(scope, lang):
    b, fs = _findings(scope, lang)
    assert fs, "a briefing always has something to say"
    problems = [p for f in fs for p in f.check()]
    assert not problems, problems


def _allowed(b, f) -> set[str]:
    """The numbers a finding may print: its numbers as printed, the parts of its dates and of its
    rows' periods as published ('2023/2024', 'first_6_months'), and the whole numbers among its
    parameters (counts computed from its rows)."""
    out = set()
    for n in f.numbers():
        out.update(x.replace(",", "") for x in NUMBER.findall(b.fig(n)))
        out.add(str(n.whole))
    for w in f.whens():
        out.update(str(int(x)) for x in re.findall(r"\d+", w.text))
    for r in f.evidence():
        out.update(str(int(x)) for x in re.findall(r"\d+", r.date or ""))
        out.update(str(int(x)) for x in re.findall(r"\d+", r.period or ""))
        if r.kind == "stage":  # a stage in the source's own words ('Phase 2 expected in use by the end of 2025')
            st = b.ds.stages
            own = st[(st["center_id"] == r.subject) & (st["date"] == r.date)]
            for label in own["label_en" if b.lang == "en" else "label_zh"]:
                out.update(str(int(x)) for x in re.findall(r"\d+", label or ""))

    def walk(v):
        if isinstance(v, bool):
            return
        if isinstance(v, int):
            out.add(str(v))
        elif isinstance(v, dict):
            for x in v.values():
                walk(x)
        elif isinstance(v, (list, tuple)):
            for x in v:
                walk(x)
    walk(f.params)
    return out


@pytest.mark.parametrize("scope,lang", EVERY)
def test_every_number_a_finding_prints_comes_from_its_evidence(scope, lang):
    b, fs = _findings(scope, lang)
    bad = []
    for f in fs:
        text = plain_text(str(claim(b, f)) + " " + str(context(b, f)))
        text = re.sub(r"\d{4}年末|end of \d{4}", "", text)  # the population's year (a parameter)
        text = text.replace("per 10 million", "per ten million")  # a unit, not a figure
        allowed = _allowed(b, f)
        for m in NUMBER.findall(text):
            if m.replace(",", "") not in allowed:
                bad.append((f.key, m, text))
    assert not bad, bad


@pytest.mark.parametrize("scope,lang", EVERY)
def test_page_one_leads_with_three_to_five_key_messages(scope, lang):
    b, html = composed(scope, lang)
    page1 = html.split('class="page summary summary-1"', 1)[1].split("</section>", 1)[0]
    n = page1.count('<li id="km-')
    low = 2 if b.role == "unknown" else 3
    assert low <= n <= 5, n
    # the sources' own headline claims come first
    ms = summary.key_messages(b)
    heads = [f.headline for f in ms]
    assert heads == sorted(heads, reverse=True)


@pytest.mark.parametrize("scope,lang", FAST)
def test_one_national_benchmark_everywhere(scope, lang):
    from nrmc.sections import summary as s

    b, _ = composed(scope, lang)
    nat, _ = composed("national", lang)
    bench = s.theme("coverage").benchmark(b)["official"]
    ref = s.theme("coverage").benchmark(nat)["official"]
    assert b.fig(bench) == nat.fig(ref)
    per = [f for f in s.theme("coverage").findings(b) if f.name == "per_head"]
    for f in per:  # the province is compared with that one figure, whatever its own basis
        assert f.params["bench"].value == ref.value


@pytest.mark.parametrize("scope", UNUSUAL)
def test_the_word_source_at_most_eight_times_on_pages_one_and_two(scope):
    b, html = composed(scope, "zh")
    summary_part = html.split('class="nrmc-part nrmc-analysis"', 1)[0]
    text = plain_text(summary_part)
    assert text.count("来源") <= 8, text.count("来源")


def test_dates_print_at_their_own_precision():
    assert i18n.date("2024", "zh") == "2024年" and i18n.date("2024-08", "zh") == "2024年8月"
    assert i18n.date("2024-08", "en") == "August 2024" and i18n.date("2024-08-31", "en") == "31 August 2024"
    assert i18n.qualified_date("2025-11-30", "not_before", "zh") == "不早于2025年11月30日"


def test_a_section_shows_its_plain_text_unless_a_display_excludes_it(ds):
    """A kernel's display gets text/plain (what a terminal or a plain notebook viewer shows); the
    composed report reads only the HTML, and asks for no plain text (a tenth of composing)."""
    from nrmc.assemble import compose_html, notebook_of, parts
    from nrmc.context import Briefing
    from nrmc.sections import compose

    shown = compose(Briefing("hubei", ds=ds))
    full = notebook_of(shown)
    lean = notebook_of(shown, html_only=True)
    assert all("text/plain" in o["data"] for o in full.cells[0].outputs)
    assert not any("text/plain" in o["data"] for o in lean.cells[0].outputs)
    assert any("湖北" in o["data"]["text/plain"] for o in full.cells[0].outputs)
    assert parts(full) == parts(lean)
    assert compose_html(Briefing("hubei", ds=ds)) == "".join(parts(full))
