"""Province lookup: every name form resolves; a wrong one gets the valid names and the closest match."""
from __future__ import annotations

import csv

import pytest
from hypothesis import given, settings, strategies as st

from nrmc.regions import UnknownProvinceError, all_scopes, resolve_province, resolve_scope
from conftest import ROOT

ROWS = list(csv.DictReader(open(ROOT / "data" / "provinces.csv", encoding="utf-8")))


@pytest.mark.parametrize("name", ["安徽省", "安徽", "皖", "anhui", "Anhui", "ANHUI", " anhui ", "340000", 340000, "CN-AH", "cn-ah", "AH"])
def test_every_form_of_anhui(name):
    assert resolve_province(name)["code"] == "340000"


@pytest.mark.parametrize("name,slug", [("内蒙古", "inner-mongolia"), ("Inner Mongolia", "inner-mongolia"), ("inner-mongolia", "inner-mongolia"),
                                       ("Shaanxi", "shaanxi"), ("Shanxi", "shanxi"), ("陕", "shaanxi"), ("晋", "shanxi"),
                                       ("xizang", "tibet"), ("西藏自治区", "tibet"), ("黔", "guizhou"), ("渝", "chongqing")])
def test_confusable_and_alias_names(name, slug):
    assert resolve_scope(name).slug == slug


def test_national_scope():
    for name in ("national", "全国", "National"):
        assert resolve_scope(name).is_national
    with pytest.raises(UnknownProvinceError):
        resolve_province("national")


def test_unknown_name_suggests_closest_and_lists_valid():
    with pytest.raises(UnknownProvinceError) as info:
        resolve_province("安微")
    msg = str(info.value)
    assert "Did you mean 安徽" in msg and info.value.suggestion.startswith("安徽")
    assert "Valid names:" in msg and "西藏" in msg and "新疆" in msg
    with pytest.raises(UnknownProvinceError) as info:
        resolve_scope("guizho")
    assert info.value.suggestion.startswith("贵州")


@pytest.mark.parametrize("bad", ["", "   ", "../etc", "/etc/passwd", "x" * 10_000, None, 3.5, True, "安徽; rm -rf /"])
def test_hostile_names_are_rejected_cleanly(bad):
    with pytest.raises(UnknownProvinceError) as info:
        resolve_scope(bad)
    assert len(str(info.value)) < 2000  # a very long name is not echoed in full


def test_all_scopes_are_the_31_provinces_and_national():
    scopes = all_scopes()
    assert len(scopes) == 32 and scopes[-1].is_national
    assert len({s.slug for s in scopes}) == 32


@settings(max_examples=200, deadline=None)
@given(row=st.sampled_from(ROWS), field=st.sampled_from(["name_zh", "name_zh_short", "abbr_zh", "name_en", "slug", "code", "iso"]),
       upper=st.booleans(), pad=st.sampled_from(["", " ", "  "]))
def test_property_every_listed_form_resolves_to_its_row(row, field, upper, pad):
    value = row[field].upper() if upper else row[field]
    assert resolve_province(pad + value + pad)["code"] == row["code"]


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=30))
def test_property_any_text_resolves_or_raises_the_documented_error(text):
    try:
        scope = resolve_scope(text)
    except UnknownProvinceError as err:
        assert "Valid names" in str(err)
    else:
        assert scope.slug in {s.slug for s in all_scopes()}


@pytest.mark.parametrize("code", ["349999", "341100", "340001", "3400000", "34000", "349"])
def test_code_that_merely_starts_like_a_province_is_not_that_province(code):
    """Only provinces.csv's exact 6-digit codes and their 2-digit prefixes resolve: 349999 is not Anhui."""
    with pytest.raises(UnknownProvinceError):
        resolve_province(code)
    with pytest.raises(UnknownProvinceError):
        resolve_scope(code)


@pytest.mark.parametrize("code", ["340000", "34", 34, "３４００００"])
def test_exact_code_and_its_two_digit_prefix_resolve(code):
    assert resolve_province(code)["code"] == "340000"


def _provinces_copy(tmp_path, text: str | bytes | None):
    """A data directory whose provinces.csv holds `text` (None: provinces.csv is a directory)."""
    d = tmp_path / "data"
    d.mkdir()
    if text is None:
        (d / "provinces.csv").mkdir()
    elif isinstance(text, bytes):
        (d / "provinces.csv").write_bytes(text)
    else:
        (d / "provinces.csv").write_text(text, encoding="utf-8")
    return d


PROVINCES_TEXT = (ROOT / "data" / "provinces.csv").read_text(encoding="utf-8")


def test_lookup_survives_a_province_table_missing_a_column(tmp_path):
    """A damaged table is validation's to report (with its line); the lookup must not crash (it did
    with KeyError: 'abbr_zh_alt', a traceback from `nrmc build` and `nrmc list`)."""
    rows = list(csv.reader(PROVINCES_TEXT.splitlines()))
    j = rows[0].index("abbr_zh_alt")
    text = "\n".join(",".join(f'"{c}"' if "," in c else c for c in r[:j] + r[j + 1:]) for r in rows) + "\n"
    d = _provinces_copy(tmp_path, text)
    assert resolve_province("皖", d)["code"] == "340000"
    assert len(all_scopes(d)) == 32


def test_lookup_of_a_gbk_province_table_raises_the_documented_error(tmp_path):
    d = _provinces_copy(tmp_path, PROVINCES_TEXT.encode("gb18030"))
    assert resolve_province("340000", d)["code"] == "340000"  # codes are ASCII: still found
    with pytest.raises(UnknownProvinceError):
        resolve_province("安徽", d)  # the names are mojibake: unknown, not UnicodeDecodeError


def test_lookup_in_a_header_only_province_table_says_so(tmp_path):
    d = _provinces_copy(tmp_path, PROVINCES_TEXT.splitlines()[0] + "\n")
    with pytest.raises(UnknownProvinceError) as info:
        resolve_scope("anhui", d)
    assert "lists no provinces" in str(info.value) and "nrmc validate" in str(info.value)


@pytest.mark.parametrize("text", [None, PROVINCES_TEXT.splitlines()[0] + "\n340000," + "x" * 200_000 + "\n"])
def test_unreadable_province_table_is_an_os_error_naming_it(tmp_path, text):
    """A directory or broken CSV: an OSError naming provinces.csv (the build reports it, exit 2)."""
    from nrmc.regions import ProvinceTableError

    d = _provinces_copy(tmp_path, text)
    with pytest.raises(ProvinceTableError) as info:
        resolve_scope("anhui", d)
    assert isinstance(info.value, OSError) and "provinces.csv" in str(info.value)
