"""The PDF checks of tests/pdfcheck.py, each on a tiny PDF where it must fire and one where it must not.

The PDFs are crafted HTML printed by the project's own `PdfPrinter` (one browser for the module).
"""
from __future__ import annotations

import asyncio
import os
import shutil

import pytest

import pdfcheck as pc

POPPLER = ("pdftotext", "pdffonts", "pdfinfo", "pdftohtml", "pdftoppm")


def _page(body: str, *, lang: str | None = "zh-CN", title: str = "测试", style: str = "") -> str:
    attr = f' lang="{lang}"' if lang else ""
    return (f'<!DOCTYPE html><html{attr}><head><meta charset="utf-8"><title>{title}</title>'
            '<style>body{font-family:"Noto Sans CJK SC",sans-serif;font-size:11pt;margin:0}'
            f"h1,h2,h3{{margin:.4em 0}} p{{margin:.3em 0}} {style}</style></head><body>{body}</body></html>")


BREAK = 'style="break-before: page"'
FILL = 'style="height: 228mm"'  # leaves room for about one heading at the foot of page 1

DOCS = {
    # a clean page: headings at three levels over two pages, Chinese body text
    "clean": _page("<h1>安徽省简报</h1><h2>第一节</h2><p>人口心脏病 儿科 每千万人口 Latin 123。</p>"
                   "<h3>小节</h3><p>正文。</p>" f"<h2 {BREAK}>第二节</h2><p>大人小口心。</p>"),
    # radicals in the text itself: what a chart label copies as when the font maps it wrongly
    "kangxi": _page("<p>⼈⼝⼼ 是部首，不是汉字。</p>"),
    # a CFF font the printer does not convert: Chromium draws it as Type 3
    "type3": _page('<p style="font-family:\'Noto Serif CJK SC\'">宋体文字人口</p><p>黑体文字</p>'),
    "no_headings": _page("<p>只有正文，没有标题。</p>"),
    "english": _page("<h1>Anhui briefing</h1><p>Body text.</p>", lang="en", title="Anhui"),
    "no_lang": _page("<p>没有语言。</p>", lang=None),
    "three_pages": _page(f"<p>第一页 alpha</p><p {BREAK}>第二页 beta</p><p {BREAK}>第三页 gamma</p>"),
    # page 1 a full shaded box (content), page 2 one line (mostly blank), page 3 ordinary paragraphs
    "blank": _page(f'<div style="height:258mm;background:#f3f6f9"></div><p {BREAK}>只有一行。</p>'
                   f"<div {BREAK}>" + "".join(f"<p>第{i}段：一行普通的正文文字。</p>" for i in range(60)) + "</div>"),
    # a heading, a heading followed by a subheading, and a figure caption left at the foot of page 1
    "orphan_h2": _page(f"<h2>第一节</h2><p>正文。</p><div {FILL}></div><h2>孤立的标题</h2><p {BREAK}>下一页的正文。</p>"),
    "orphan_pair": _page(f"<h2>第一节</h2><p>正文。</p><div style=\"height:215mm\"></div><h2>上级标题</h2><h3>下级标题</h3>"
                         f"<p {BREAK}>下一页的正文。</p>"),
    "orphan_caption": _page(f"<p>正文。</p><div {FILL}></div><figure><figcaption>图一：孤立的图题</figcaption></figure>"
                            f'<table {BREAK}><tr><td>表格内容</td></tr></table>'),
    "kept_h2": _page(f"<h2>第一节</h2><p>正文。</p><div style=\"height:200mm\"></div><h2>有正文的标题</h2><p>同一页的正文。</p>"
                     f"<p {BREAK}>下一页。</p>"),
}


@pytest.fixture(scope="module")
def pdfs(tmp_path_factory):
    missing = [t for t in POPPLER if shutil.which(t) is None]
    if missing:
        msg = f"{', '.join(missing)} missing: sudo apt-get install poppler-utils (make test does)"
        pytest.fail(msg) if os.environ.get("CI") else pytest.skip(msg)
    from nrmc.export import PdfPrinter

    out = tmp_path_factory.mktemp("pdfcheck")

    async def run():
        async with PdfPrinter(pages=2) as printer:
            return await asyncio.gather(*(printer.pdf(html, footer_title="页脚标题", lang="zh") for html in DOCS.values()))

    paths = {}
    for name, data in zip(DOCS, asyncio.run(run())):
        paths[name] = out / f"{name}.pdf"
        paths[name].write_bytes(data)
        (out / f"{name}.html").write_text(DOCS[name], encoding="utf-8")
    return paths


def test_page_texts_one_string_per_page(pdfs):
    texts = pdfs["three_pages"]
    pages = pc.page_texts(texts)
    assert len(pages) == 3
    assert "alpha" in pages[0] and "beta" in pages[1] and "gamma" in pages[2]
    assert "beta" not in pages[0] and "alpha" not in pages[2]
    assert len(pc.page_texts(pdfs["no_headings"])) == 1


def test_page_of_finds_the_first_page_and_ignores_whitespace(pdfs):
    assert pc.page_of(pdfs["three_pages"], "第二页 beta") == 2
    assert pc.page_of(pdfs["three_pages"], "第三页gamma") == 3
    assert pc.page_of(pdfs["three_pages"], "delta") is None


def test_kangxi_chars_fire_on_radicals_only(pdfs):
    assert pc.kangxi_chars(pdfs["kangxi"]) == "⼈⼝⼼"
    assert pc.kangxi_chars(pdfs["clean"]) == ""
    assert "人口心脏病" in pc.squash(pc.page_texts(pdfs["clean"])[0])


