"""One English name per thing (issue 20, points 1–3): a measure, a specialty, a source's outlet and a
hospital are called the same in the annex's tables, the running text and the list of sources;
stage labels read as running text (lower case); flag notes are set in curly quotes.
"""
from __future__ import annotations

import re

import pandas as pd
import pytest

from nrmc import i18n
from nrmc.data import load


@pytest.fixture(scope="module")
def ds():
    return load()


def _cap(s: str) -> str:
    return s[:1].upper() + s[1:]


# measures whose sentences share a noun with another measure, so the table's label adds what sets it apart
SAME_NOUN = {"surgeries_total": "'Operations (all)' beside 'Operations'"}


def test_a_measure_has_one_english_name(ds):
    """The annex's tables name a measure with the noun the sentences use (sections.annex.measure_en;
    metric_definitions' English label is the fallback for a measure the labels do not name)."""
    from nrmc.sections.annex import measure_en

    nouns = i18n.labels("en")["performance"]["noun"]
    md = ds.metric_definitions.set_index("code")
    differ = []
    for code, noun in nouns.items():
        if "__" in code or code not in md.index or code in SAME_NOUN:
            continue
        text = noun if isinstance(noun, str) else noun["noun"]
        if isinstance(noun, dict) and noun.get("before"):
            text = re.sub(r" of$", "", text)
            text = re.sub(r"^an? ", "", text)
        shown, _ = measure_en({"metric": code, "breakdown": "", "label_en": md.loc[code, "label_en"]})
        if shown != _cap(text):
            differ.append(f"{code}: annex {shown!r}, sentences {text!r}")
    assert not differ, "\n".join(differ)


def test_a_specialty_has_one_english_name(ds):
    names = i18n.labels("en")["specialty"]["name"]
    sp = ds.specialties.set_index("code")
    assert {c: _cap(n) for c, n in names.items() if c in sp.index} == \
        {c: sp.loc[c, "name_en"] for c in names if c in sp.index}


def test_an_outlet_has_one_english_name(ds):
    """The same outlet (publisher) is spelled one way in English; a hospital that publishes is
    called by its name in hospitals.csv; reports that are one report have one title."""
    src = ds.sources
    many = src.groupby("publisher")["publisher_en"].nunique()
    assert list(many[many > 1].index) == []
    hospitals = dict(zip(ds.hospitals["name_zh"], ds.hospitals["name_en"]))
    wrong = [(r["source_id"], r["publisher_en"], hospitals[r["publisher"]]) for _, r in src.iterrows()
             if r["publisher"] in hospitals and r["publisher_en"] != hospitals[r["publisher"]]]
    assert wrong == []
    # one article is one source: the source list printed 中国中医药报's report twice (P001, P300)
    dup = src[src["url"].astype(str).str.len() > 0].groupby("url")["source_id"].apply(list)
    assert {u: ids for u, ids in dup.items() if len(ids) > 1} == {}


def test_source_titles_follow_one_convention(ds):
    """A title the sources do not print is supplied by us: 〔…〕 in Chinese (full-width brackets
    inside), […] in English; an outlet's tag inside a real title (【广西日报】) is 'Guangxi Daily: …',
    not brackets; quotation inside an English title is curly; no calque of 落户/辐射/基层/加速键."""
    bad = []
    for _, r in ds.sources.iterrows():
        zh, en = str(r["title"]), str(r["title_en"])
        supplied = zh.startswith("〔") and zh.endswith("〕")
        if zh.startswith("[") or (supplied and re.search(r"[()]", zh)):
            bad.append((r["source_id"], "Chinese supplied title: 〔…〕 with （）", zh))
        if supplied != (en.startswith("[") and en.endswith("]")) or en.count("[") > int(supplied):
            bad.append((r["source_id"], "English brackets only around a whole supplied title", en))
        if re.search(r"(?<![A-Za-z])'[^']+'(?![A-Za-z])|\"", en):
            bad.append((r["source_id"], "straight quotes inside a title", en))
        if re.search(r"(?i)\bsettles? (?:in|at)\b|\bradiat|\bgrassroots\b|\baccelerator\b|\bsink further\b", en):
            bad.append((r["source_id"], "a calque", en))
    assert bad == []


