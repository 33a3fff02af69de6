"""The English edition as printed and shown (issue 20, point 4), on real builds of four briefings
(anhui, tibet, national in English from the shared session build, conftest.site; guizhou built here):

- body text in the Latin font (Noto Sans), Chinese glosses in the CJK font, never English in it;
- no word broken in the middle inside a table cell, no table wider than the text column (measured
  in Chromium with the printer's own layout);
- no last page under a fifth full (measured on the PDF);
- chart text no smaller than 8 pt as printed (the printer's layout reports each page's smallest);
- the phone layout (375 px) never scrolls sideways; the glossary page is linked from the front page.
Plus the print layout's annex rule on a crafted page that would end with one line.
"""
from __future__ import annotations

import asyncio
import concurrent.futures
import re
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

import pdfcheck
from conftest import nrmc_cli
from english import english_problems

pytestmark = pytest.mark.e2e
SCOPES = ("anhui", "guizhou", "tibet", "national")
LATIN = "NotoSans"
CJK_CHAR = re.compile(r"[\u2e80-\u2fdf\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef]")

# Every word of a table cell (outside Chinese glosses, which break between characters) whose
# letters lie on more than one line; and every table wider than the box it sits in.
BROKEN_WORDS_JS = r"""() => {
  const broken = [], wide = [];
  for (const cell of document.querySelectorAll('td, th')) {
    if (!cell.getClientRects().length) continue;
    const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      if (node.parentElement.closest('[lang|="zh"]')) continue;
      const re = /[\p{L}\p{N}][\p{L}\p{N}'’.,]*[\p{L}\p{N}]/gu;
      for (let m = re.exec(node.data); m; m = re.exec(node.data)) {
        const range = document.createRange();
        range.setStart(node, m.index);
        range.setEnd(node, m.index + m[0].length);
        const tops = new Set([...range.getClientRects()].filter((r) => r.width > 0).map((r) => Math.round(r.top)));
        if (tops.size > 1) broken.push(m[0] + ' | ' + cell.textContent.trim().slice(0, 60));
      }
    }
  }
  for (const t of document.querySelectorAll('table')) {
    const box = t.parentElement.getBoundingClientRect(), r = t.getBoundingClientRect();
    if (r.width > box.width + 1) wide.push((t.caption ? t.caption.textContent : t.className) + ': ' + Math.round(r.width) + ' > ' + Math.round(box.width));
  }
  return {broken, wide};
}"""

PHONE_JS = """() => ({sideways: document.documentElement.scrollWidth - window.innerWidth,
                     widest: Math.max(...[...document.querySelectorAll('body *')].map((e) => e.getBoundingClientRect().right))})"""


# Built here from the shipped data: the shared build's Guizhou carries markup in its Chinese names
# (conftest.PAYLOADS), which its English edition rightly sets in the CJK font, as a Chinese gloss.
OWN = ("guizhou",)


class _Edition:
    """The English edition's folder: the shared session build's (conftest.site: SCOPES are among its
    scopes, built in both languages, HTML and PDF; its front page and glossary), except OWN's
    briefings, which this module builds from the shipped data."""

    def __init__(self, shared: Path, own: Path):
        self.shared, self.own = shared, own

    def __truediv__(self, name: str) -> Path:
        return (self.own if name.split(".")[0] in OWN else self.shared) / name


@pytest.fixture(scope="module")
def built(request, tmp_path_factory):
    if shutil.which("pdftohtml") is None:
        pytest.fail("poppler-utils missing: sudo apt-get install poppler-utils (make test does)")
    out = tmp_path_factory.mktemp("english-print")
    r = nrmc_cli("build", *OWN, "--lang", "en", "--out", out, timeout=1800)
    assert r.returncode == 0, r.stdout + r.stderr
    site = request.getfixturevalue("site")  # asked for after this build: the shared one runs meanwhile
    return _Edition(site["out_en"], out / "en")


def _in_thread(coro_fn):
    """Run an async function in a thread of its own (a sync Playwright may hold this thread's loop)."""
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro_fn()).result()


