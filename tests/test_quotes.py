"""Values agree with their quotes (issue 22, point 3): `nrmc validate` reads the numbers a quote
prints and refuses a value or qualifier that is not among them, unless quote_mismatch_reason says
why."""
from __future__ import annotations

import csv
import shutil

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

import nrmc
from conftest import ROOT
from nrmc.cli import main as cli_main
from nrmc.data import DataValidationError
from nrmc.quotes import chinese_numeral, mismatch, numbers_in


def problems(path):
    try:
        nrmc.load(path)
    except DataValidationError as err:
        return err.problems
    return []


def edit_row(data, match: dict, **cells) -> int:
    """Set `cells` in the metrics.csv row matching `match`; returns its line (header = 1)."""
    path = data / "metrics.csv"
    with open(path, encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))
    head = rows[0]
    hits = [i for i, r in enumerate(rows[1:], start=1) if all(r[head.index(k)] == v for k, v in match.items())]
    assert len(hits) == 1, hits
    for k, v in cells.items():
        rows[hits[0]][head.index(k)] = v
    with open(path, "w", encoding="utf-8", newline="") as f:
        csv.writer(f, lineterminator="\n").writerows(rows)
    return hits[0] + 1


@pytest.fixture
def real_copy(tmp_path):
    d = tmp_path / "data"
    shutil.copytree(ROOT / "data", d, ignore=shutil.ignore_patterns("*.md", "*.json"))
    return d


# -- the red team's case and its kin, on the real data ------------------------------------------------
def test_value_edited_away_from_its_quote_is_refused(real_copy):
    """AH-06's 205 new technologies edited to 210 while the quote still reads 205: refused, naming the
    file, the line, the column and the quote's number; `nrmc validate` exits 1."""
    line = edit_row(real_copy, {"subject_id": "AH-06", "metric": "new_technologies"}, value="210")
    probs = problems(real_copy)
    assert [(p.file, p.line, p.column) for p in probs] == [("metrics.csv", line, "value")]
    assert "210 项 is not a number the quote prints" in probs[0].reason and "“205项” = 205" in probs[0].reason
    r = CliRunner().invoke(cli_main, ["validate", "--data", str(real_copy)])
    assert r.exit_code == 1 and f"metrics.csv, line {line}, column 'value'" in r.output and "205" in r.output


def test_a_reason_lets_a_differing_value_through(real_copy):
    edit_row(real_copy, {"subject_id": "AH-06", "metric": "new_technologies"}, value="210",
             quote_mismatch_reason="corrected: the source's own table gives 210 (test)")
    assert problems(real_copy) == []


def test_a_qualifier_dropped_from_its_quote_is_refused(real_copy):
    """平移了50余项: 'more than 50'; the row saying exactly 50 is refused on its qualifier column."""
    line = edit_row(real_copy, {"subject_id": "AH-02", "metric": "transferred_technologies"}, qualifier="")
    probs = problems(real_copy)
    assert [(p.line, p.column) for p in probs] == [(line, "qualifier")]
    assert "“50余项” = 50 more_than" in probs[0].reason and "'more_than'" in probs[0].reason


def test_a_qualifier_the_quote_does_not_print_is_refused(real_copy):
    line = edit_row(real_copy, {"subject_id": "AH-06", "metric": "new_technologies"}, qualifier="about")
    assert [(p.line, p.column) for p in problems(real_copy)] == [(line, "qualifier")]


def test_a_value_in_wan_is_compared_in_its_base_unit(real_copy):
    """3.81万例 stored as 38100 例 agrees; 38100 万例 does not (a unit slip of 10,000)."""
    match = {"subject_id": "520000", "metric": "surgeries_level3"}
    edit_row(real_copy, match, value="38100", unit="例")
    assert problems(real_copy) == []
    line = edit_row(real_copy, match, value="38100", unit="万例")
    assert [(p.line, p.column) for p in problems(real_copy)] == [(line, "value")]


def test_every_shipped_figure_agrees_with_its_quote_or_says_why(ds):
    """The shipped data passes (it loaded), and a quote_mismatch_reason is there only where the
    value really differs from what the quote prints: a stale reason would hide the next edit."""
    m = ds.metrics
    stale = [(r["_line"], r["quote"]) for r in m[m["quote_mismatch_reason"] != ""].to_dict("records")
             if mismatch(r["value"], r["unit"], r["qualifier"], r["quote"]) is None]
    assert stale == []
    assert (m["quote"] != "").all()


# -- reading the numbers of a quote -------------------------------------------------------------------
def read(quote: str) -> list[tuple[float, bool, set[str]]]:
    return [(n.value, n.percent, set(n.qualifiers)) for n in numbers_in(quote)]


