"""PDFs that print and copy right: embedded subset fonts, chart text that extracts as the characters
shown, an outline, the title and the language (issue 10, "Print quality").

The e2e tests print two small briefing-like pages (Chinese and English, with a chart made by
`nrmc.charts` and the reproducer tests/fixtures/pdf/chart_text.html) through the real `PdfPrinter`.
The other tests cover the print font of `nrmc.fonts` without a browser.
"""
from __future__ import annotations

import asyncio
import os
import shutil
import threading
from pathlib import Path

import pytest

import pdfcheck as pc
from nrmc import fonts

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "pdf" / "chart_text.html"
CHART_LABELS = ["人口心脏", "儿科", "黑龙江", "青海"]  # each has a character that shares its glyph with a radical


def _need_poppler():
    missing = [t for t in ("pdftotext", "pdffonts", "pdfinfo", "pdftohtml") if shutil.which(t) is None]
    if missing:
        msg = f"{', '.join(missing)} missing: sudo apt-get install poppler-utils (make test does)"
        pytest.fail(msg) if os.environ.get("CI") else pytest.skip(msg)


def _chart_html(lang: str) -> str:
    """A chart of the project's own (nrmc.charts, inline SVG) with labels that share a glyph with a
    radical."""
    from nrmc import charts

    if lang == "zh":
        chart = charts.hbar(CHART_LABELS, [4, 3, 2, 1], value_texts=["4", "3", "2", "1"], xlabel="每千万人口（个）",
                            hatched=[False, True, False, False], legend=[("solid", "来源"), ("hatched", "推断")])
    else:
        chart = charts.hbar(["Heart", "Children", "Heilongjiang"], [3, 2, 1], value_texts=["3", "2", "1"],
                            xlabel="Centres per 10 million people")
    return f'<figure class="chart">{chart.svg}</figure>'


def _briefing(lang: str) -> str:
    zh = lang == "zh"
    inline_svg = FIXTURE.read_text(encoding="utf-8")
    inline_svg = inline_svg[inline_svg.index("<svg"):inline_svg.index("</svg>") + 6]
    text = ("安徽省有7个国家区域医疗中心，每千万人口1.14个，高于全国平均。儿科、心血管与口腔见于多地。" if zh else
            "Anhui has 7 named centres, 1.14 per 10 million people, above the national average.")
    heads = (["安徽省国家区域医疗中心简报", "要点", "一、覆盖", "人口覆盖", "附录"] if zh else
             ["Anhui: National Regional Medical Centres briefing", "Key messages", "1. Coverage", "Per head", "Annex"])
    return (f'<!DOCTYPE html><html lang="{"zh-CN" if zh else "en"}"><head><meta charset="utf-8">'
            f"<title>{heads[0]}</title><style>body{{font-family:var(--cjk-sans)}} :root{{--cjk-sans:"
            '"Noto Sans CJK SC","Noto Sans SC",sans-serif}} table{border-collapse:collapse} td,th{border:1px solid #ccc}'
            f"</style></head><body><h1>{heads[0]}</h1><h2>{heads[1]}</h2><p>{text}</p>"
            f"<h2>{heads[2]}</h2><h3>{heads[3]}</h3>{_chart_html(lang)}"
            f'<figure class="chart">{inline_svg}</figure>'
            f"<table><caption>{'各省数据' if zh else 'Figures'}</caption><tr><th>省份</th><th>中心</th></tr>"
            "<tr><td>安徽</td><td>7</td></tr><tr><td>黑龙江</td><td>2</td></tr></table>"
            f'<h2 style="break-before: page">{heads[4]}</h2><p>{"方法说明：人口为年末常住人口。" if zh else "Method."}</p>'
            "</body></html>")


@pytest.fixture(scope="module")
def printed(tmp_path_factory):
    _need_poppler()
    from nrmc.export import PdfPrinter

    out = tmp_path_factory.mktemp("quality")
    pages = {"zh": _briefing("zh"), "en": _briefing("en"), "fixture": FIXTURE.read_text(encoding="utf-8")}

    async def run():
        async with PdfPrinter(pages=2) as printer:
            pdfs = await asyncio.gather(*(printer.pdf(html, footer_title="人口心脏 页脚", lang="zh" if k != "en" else "en")
                                          for k, html in pages.items()))
            return pdfs, printer.print_fonts

    pdfs, print_fonts = asyncio.run(run())
    paths = {}
    for name, data in zip(pages, pdfs):
        paths[name] = out / f"{name}.pdf"
        paths[name].write_bytes(data)
    return {"pdfs": paths, "html": pages, "print_fonts": print_fonts}


@pytest.mark.e2e
def test_every_font_is_embedded_subset_truetype_never_type3(printed):
    for name, pdf in printed["pdfs"].items():
        found = pc.fonts(pdf)
        assert found, name
        assert [f for f in found if f["type"] == "Type 3"] == [], name
        assert all(f["emb"] and f["sub"] and f["uni"] for f in found), (name, found)