@pytest.fixture(scope="module")
def measured(built):
    """Each briefing laid out for print by the real printer: its layout report and its tables."""
    from nrmc.export import PdfPrinter

    async def run():
        async with PdfPrinter(pages=1) as printer:
            out = {}
            for slug in SCOPES:
                html = (built / f"{slug}.html").read_text(encoding="utf-8")
                out[slug] = await printer.measure(html, BROKEN_WORDS_JS)
            return out

    return _in_thread(run)


def _runs(pdf: Path) -> list[tuple[str, float, str]]:
    """(font family, size in pt, text) of every text run of the PDF (pdftohtml -xml at zoom 1)."""
    xml = pdfcheck._run("pdftohtml", "-xml", "-i", "-q", "-stdout", "-zoom", "1", "-enc", "UTF-8", str(pdf))
    root = ET.fromstring(re.sub(r"<!DOCTYPE[^>]*>", "", xml))
    fonts = {f.get("id"): (f.get("family") or "", float(f.get("size") or 0)) for f in root.iter("fontspec")}
    return [(*fonts.get(t.get("font"), ("", 0.0)), "".join(t.itertext())) for t in root.iter("text")]


@pytest.mark.parametrize("slug", SCOPES)
def test_english_is_set_in_the_latin_font_and_chinese_in_the_cjk_font(built, slug):
    pdf = built / f"{slug}.pdf"
    names = {f["name"].split("+")[-1] for f in pdfcheck.fonts(pdf)}
    assert {"NotoSans-Regular", "NotoSans-Bold"} <= names, names
    english_in_cjk, chinese_in_latin, latin_chars = [], [], 0
    for family, _size, text in _runs(pdf):
        letters = re.sub(r"[^A-Za-z“”‘’]", "", text)
        if LATIN in family and not family.startswith("NRMC"):
            latin_chars += len(letters)
            if CJK_CHAR.search(text):
                chinese_in_latin.append(text)
        elif re.search(r"[A-Za-z]", text) and not CJK_CHAR.search(text):  # not '“2023' opening a Chinese quote
            english_in_cjk.append((family, text))
    assert latin_chars > 2000
    assert english_in_cjk == [], english_in_cjk[:10]
    assert chinese_in_latin == [], chinese_in_latin[:10]


@pytest.mark.parametrize("slug", SCOPES)
def test_no_word_is_broken_inside_a_table_cell_and_no_table_is_too_wide(measured, slug):
    _layout, found = measured[slug]
    assert found["broken"] == [], found["broken"][:20]
    assert found["wide"] == [], found["wide"]


@pytest.mark.parametrize("slug", SCOPES)
def test_the_last_page_is_at_least_a_fifth_full(built, slug):
    fill = pdfcheck.content_fill(built / f"{slug}.pdf")
    assert len(fill) > 2 and fill[-1] >= 0.20, [round(f, 2) for f in fill]


@pytest.mark.parametrize("slug", SCOPES)
def test_chart_text_is_at_least_8_pt_as_printed(measured, slug):
    layout, _found = measured[slug]
    sizes = [p["chartPt"] for p in layout if p.get("chartPt") is not None]
    assert sizes, layout  # every briefing here has a chart
    assert min(sizes) >= 8 - 0.01, layout


def test_phone_layout_never_scrolls_sideways_and_the_glossary_page_is_linked(built):
    from playwright.sync_api import sync_playwright

    from nrmc.export import CHROMIUM_ARGS, find_chromium

    front = (built / "index.html").read_text(encoding="utf-8")
    assert 'href="glossary.html"' in front
    glossary = (built / "glossary.html").read_text(encoding="utf-8")
    assert "输出医院" in glossary and "lead hospital" in glossary
    assert english_problems(front) == [] and english_problems(glossary) == []

    def run():
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=find_chromium(), args=CHROMIUM_ARGS, headless=True)
            page = browser.new_page(viewport={"width": 375, "height": 800})
            out = {}
            for name in [*SCOPES, "index", "glossary"]:
                page.goto((built / f"{name}.html").as_uri())
                out[name] = page.evaluate(PHONE_JS)
            browser.close()
            return out

    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        found = pool.submit(run).result()
    assert {k: v for k, v in found.items() if v["sideways"] > 0} == {}, found