# words a stage label may open with in capitals: proper names
PROPER = ("Dingyuan", "Shanxi", "Beidaihe")


def test_stage_labels_read_as_running_text(ds):
    st = ds.stages
    labels = [x for x in st["label_en"] if isinstance(x, str) and x]
    assert [x for x in labels if x[:1].isupper() and not x.startswith(PROPER)] == []
    assert [x for x in labels if "NRMC" in x] == []  # an abbreviation inside a label is never spelled out


def test_flag_notes_use_curly_quotes_and_the_glossary_terms(ds):
    notes = [x for df in (ds.metrics, ds.centers) for x in df["flag_reason_en"] if isinstance(x, str) and x]
    assert [x for x in notes if '"' in x] == []
    assert [x for x in notes if re.search(r"(?i)famous[- ]doctor|against before|province firsts", x)] == []


def test_guizhou_inpatients_say_what_the_source_counts(ds):
    """住院2387万人 counts people (人), not admissions (人次): the English says inpatients."""
    m = ds.metrics
    row = m[(m["subject_id"] == "520000") & (m["metric"] == "inpatients")].iloc[0]
    assert row["unit"] == "万人" and "23.87 million inpatients" in row["flag_reason_en"]
    assert ds.metric_definitions.set_index("code").loc["inpatients", "label_en"] == "Inpatients"
    inp = m[(m["subject_id"] == "520000") & (m["metric"] == "out_of_province_patients")
            & (m["breakdown"] == "care=inpatient")].iloc[0]
    # the Chinese caveats travel: less certain than the figures before; patients coming into Guizhou
    assert "不如前两项确定" in inp["flag_reason_zh"] and "less certain than the two figures that precede it in the source" in inp["flag_reason_en"]
    assert "来黔" in inp["flag_reason_zh"] and "came to Guizhou" in inp["flag_reason_en"]


def test_the_glossary_names_each_term_the_briefings_print():
    terms = {t["en"] for t in i18n.labels("en")["glossary"]["terms"]}
    for term in ("on a list headed “built”", "renowned-doctor studios", "level III and level IV operations",
                 "technologies and procedures transferred from the lead hospital", "specialty alliances",
                 "national performance assessment of tertiary public hospitals", "science and technology value ranking"):
        assert term in terms, term


def test_a_template_cache_that_cannot_be_written_only_means_compiling_again(tmp_path, monkeypatch):
    """The compiled templates are kept between processes (i18n.bytecode_cache); a cache folder that
    cannot be written (a full disk, a file in its place) must not stop a sentence."""
    import copy

    from jinja2 import DictLoader, Environment

    from nrmc import i18n

    cache = copy.copy(i18n.bytecode_cache())
    (tmp_path / "not-a-folder").write_text("")
    monkeypatch.setattr(cache, "directory", str(tmp_path / "not-a-folder"))
    env = Environment(loader=DictLoader({"t.j2": "{{ 35000 | string }} 项"}), bytecode_cache=cache)
    assert env.get_template("t.j2").render() == "35000 项"


def test_dates_and_numbers_read_the_same_from_the_formatting_cache():
    from nrmc import i18n

    for _ in range(2):  # the second time from i18n's cache of Babel's formatting
        assert i18n.date("2024-08", "en") == "August 2024" and i18n.date("2024-08-31", "zh") == "2024年8月31日"
        assert i18n.date_short("2024-08-31", "en") == "31 Aug 2024"
        assert i18n.number(35000, "zh") == "35,000" and i18n.number(1.467, "en", 2) == "1.47"
