"""The briefing template and exporters, without a kernel or a browser (fast)."""
from __future__ import annotations

import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from nrmc import export


def executed_notebook(**metadata):
    """A notebook as the build leaves it: parameters, outputs of every kind that can occur."""
    code = new_code_cell("secret_source_code_marker = 1\nprint('x')", execution_count=3)
    code.outputs = [
        new_output("stream", name="stdout", text="stdout stays\n"),
        new_output("stream", name="stderr", text="STDERR-MUST-NOT-SHOW\n"),
        new_output("display_data", data={"text/html": "<h2>覆盖</h2><p class='headline'>安徽省共有 <b>12</b> 项</p>",
                                         "text/plain": "<IPython.core.display.HTML object>"}),
        new_output("display_data", data={export.META_MIMETYPE: {"as_of": "2025-11-30"}}),
        new_output("display_data", data={"text/html": "<figure><img src='data:image/svg+xml;base64,PHN2Zy8+' alt='图'></figure>"}),
        new_output("error", ename="ValueError", evalue="TRACEBACK-MUST-NOT-SHOW", traceback=["Traceback…"]),
    ]
    nb = new_notebook(cells=[
        new_markdown_cell("## 概况\n\n说明文字"),
        code,
        new_markdown_cell("### 细节\n\n![](data:image/png;base64,iVBORw0KGgo=)"),
    ], metadata=metadata)
    nb.metadata.setdefault("papermill", {"parameters": {"province": "anhui", "lang": "zh"}})
    nb.metadata.setdefault("nrmc_build", {"scope": {"kind": "province", "slug": "anhui", "code": "340000",
                                                    "name_zh": "安徽省", "name_en": "Anhui"}})
    return nb


def to_html(nb):
    page, resources = export.BriefingHTMLExporter().from_notebook_node(nb)
    return page, resources


def test_html_has_outputs_only_and_a_header():
    page, resources = to_html(executed_notebook())
    assert "安徽省国家区域医疗中心简报" in page  # title from the scope
    assert "2025-11-30" in page  # as-of from the run-time meta output
    assert "安徽省共有 <b>12</b> 项" in page
    assert "stdout stays" in page
    for absent in ("secret_source_code_marker", "STDERR-MUST-NOT-SHOW", "TRACEBACK-MUST-NOT-SHOW",
                   "In&nbsp;[", "Out[", export.META_MIMETYPE, "<script"):
        assert absent not in page, absent
    assert resources["nrmc"]["as_of"] == "2025-11-30"


def test_html_is_self_contained():
    page, _ = to_html(executed_notebook())
    assert "http://" not in page.replace("http://www.w3.org", "")
    assert "https://" not in page
    assert "data:image/svg+xml;base64" in page
    assert "@media print" in page and "size: A4" in page


def test_contents_list_links_every_section():
    page, _ = to_html(executed_notebook())
    start = page.index('<nav class="contents"')
    nav = page[start:page.index("</nav>", start)]
    assert "目录" in nav
    for title in ("概况", "覆盖", "细节"):
        assert title in nav
    # every link points at an id that exists
    import re
    for target in re.findall(r'href="#([^"]+)"', nav):
        assert f'id="{target}"' in page


def test_metadata_is_escaped():
    evil = "<script>alert(1)</script>"
    nb = executed_notebook(nrmc={"title": evil, "subtitle": evil + "&"})
    nb.metadata["nrmc_build"]["scope"]["name_zh"] = "<b>省</b>"
    page, _ = to_html(nb)
    assert "<script>alert(1)" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<b>省</b>" not in page.split("<main")[0]


def test_english_labels():
    nb = executed_notebook()
    nb.metadata["papermill"]["parameters"]["lang"] = "en"
    page, _ = to_html(nb)
    assert "Anhui: National Regional Medical Centres briefing" in page
    assert "<dt>Data</dt>" in page and 'lang="en"' in page


def test_header_survives_missing_metadata():
    nb = new_notebook(cells=[new_markdown_cell("# x")])
    page, resources = to_html(nb)
    assert "<title>" in page and resources["nrmc"]["title"]


