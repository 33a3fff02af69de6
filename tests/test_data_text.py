"""Data text is never interpreted: math ($…$), format fields ({0}, %s), markup (<b>) and regex
syntax in any free-text cell come out of `nrmc.load()` exactly as written.

Where data text goes further (charts, HTML, PDF), the renderers must keep treating it as text; the
chart test at the end guards the one known hazard (matplotlib's mathtext).
"""
from __future__ import annotations

import csv
import shutil

import pytest

import nrmc
from nrmc.data import TABLES
from conftest import MINIMAL

# Everything a formatter, a template, matplotlib or a regex would act on (no comma, no quote: the
# CSV quoting is tested elsewhere).
PAYLOAD = r"$\foo$ {0} {x!r} %s %(x)d <b>b</b> &amp; \1 $x^2$ [a-z]+ ${}"
# hospital names are keys that centers.csv refers to: changed together, and only where non-empty
KEYS = {("hospitals", "name_zh"), ("centers", "output_hospital_zh"), ("centers", "host_hospital_zh"),
        ("centers", "host_hospital_zh_corrected")}
# an empty cell that must stay empty: a city needs its basis
KEEP_EMPTY = {("centers", "city_zh")}
# the names a province is looked up by must each name one province and stay short enough to type
# (`nrmc build NAME`): they get a short payload of their own, different on every line
NAME_FORMS = {("provinces", c) for c in ("name_zh", "name_zh_short", "abbr_zh", "abbr_zh_alt", "name_en", "aliases")}


def short_payload(line: int) -> str:
    return rf"$\f$ {{0}} %s <b>{line}</b>"


# units are a vocabulary (a figure's unit must be its metric's, and each unit has a sanity bound)
UNITS = {("metrics", "unit"), ("metric_definitions", "unit")}


def free_text_columns(table: str) -> list[str]:
    return [c for c, col in TABLES[table].items() if col.kind == "str" and (table, c) not in UNITS]


@pytest.fixture
def hostile_text(tmp_path):
    """data_minimal with PAYLOAD appended to (or filling) every free-text cell; returns the directory
    and the expected text of every changed cell: {(table, line, column): text}."""
    d = tmp_path / "data"
    shutil.copytree(MINIMAL, d)
    expected = {}
    for table in TABLES:
        path = d / f"{table}.csv"
        with open(path, encoding="utf-8", newline="") as f:
            rows = list(csv.reader(f))
        header = rows[0]
        for col in free_text_columns(table):
            j = header.index(col)
            for line, row in enumerate(rows[1:], start=2):
                if row[j] == "" and ((table, col) in KEYS or (table, col) in KEEP_EMPTY):
                    continue
                payload = short_payload(line) if (table, col) in NAME_FORMS else PAYLOAD
                row[j] = f"{row[j]} {payload}" if row[j] else payload
                expected[(table, line, col)] = row[j]
        with open(path, "w", encoding="utf-8", newline="") as f:
            csv.writer(f, lineterminator="\n").writerows(rows)
    return d, expected


def test_free_text_is_kept_verbatim(hostile_text):
    d, expected = hostile_text
    ds = nrmc.load(d)
    got = {}
    for (table, line, col) in expected:
        df = getattr(ds, table)
        got[(table, line, col)] = df.loc[df["_line"] == line, col].item()
    assert got == expected
    # every table with free text took part, and every free-text column of the centres
    assert {t for t, _, _ in expected} == {t for t in TABLES if free_text_columns(t)}
    assert {c for t, _, c in expected if t == "centers"} >= {"name_zh", "name_en", "short_zh", "city_zh", "note",
                                                             "output_hospital_zh", "host_hospital_zh"}


def test_free_text_reaches_the_derived_helpers_verbatim(hostile_text):
    d, _ = hostile_text
    ds = nrmc.load(d)
    label = ds.source_label("S01")
    assert PAYLOAD in label and "{0}" in label and "%s" in label
    line = int(ds.provinces.loc[ds.provinces["code"] == "340000", "_line"].item())
    assert ds.province("340000")["name_zh"] == f"安徽省 {short_payload(line)}"


def test_chart_draws_data_text_as_text():
    """A centre name holding $\\foo$ broke the build: matplotlib parsed it as mathtext. Data text is
    drawn as it is written, and escaped in the SVG."""
    from nrmc import charts

    chart = charts.hbar([r"$\foo$ 医院", "{0} %s <b>"], [1, 2], value_texts=[r"$x^2$", "2"], xlabel=r"$\foo$")
    assert r"$\foo$ 医院" in chart.texts and "$x^2$" in chart.texts and "{0} %s <b>" in chart.texts
    assert r"$\foo$" in chart.svg and "&lt;b&gt;" in chart.svg and "<b>" not in chart.svg