@pytest.mark.parametrize("quote,expected", [
    ("累计开展三新项目205项", [(3, False, {""}), (205, False, {""})]),
    ("先后获批儿童、创伤、肿瘤等九大国家区域医疗中心", [(9, False, {""})]),
    ("总量居全国第二位", [(2, False, {""})]),
    ("选拔两批优秀住院医师40名", [(2, False, {""}), (40, False, {""})]),
    ("十二个专科", [(12, False, {""})]),
    ("近三年累计诊治3.5万余例", [(3, False, {"nearly"}), (35_000, False, {"more_than"})]),
    ("医院门急诊量达到141.33万余人次", [(1_413_300, False, {"more_than"})]),
    ("辐射周边3000多万人口", [(30_000_000, False, {"more_than"})]),
    ("国家将支持各地建设120个左右省级区域医疗中心", [(120, False, {"about"})]),
    ("将创伤骨科等近十个重点科室", [(10, False, {"nearly"})]),
    ("呈百分之三十几的增幅", [(30, True, {"more_than"})]),
    ("同比增长超26%", [(26, True, {"more_than"})]),
    ("超过1,200.5万人次", [(12_005_000, False, {"more_than"})]),
    ("introduced over 6,200 new technologies", [(6200, False, {"more_than"})]),
    ("down about 30% against", [(30, True, {"about"}), (-30, True, {"about"})]),
    ("约千分之五", [(0.5, True, {"about"})]),
    ("１２３项", [(123, False, {""})]),
    ("１２．５％", [(12.5, True, {""})]),
    ("增至41萬人次", [(410_000, False, {""})]),  # traditional characters
    ("兩千餘人", [(2000, False, {"more_than"})]),
    ("超過5萬", [(50_000, False, {"more_than"})]),
    ("逾百分之六十", [(60, True, {"more_than"})]),
    ("30项以上", [(30, False, {"more_than", "at_least"})]),
    ("不超过100家", [(100, False, {"less_than"})]),
    ("不足五十人", [(50, False, {"less_than"})]),
    ("至少12个", [(12, False, {"at_least"})]),
    ("逾1亿人次", [(1e8, False, {"more_than"})]),
    ("1.2亿", [(1.2e8, False, {""})]),
    ("十几个", [(10, False, {"more_than"})]),
    ("三十余万人", [(300_000, False, {"more_than"})]),
    ("提高3个百分点", [(3, True, {""})]),
    ("增长4.72%", [(4.72, True, {""})]),
    ("下降12.5%", [(12.5, True, {""}), (-12.5, True, {""})]),
    ("no fewer than twelve centres", [(12, False, {"at_least"})]),
    # not numbers: some tens, some hundreds, the common people, a list of cities
    ("几十个", []), ("数百家", []), ("服务百姓", []), ("吉林, 湖南, 湖北", []),
])
def test_numbers_in_a_quote(quote, expected):
    assert read(quote) == [(float(v), p, q) for v, p, q in expected]


def test_a_list_is_not_read_as_thousands():
    """'5,12' and '2个，200' are two numbers; only a group of three digits after a comma is a
    thousands separator (6,200)."""
    assert [n.value for n in numbers_in("5,12")] == [5, 12]
    assert [n.value for n in numbers_in("布局2个，200张床")] == [2, 200]


@pytest.mark.parametrize("value,unit,qualifier,quote,column", [
    (205, "项", "", "累计开展三新项目205项", None),
    (210, "项", "", "累计开展三新项目205项", "value"),
    (3.5, "万例", "more_than", "3.5万余例", None),
    (3.5, "万例", "", "3.5万余例", "qualifier"),
    (35000, "例", "more_than", "3.5万余例", None),
    (26, "%", "more_than", "增长超26%", None),
    (26, "个", "more_than", "增长超26%", "value"),  # a percentage is not a count
    (26, "%", "", "增长26", "value"),  # nor a count a percentage
    (9, "个", "", "九大国家区域医疗中心", None),
    (-12.5, "%", "", "下降12.5%", None),
    (-12.5, "%", "", "增长12.5%", "value"),
    (30, "%", "at_least", "30%以上", None),
    (1, "位", "", "全国最大", "value"),
])
def test_mismatch(value, unit, qualifier, quote, column):
    found = mismatch(value, unit, qualifier, quote)
    assert (found[0] if found else None) == column, found


@pytest.mark.parametrize("text,n", [("九", 9), ("十", 10), ("十二", 12), ("二十", 20), ("两千", 2000), ("一百零五", 105),
                                    ("一千零一十", 1010), ("三千五百万", 35_000_000), ("一亿二千万", 120_000_000),
                                    ("一万亿", 10**12), ("二〇二三", 2023), ("零", 0), ("壹仟贰佰叁拾肆", 1234)])
def test_chinese_numerals(text, n):
    assert chinese_numeral(text) == n


@pytest.mark.parametrize("text", ["三四", "十百", "万", "一二"])
def test_not_one_chinese_numeral(text):
    assert chinese_numeral(text) is None


@settings(max_examples=300, deadline=None)
@given(st.integers(min_value=0, max_value=10**13 - 1), st.sampled_from(["low", "up"]))
def test_chinese_numerals_agree_with_cn2an(n, mode):
    """The parser reads what the well-kept cn2an library writes, in everyday and financial forms."""
    import cn2an

    text = cn2an.an2cn(n, mode)
    assert chinese_numeral(text) == n, text
    assert [x.value for x in numbers_in(f"共{text}项")][0] == n