def test_contents_skipped_for_short_documents():
    html = f"<body>{export.CONTENTS_MARK}<main><h2>one</h2></main></body>"
    assert "<nav" not in export.add_contents(html)


def test_contents_ids_unique_and_text_escaped():
    html = (f"<body>{export.CONTENTS_MARK}<main><h2>A &amp; B</h2><h2 id='x'>x</h2><h2 id='x'>y</h2>"
            "<h3>sub</h3></main></body>")
    out = export.add_contents(html)
    assert 'href="#x"' in out and 'href="#x-"' in out
    assert ">A &amp; B</a>" in out


def test_exporters_are_registered_with_nbconvert():
    from nbconvert.exporters.base import get_exporter

    assert get_exporter("nrmc_html") is export.BriefingHTMLExporter
    assert get_exporter("nrmc_pdf") is export.BriefingPDFExporter


def test_missing_chromium_says_what_to_install(monkeypatch):
    monkeypatch.setenv("NRMC_CHROMIUM", "/nonexistent/chromium")
    with pytest.raises(export.BrowserUnavailable, match="apt-get install -y chromium fonts-noto-cjk"):
        export.find_chromium()


def test_missing_cjk_font_is_a_clear_error(monkeypatch):
    import subprocess

    class Empty:
        stdout = ""

    monkeypatch.setattr(export, "_fonts_checked", False)
    monkeypatch.setattr(subprocess, "run", lambda *a, **k: Empty())
    with pytest.raises(export.BrowserUnavailable, match="fonts-noto-cjk"):
        export.check_cjk_fonts()


def test_footer_template_escapes_title():
    t = export.footer_template("<i>x</i>", "zh")
    assert "&lt;i&gt;" in t and "pageNumber" in t and "totalPages" in t


def test_header_works_with_any_extra_meta_keys_and_keeps_them_all():
    """The briefing's meta output may carry anything (counts, data window, nested values)."""
    nb = executed_notebook()
    extra = {"as_of": "2025-11-30", "n_centres": 7, "window": {"from": "2019-01", "to": "2025-11"},
             "scope": {"not": "a name"}, "title": None, "notes": ["a", "b"]}
    nb.cells[1].outputs[3] = new_output("display_data", data={export.META_MIMETYPE: extra})
    page, resources = to_html(nb)
    assert resources["nrmc_meta"] == extra
    assert resources["nrmc"]["as_of"] == "2025-11-30"
    assert resources["nrmc"]["title"] == "安徽省国家区域医疗中心简报"  # None and dicts never become header text
    assert "n_centres" not in page and "2019-01" not in page


def _nbconvert_way(nb):
    """The page as nbconvert's own HTMLExporter makes it (with its BeautifulSoup pass)."""
    from nbconvert.exporters import HTMLExporter

    class Reference(export.BriefingHTMLExporter):
        def _render(self, nb, resources, **kw):
            return HTMLExporter.from_notebook_node(self, nb, resources, **kw)

    return Reference().from_notebook_node(nb)[0]


def _as_a_browser_reads_it(page: str) -> str:
    """The document tree an HTML5 parser (as in a browser) builds from `page`, written out with
    attributes sorted, class lists normalised and runs of white space collapsed."""
    import re

    html5lib = pytest.importorskip("bleach._vendor.html5lib")  # nbconvert's dependency bleach vendors it
    out = []
    space = re.compile(r"\s+")

    def walk(el):
        attrs = sorted((k, " ".join(v.split()) if k == "class" else v) for k, v in el.attrib.items())
        out.append(f"<{el.tag} {attrs}>" + space.sub(" ", el.text or ""))
        for child in el:
            walk(child)
        out.append(f"</{el.tag}>" + space.sub(" ", el.tail or ""))

    walk(html5lib.parse(page, namespaceHTMLElements=False))
    return "".join(out)