def test_fonts_parses_pdffonts_and_sees_type3(pdfs):
    bad = pc.fonts(pdfs["type3"])
    assert any(f["type"] == "Type 3" for f in bad), bad
    t3 = next(f for f in bad if f["type"] == "Type 3")
    assert t3["emb"] is True and t3["sub"] is False and isinstance(t3["object"], int)
    good = pc.fonts(pdfs["clean"])
    assert good and all(f["type"] == "CID TrueType" and f["emb"] and f["sub"] and f["uni"] for f in good), good
    assert all("+" in f["name"] and f["encoding"] == "Identity-H" for f in good)


def test_outline_levels_titles_and_pages(pdfs):
    assert pc.outline(pdfs["clean"]) == [(1, "安徽省简报", 1), (2, "第一节", 1), (3, "小节", 1), (2, "第二节", 2)]
    assert pc.outline(pdfs["no_headings"]) == []


def test_lang_and_info(pdfs):
    assert pc.lang(pdfs["clean"]) == "zh-CN"
    assert pc.lang(pdfs["english"]) == "en"
    # Chromium's own default when the page declares none: why the briefing must set <html lang>
    assert pc.lang(pdfs["no_lang"]) == "en-US"
    meta = pc.info(pdfs["english"])
    assert meta["title"] == "Anhui" and meta["pages"] == 1 and meta["tagged"] is True


def test_lang_is_none_without_one(tmp_path):
    pdf = tmp_path / "bare.pdf"
    pdf.write_bytes(b"%PDF-1.4\n1 0 obj <</Type /Catalog /Pages 2 0 R>> endobj\n"
                    b"2 0 obj <</Type /Pages /Kids [] /Count 0>> endobj\ntrailer <</Root 1 0 R>>\n%%EOF\n")
    assert pc.lang(pdf) is None
    escaped = tmp_path / "hex.pdf"
    escaped.write_bytes(b"%PDF-1.4\n1 0 obj <</Type /Catalog /Lang <FEFF007A0068002D0043004E>>> endobj\n%%EOF\n")
    assert pc.lang(escaped) == "zh-CN"


def test_blank_fraction_counts_empty_space_not_line_gaps(pdfs):
    full, one_line, paragraphs, rest = pc.blank_fraction(pdfs["blank"])
    assert full < 0.02  # a shaded box is content
    assert one_line > 0.9  # one line and the footer (which is ignored)
    assert paragraphs < 0.05  # a page of paragraphs: the gaps between lines and paragraphs do not count
    assert 0.1 < rest < 0.95  # the paragraphs that did not fit, then empty space
    half = pc.blank_fraction(pdfs["orphan_h2"])[1]  # one line at the top of page 2
    assert half > 0.9


def test_orphans_fire_on_a_heading_left_at_the_foot(pdfs):
    heads = pc.html_headings(DOCS["orphan_h2"])
    assert pc.orphans(pdfs["orphan_h2"], heads) == [(1, "孤立的标题")]


def test_orphans_fire_on_a_heading_followed_only_by_a_heading(pdfs):
    heads = pc.html_headings(DOCS["orphan_pair"])
    assert pc.orphans(pdfs["orphan_pair"], heads) == [(1, "上级标题"), (1, "下级标题")]


def test_orphans_fire_on_a_caption_left_at_the_foot(pdfs):
    heads = pc.html_headings(DOCS["orphan_caption"])
    assert pc.orphans(pdfs["orphan_caption"], heads) == [(1, "图一：孤立的图题")]


def test_orphans_do_not_fire_when_text_follows_or_on_the_footer(pdfs):
    heads = pc.html_headings(DOCS["kept_h2"])
    assert "有正文的标题" in heads
    assert pc.orphans(pdfs["kept_h2"], heads) == []
    # the last heading of a document is followed by body text: not an orphan either
    assert pc.orphans(pdfs["clean"], pc.html_headings(DOCS["clean"])) == []
    # the running footer (in the bottom margin) is never taken for text after a heading
    assert pc.orphans(pdfs["orphan_h2"], ["页脚标题"]) == []


def test_html_headings_takes_headings_captions_and_chart_titles_only():
    html = """<html><body>
      <h1 class="t">简报 <small>标题</small></h1>
      <nav><h2 class="no-toc">目录</h2></nav>
      <h2 id="a">一、覆盖<sup class="src">[2]</sup></h2>
      <p>正文不是标题。</p><h4>四级标题不算</h4>
      <h3>A &amp; B</h3>
      <table><caption>表一：各省数据</caption><tr><td>1</td></tr></table>
      <figure class="chart"><img src="x.svg" alt="安徽高于全国。江西 1.55、安徽 1.14。"></figure>
      <figure class="chart"><div aria-label="Coverage is highest in Jiangxi. Then Anhui."></div></figure>
      <figure><svg><title>内嵌图题。说明</title><text>轴标签</text></svg><figcaption>图二：说明文字</figcaption></figure>
      <img alt="不在图中的图片。">
      <h2 id="b">一、覆盖<sup class="src">[2]</sup></h2>
    </body></html>"""
    assert pc.html_headings(html) == [
        "简报 标题", "目录", "一、覆盖[2]", "A & B", "表一：各省数据", "安徽高于全国",
        "Coverage is highest in Jiangxi", "内嵌图题", "图二：说明文字"]