@pytest.mark.e2e
def test_text_copies_as_the_characters_shown_also_in_charts(printed):
    for name, pdf in printed["pdfs"].items():
        assert pc.kangxi_chars(pdf) == "", name
    zh = pc.squash("".join(pc.page_texts(printed["pdfs"]["zh"])))
    for label in CHART_LABELS + ["每千万人口中心数：人口心脏高于全国", "人口心脏页脚"]:  # <img> chart, footer
        assert label in zh, label
    fixture = pc.squash("".join(pc.page_texts(printed["pdfs"]["fixture"])))
    assert fixture.count("每千万人口中心数：人口心脏高于全国") == 2  # the <img> copy and the inline copy
    assert fixture.count("儿科心血管口腔见日月人民一山黑龙江青海甘肃广东比目") == 2


@pytest.mark.e2e
def test_outline_title_language_and_tags(printed):
    zh, en = printed["pdfs"]["zh"], printed["pdfs"]["en"]
    assert pc.outline(zh) == [(1, "安徽省国家区域医疗中心简报", 1), (2, "要点", 1), (2, "一、覆盖", 1),
                              (3, "人口覆盖", 1), (2, "附录", 2)]
    # Chromium drops the space where a heading wraps ("Centresbriefing"): compare without spaces
    assert [pc.squash(t) for _, t, _ in pc.outline(en)] == [
        pc.squash(t) for t in ("Anhui: National Regional Medical Centres briefing", "Key messages", "1. Coverage",
                               "Per head", "Annex")]
    assert pc.lang(zh) == "zh-CN" and pc.lang(en) == "en"
    for pdf, title in ((zh, "安徽省国家区域医疗中心简报"), (en, "Anhui: National Regional Medical Centres briefing")):
        meta = pc.info(pdf)
        assert meta["tagged"] and meta["title"] == title


@pytest.mark.e2e
def test_the_print_font_was_used(printed):
    pf = printed["print_fonts"]
    if not fonts.cjk_font().is_cff:
        pytest.skip("the CJK font is TrueType already: Chromium embeds it as it is")
    assert pf is not None and pf.directory.is_dir()
    names = {f["name"].split("+")[-1] for f in pc.fonts(printed["pdfs"]["zh"])}
    assert "NRMCPrintSansSC-Regular" in names and "NRMCPrintSansSC-Bold" in names


@pytest.mark.e2e
def test_the_fixture_shows_the_problem_with_the_system_font(tmp_path, monkeypatch):
    """Control: printed with Debian's CFF font as it is, the same page has Type 3 fonts and its
    <img> chart copies as radicals, so the tests above would catch a printer that lost the print font."""
    _need_poppler()
    if not fonts.cjk_font().is_cff:
        pytest.skip("the CJK font is TrueType already")
    monkeypatch.setenv(fonts.DISABLE_ENV, "system")
    from nrmc.export import html_to_pdf

    pdf = tmp_path / "system.pdf"
    pdf.write_bytes(html_to_pdf(FIXTURE.read_text(encoding="utf-8"), footer_title="t", lang="zh"))
    assert any(f["type"] == "Type 3" for f in pc.fonts(pdf))
    kangxi = pc.kangxi_chars(pdf)
    assert set("⼈⼝⼼") <= set(kangxi), kangxi  # 人口心 of the <img> chart


# ---------------------------------------------------------------------------------------------
# The print font, without a browser
# ---------------------------------------------------------------------------------------------

def test_missing_cjk_font_names_the_package(monkeypatch):
    import subprocess

    class Empty:
        stdout = ""

    monkeypatch.setattr(subprocess, "run", lambda *a, **k: Empty())
    with pytest.raises(fonts.MissingCJKFontError, match=r"apt-get install fonts-noto-cjk") as err:
        fonts.check_cjk_fonts()
    assert "boxes" in str(err.value)


def test_fontconfig_says_which_family_and_file():
    font = fonts.cjk_font()
    assert font.family in fonts.CJK_FAMILIES and Path(font.path).is_file()
    assert fonts.cjk_family() == font.family


def test_charset_has_gb2312_and_the_data_but_no_radicals():
    cs = fonts.print_charset("䶮㐀")  # two characters outside GB 2312
    assert ord("䶮") in cs and ord("㐀") in cs
    assert {ord(c) for c in "人口心脏安徽黑龙江，。“”（）—0123456789AZaz%"} <= cs
    assert not any(a <= cp <= b for cp in cs for a, b in fonts.EXCLUDED_RANGES)
    assert fonts.print_charset("⼈") == fonts.print_charset("")  # a radical in the data is never added
    project = fonts.print_charset()
    assert all(ord(c) in project or ord(c) < 0x20 or fonts._excluded(ord(c)) for c in set(fonts.project_text()))