def test_html_export_without_beautifulsoup_gives_nbconvert_s_document(ds):
    """The exporter skips nbconvert's BeautifulSoup re-serialisation (the slowest part of an export)
    and makes its edits on the text: a browser builds the same document as from nbconvert's page
    (checked for a real briefing's outputs, a Markdown heading, whose anchor nbconvert writes as
    <a … />, and an <img> without alt text)."""
    from nrmc.assemble import parts, notebook_of
    from nrmc.context import Briefing
    from nrmc.sections import compose

    b = Briefing("anhui", ds=ds)
    nb = executed_notebook()
    nb.cells[1].outputs += [new_output("display_data", data={"text/html": part})
                            for part in parts(notebook_of(compose(b)))]
    nb.cells[1].outputs.append(new_output("display_data", data={"text/html": "<p><img src='x.png'></p>"}))
    ours = to_html(nb)[0]
    assert 'alt="No description has been provided for this image"' in ours
    assert "/>" not in ours.replace("<br/>", "").split("<main", 1)[1].split("<svg", 1)[0]
    assert _as_a_browser_reads_it(ours) == _as_a_browser_reads_it(_nbconvert_way(nb))


def test_accessibility_edits_match_nbconvert_s():
    from bs4 import BeautifulSoup

    page = ('<img src="a.png"><img alt="" src=b><img data-alt="x" src="c"/><main class="jp-Notebook">'
            '<h2 id="a">A<a class="anchor-link" href="#a" /></h2><p>after</p><br/><svg><path d="M0"/></svg>'
            '<style>a/>b {}</style>'
            '<div class="jp-Cell-inputWrapper x">a</div><div class="y jp-OutputArea-output" id=q>b</div>'
            '<div class="jp-OutputArea-output" tabindex="1">c</div><div class="jp-OutputArea-child">d</div></main>')
    soup = BeautifulSoup(page, "html.parser")
    for elem in soup.select("img:not([alt])"):
        elem.attrs["alt"] = "No description has been provided for this image"
    for elem in soup.select(".jp-Notebook div.jp-Cell-inputWrapper, .jp-Notebook div.jp-OutputArea-output"):
        elem.attrs["tabindex"] = "0"
    assert str(BeautifulSoup(export.accessibility_edits(page), "html.parser")) == str(soup)
    assert export.accessibility_edits("<p>no notebook</p>") == "<p>no notebook</p>"


def test_no_pdf_prints_on_the_old_browser_while_the_print_fonts_are_converted(monkeypatch):
    """A fresh machine converts the print fonts while the first briefings wait to print: every
    pdf() call, not only the first, waits for the browser that has them (24 of 64 PDFs of a fresh
    build were Type 3: the second caller found the task already taken and printed at once)."""
    import asyncio

    class Page:
        def __init__(self, browser):
            self.browser = browser

        def is_closed(self):
            return False

        async def set_content(self, html, wait_until=None):
            pass

        async def evaluate(self, script):
            return True

        async def pdf(self, **kw):
            return b"printed by browser %d" % self.browser

    printer = export.PdfPrinter(pages=2)
    printer._lock, printer._pages = asyncio.Lock(), asyncio.Queue()
    printer._exe, printer.browser = "chromium", 0

    async def launch(exe):
        printer.browser += 1

    async def new_page():
        return Page(printer.browser)

    monkeypatch.setattr(printer, "_launch", launch)
    monkeypatch.setattr(printer, "_new_page", new_page)
    monkeypatch.setattr(printer, "_warn_missing", lambda html: None)

    class Fonts:
        def chromium_env(self):
            return {}

    async def run():
        for _ in range(2):
            printer._pages.put_nowait(Page(0))  # the browser started before the fonts were ready
        gate = asyncio.get_running_loop().create_future()
        printer._fonts_task = gate
        jobs = [asyncio.ensure_future(printer.pdf("<p>x</p>")) for _ in range(4)]
        await asyncio.sleep(0.01)
        gate.set_result(Fonts())
        return await asyncio.gather(*jobs)

    out = asyncio.run(run())
    assert out == [b"printed by browser 1"] * 4