def test_a_last_page_that_would_hold_one_line_is_pulled_back_or_filled(tmp_path):
    """A crafted annex that ends a line or two into a new page: the printer sets it tighter or
    starts its last section on a page of its own, and the printed last page is over a fifth full."""
    from nbformat.v4 import new_code_cell, new_notebook, new_output

    from nrmc.export import BriefingHTMLExporter, PdfPrinter

    def page(rows: int) -> str:
        body = "".join(f"<tr><td>Row {i}</td><td>{'words ' * 8}</td></tr>" for i in range(rows))
        summary = '<div class="nrmc-part nrmc-summary" lang="en"><section class="page summary summary-1"><h2>Summary</h2><p>Text.</p></section></div>'
        annex = (f'<div class="nrmc-part nrmc-annex" lang="en"><section class="page annex"><h2>Annex</h2>'
                 f'<h3>A. Figures</h3><div class="table-wrap"><table class="data">{body}</table></div>'
                 f'<h3>B. Method</h3><p>{"Method words. " * 30}</p><h3>C. Sources</h3><ol class="sources">'
                 + "".join(f"<li>Source {i}, a title of some length, 1 January 2024</li>" for i in range(6))
                 + "</ol></section></div>")
        cell = new_code_cell("")
        cell.outputs = [new_output("display_data", data={"text/html": summary + annex})]
        nb = new_notebook(cells=[cell], metadata={"nrmc": {"lang": "en", "title": "Crafted"}})
        return BriefingHTMLExporter().from_notebook_node(nb)[0]

    async def run():
        async with PdfPrinter(pages=1) as printer:
            out = []
            for rows in range(60, 140, 4):  # find a length whose last page would hold a line or two
                html = page(rows)
                layout, _ = await printer.measure(html)
                annex = [p for p in layout if p["kind"] == "annex"][0]
                if annex["before"]["pages"] > 1 and annex["before"]["fill"] < 0.1:
                    out.append((rows, annex, await printer.pdf(html, footer_title="t", lang="en")))
                    break
            return out

    found = _in_thread(run)
    assert found, "no crafted length left a nearly empty last page"
    rows, annex, data = found[0]
    assert annex["action"] in ("tight", "break"), annex
    pdf = tmp_path / "annex.pdf"
    pdf.write_bytes(data)
    fill = pdfcheck.content_fill(pdf)
    assert fill[-1] >= 0.20, (rows, annex, [round(f, 2) for f in fill])
    assert "Source 5" in pdfcheck.page_texts(pdf)[-1]  # nothing lost


def test_a_chart_squeezed_by_a_full_summary_page_keeps_its_text_at_8_pt():
    """A summary page whose table leaves the chart little room: the chart shrinks only as far as
    its smallest text stays 8 pt (before, it shrank to 60 % and then 35 %: text of about 6 pt and less);
    what does not fit then takes a second sheet rather than smaller text."""
    from nbformat.v4 import new_code_cell, new_notebook, new_output

    from nrmc import charts
    from nrmc.export import BriefingHTMLExporter, PdfPrinter

    chart = charts.hbar([f"Province {i}" for i in range(12)], [12 - i for i in range(12)],
                        value_texts=[str(12 - i) for i in range(12)], xlabel="Centres per 10 million residents")
    rows = "".join(f"<tr><td>{i}</td><td>{'several words in a cell ' * 3}</td></tr>" for i in range(32))
    body = (f'<div class="nrmc-part nrmc-summary" lang="en"><section class="page summary summary-1"><h2>Summary</h2>'
            f'<table class="data">{rows}</table><figure class="chart flex"><div class="chart-box">{chart.svg}</div>'
            f"</figure></section></div>")
    cell = new_code_cell("")
    cell.outputs = [new_output("display_data", data={"text/html": body})]
    html = BriefingHTMLExporter().from_notebook_node(new_notebook(cells=[cell], metadata={"nrmc": {"lang": "en"}}))[0]

    async def run():
        async with PdfPrinter(pages=1) as printer:
            return (await printer.measure(html))[0]

    layout = _in_thread(run)
    summary = layout[0]
    assert summary["kind"] == "summary" and summary["chartPt"] is not None, layout
    assert summary["chartPt"] >= 8 - 0.01, layout