def test_prefer_ideographs_drops_the_radical_that_shares_a_glyph():
    from fontTools.fontBuilder import FontBuilder
    from fontTools.pens.ttGlyphPen import TTGlyphPen

    fb = FontBuilder(1000, isTTF=True)
    fb.setupGlyphOrder([".notdef", "ren", "kou", "A"])
    fb.setupCharacterMap({0x2F08: "ren", 0x4EBA: "ren", 0x2F1D: "kou", 0x53E3: "kou", 0x41: "A", 0xFF21: "A"})
    empty = TTGlyphPen(None).glyph()
    fb.setupGlyf({g: empty for g in fb.font.getGlyphOrder()})
    fb.setupHorizontalMetrics({g: (500, 0) for g in fb.font.getGlyphOrder()})
    fb.setupHorizontalHeader()
    assert fonts.prefer_ideographs(fb.font) == 2
    cmap = fb.font["cmap"].getBestCmap()
    assert cmap[0x4EBA] == "ren" and cmap[0x53E3] == "kou" and 0x2F08 not in cmap and 0x2F1D not in cmap
    assert cmap[0x41] == cmap[0xFF21] == "A"  # shared glyphs without an ideograph are left alone


def test_cache_is_converted_once_even_by_two_builds_at_once(tmp_path, monkeypatch):
    if not fonts.cjk_font().is_cff:
        pytest.skip("nothing to convert: the CJK font is TrueType")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.delenv(fonts.DISABLE_ENV, raising=False)
    calls = []

    def fake_convert(regular, bold, charset, folder):
        calls.append(folder)
        import time

        time.sleep(0.5)  # long enough for the second caller to find the lock taken
        for style in ("Regular", "Bold"):
            (folder / f"NRMCPrintSansSC-{style}.ttf").write_bytes(b"\0\1\0\0")
        return []

    monkeypatch.setattr(fonts, "_convert_all", fake_convert)
    assert fonts.cached_print_fonts("") is None
    results = []
    threads = [threading.Thread(target=lambda: results.append(fonts.ensure_print_fonts(""))) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(calls) == 1 and len(results) == 2 and results[0].directory == results[1].directory
    entry = results[0].directory
    assert entry.parent == tmp_path / "nrmc" / "fonts" and (entry / "font.json").is_file()
    assert fonts.cached_print_fonts("") == results[0]
    assert fonts.cached_print_fonts("䶮") is None  # another charset is another entry
    assert not [p for p in entry.parent.iterdir() if p.name.startswith(".")]  # no temporary folder left


def test_fontconfig_file_puts_the_print_family_first_and_keeps_the_system_setup(tmp_path, monkeypatch):
    pf = fonts.PrintFonts(tmp_path, "Noto Sans CJK SC")
    monkeypatch.delenv("FONTCONFIG_FILE", raising=False)
    monkeypatch.delenv("FONTCONFIG_PATH", raising=False)
    text = pf.fontconfig_file().read_text(encoding="utf-8")
    assert "<include ignore_missing=\"yes\">/etc/fonts/fonts.conf</include>" in text
    assert f"<dir>{tmp_path}</dir>" in text
    assert '<string>Noto Sans CJK SC</string>' in text and f'mode="prepend" binding="strong"><string>{fonts.PRINT_FAMILY}' in text
    monkeypatch.setenv("FONTCONFIG_FILE", str(tmp_path / "a&b.conf"))
    env = pf.chromium_env()
    assert "a&amp;b.conf" in Path(env["FONTCONFIG_FILE"]).read_text(encoding="utf-8")


def test_print_fonts_name_the_characters_they_lack(tmp_path):
    (tmp_path / fonts.COVERAGE_FILE).write_text(" ".join(f"{ord(c):x}" for c in "人口心刘"), encoding="ascii")
    pf = fonts.PrintFonts(tmp_path, "Noto Sans CJK SC")
    assert pf.missing("<p>人口心 Latin 123</p>") == ""
    assert pf.missing("<p>刘䶮 龑 人</p>") == "䶮龑"
    assert fonts.PrintFonts(tmp_path / "none", "x").missing("䶮") == ""  # no coverage file: no claim


def test_project_text_reads_the_data_dir_it_is_given(tmp_path):
    (tmp_path / "centers.csv").write_text("center_id,name_zh\nX-1,刘䶮医院\n", encoding="utf-8")
    assert "䶮" in fonts.project_text(tmp_path)
    assert ord("䶮") in fonts.print_charset(fonts.project_text(tmp_path))
    # and the shipped data's characters, so that a folder made from it shares its print font
    assert set(fonts.project_text()) <= set(fonts.project_text(tmp_path))


def test_a_data_folder_made_from_the_shipped_one_needs_no_print_font_of_its_own(tmp_path):
    """An edited copy with fewer rows (here: the tests' minimal data) used to need a print font of its
    own, converted again (about 35 CPU-seconds)."""
    from conftest import MINIMAL

    shipped = fonts.print_charset(fonts.project_text())
    assert fonts.print_charset(fonts.project_text(MINIMAL)) == shipped
    copy = tmp_path / "data"
    copy.mkdir()
    (copy / "centers.csv").write_text("center_id,name_zh\nX-1,安徽医院\n", encoding="utf-8")
    assert fonts.print_charset(fonts.project_text(copy)) == shipped
