"""Every state of the data the validator accepts composes a briefing (issue 21, point 4).

The red team found valid data that broke every build or one: all of a province's centres
`planned` (IndexError), milestones with their counts blanked (every briefing failed), and any
`--as-of` from 2019-11-30 to 2023-01-11 (`nrmc build national --as-of 2022-12`: ValueError, cannot
convert float NaN to integer). Briefings are composed in process through tests/compose.py.
"""
from __future__ import annotations

import csv
import re
import shutil
from datetime import date

import pytest

import nrmc
from compose import compose_html
from conftest import MINIMAL, RAW_MISSING, ROOT


def text_of(html: str) -> str:
    """What a reader sees outside the charts: no tags, styles, inline images or SVG (whose labels
    break names into lines: 'Hai nan'); the charts' own texts are checked by readable()."""
    html = re.sub(r"<style.*?</style>", " ", html, flags=re.S)
    html = re.sub(r"<svg.*?</svg>", " ", html, flags=re.S)
    html = re.sub(r'data:[a-z/+]+;base64,[^"]+', "", html)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


# a raw missing value, also right after a Chinese character ('具名nan'), where \b does not see a
# word boundary; not the 'nan' of Hainan, nor a map label split as 'Hai nan'
RAW = re.compile(r"(?<![A-Za-z])(?<![A-Za-z] )(?:nan|NaN|None|NaT)(?![A-Za-z])|<NA>|Traceback")


def readable(html: str) -> None:
    shown = text_of(html)
    for pattern in (RAW_MISSING, RAW):
        m = pattern.search(shown)
        assert not m, shown[max(0, m.start() - 200):][:300]
    assert len(shown) > 500
    for svg in re.findall(r"<svg.*?</svg>", html, flags=re.S):  # a chart's value never reads nan or None
        labels = " ".join(re.findall(r"<(?:text|title)[^>]*>([^<]*)</", svg))
        assert not RAW.search(labels), labels


def rewrite(path, change) -> None:
    with open(path, encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))
    header = rows[0]
    rows = [header] + [r for r in (change(header, r) for r in rows[1:]) if r is not None]
    with open(path, "w", encoding="utf-8", newline="") as f:
        csv.writer(f, lineterminator="\n").writerows(rows)


@pytest.fixture(scope="module")
def all_planned(tmp_path_factory):
    """The shipped data with every centre of Anhui (a stated total of 9) and of Ningxia (one named
    centre, no total) `planned`, their approval-and-later stages removed (a planned project has
    none): valid data."""
    d = tmp_path_factory.mktemp("planned") / "data"
    shutil.copytree(ROOT / "data", d)

    def plan(h, r):
        if r[0][:3] in ("AH-", "NX-"):
            r[h.index("status")] = "planned"
        return r
    rewrite(d / "centers.csv", plan)
    rewrite(d / "stages.csv", lambda h, r: None if r[0][:3] in ("AH-", "NX-") else r)
    nrmc.load(d)
    return d


@pytest.mark.parametrize("scope,lang", [("anhui", "zh"), ("anhui", "en"), ("ningxia", "en"), ("national", "zh"),
                                        ("national", "en")])
def test_a_province_whose_centres_are_all_planned_composes(all_planned, scope, lang):
    readable(compose_html(scope, lang, all_planned))


@pytest.fixture(scope="module", params=["shipped", "minimal"])
def no_totals(request, tmp_path_factory):
    """milestones.csv with every projects_total blanked: valid, and no official total anywhere."""
    d = tmp_path_factory.mktemp("no_totals") / "data"
    shutil.copytree(ROOT / "data" if request.param == "shipped" else MINIMAL, d)

    def blank(h, r):
        r[h.index("projects_total")] = ""
        return r
    rewrite(d / "milestones.csv", blank)
    nrmc.load(d)
    return d


@pytest.mark.parametrize("scope,lang", [("national", "en"), ("national", "zh"), ("anhui", "en"), ("guizhou", "zh")])
def test_milestones_without_totals_compose(no_totals, scope, lang):
    html = compose_html(scope, lang, no_totals)
    readable(html)
    if scope == "national":
        assert ("give no official national total" if lang == "en" else "来源未给出全国官方总数") in text_of(html)


def as_of_dates() -> list[str]:
    """One as-of date in each year from the first dated fact (2019-11-30) to today: the end of
    each past year, today in this one."""
    today = date.today()
    return [f"{y}-12-31" for y in range(2019, today.year)] + [today.isoformat()]


@pytest.mark.parametrize("as_of", as_of_dates())
def test_national_and_two_provinces_compose_at_an_as_of_in_every_year(as_of):
    """`--as-of 2022-12` on the shipped data failed for every date from 2019-11-30 to 2023-01-11
    (no province had a number yet). Both languages take turns over the years."""
    lang = "zh" if int(as_of[:4]) % 2 else "en"
    for scope in ("national", "anhui", "guizhou"):
        readable(compose_html(scope, lang, ROOT / "data", as_of=as_of))


def test_the_cli_accepts_those_as_of_dates():
    """The as-of dates above are ones the command line accepts (not before the first fact)."""
    from nrmc.checks import preflight

    for as_of in as_of_dates():
        preflight(ROOT / "data", ("html",), as_of=as_of)
