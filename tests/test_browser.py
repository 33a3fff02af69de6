"""Briefings as a reader gets them, checked in a real browser and with real checkers (marked e2e).

The shared session build of the project's own notebooks (conftest.site: built from a copy of the
data in which some text fields carry HTML and JavaScript); checked here: Anhui, Guizhou, Tibet — a
province with no centre — and the national overview in Chinese, Guizhou in English, both front
pages. Then:
- headless Chromium (Playwright, Debian's /usr/bin/chromium) at 375 px and 1280 px: no console
  error, no script run, no broken image, no horizontal scrolling of the page, and axe-core finds
  no serious or critical accessibility violation (at 375 px); images state their finding in alt text,
  tables have header cells, <html lang> is zh-CN or en;
- the W3C Nu HTML Checker (vnu-jar) finds no error;
- every PDF: fonts embedded, text extractable, A4, no page that holds only a heading;
- the HTML and JavaScript from the data are shown as text in HTML and PDF.

Needs npm (axe-core, vnu-jar from package-lock.json, installed by scripts/browser_deps.sh) and
Java. Without them the tests fail with what to install when CI is set, and skip otherwise.
All 32 briefings get the same checks with `python benchmarks/check_all.py`.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import PAYLOADS, ROOT, pdftext
from nrmc.export import CHROMIUM_ARGS

pytestmark = pytest.mark.e2e

REPO = ROOT
AXE = REPO / "node_modules" / "axe-core" / "axe.min.js"
VNU = REPO / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"
CHROMIUM = os.environ.get("NRMC_CHROMIUM", "/usr/bin/chromium")
ZH_SCOPES = ("anhui", "guizhou", "tibet", "national")
WIDTHS = (375, 1280)


def _ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def _unavailable(what: str):
    msg = f"{what} — run scripts/browser_deps.sh (needs node/npm and Java: apt-get install nodejs npm default-jre-headless)"
    if _ci():
        pytest.fail(msg, pytrace=False)
    pytest.skip(msg)


@pytest.fixture(scope="session")
def tools():
    if not Path(CHROMIUM).exists():
        _unavailable(f"Chromium not found at {CHROMIUM}")
    if shutil.which("npm") and (not AXE.exists() or not VNU.exists() or _ci()):
        r = subprocess.run(["bash", str(REPO / "scripts" / "browser_deps.sh")], capture_output=True, text=True,
                           timeout=600, cwd=REPO)
        if r.returncode != 0:
            _unavailable(f"scripts/browser_deps.sh failed: {r.stderr.strip()[-500:]}")
    if not AXE.exists() or not VNU.exists():
        _unavailable("axe-core / vnu-jar are not installed in node_modules")
    if not shutil.which("java"):
        _unavailable("Java is needed to run the W3C Nu HTML Checker (vnu.jar)")
    return {"axe": AXE, "vnu": VNU}


@pytest.fixture(scope="session")
def site(site):
    """The shared session build (conftest.site), with the pages and PDFs checked here."""
    out, out_en = site["out"], site["out_en"]
    pages = {f"{s}.html": out / f"{s}.html" for s in ZH_SCOPES}
    pages["en/guizhou.html"] = out_en / "guizhou.html"
    pages["index.html"] = out / "index.html"
    pages["en/index.html"] = out_en / "index.html"
    pdfs = {f"{s}.pdf": out / f"{s}.pdf" for s in ZH_SCOPES}
    pdfs["en/guizhou.pdf"] = out_en / "guizhou.pdf"
    return {**site, "pages": pages, "pdfs": pdfs}


# ---------------------------------------------------------------------------------------------
# In the browser
# ---------------------------------------------------------------------------------------------

OVERFLOW_JS = """() => {
  const W = document.documentElement.clientWidth;
  const wide = [...document.querySelectorAll('body *')].filter(e => {
      const r = e.getBoundingClientRect();
      if (r.right <= W + 1) return false;
      for (let p = e.parentElement; p; p = p.parentElement) {   // clipped by a scrolling wrapper: fine
        const o = getComputedStyle(p).overflowX;
        if (o === 'auto' || o === 'scroll' || o === 'hidden') return false;
      }
      return true;
    }).slice(0, 5).map(e => e.tagName.toLowerCase() + (e.className ? '.' + e.className : '') + ' → ' + Math.round(e.getBoundingClientRect().right) + 'px');
  return {scrollWidth: document.documentElement.scrollWidth, clientWidth: W, wide};
}"""

AXE_JS = """async () => {
  const r = await axe.run(document, {resultTypes: ['violations']});
  return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.slice(0, 3).map(n => n.target.join(' ') + ': ' + (n.failureSummary || '').replace(/\\s+/g, ' ').slice(0, 240))}));
}"""

FACTS_JS = """() => ({
  lang: document.documentElement.getAttribute('lang'),
  title: document.title,
  images: [...document.images].map(i => ({alt: i.getAttribute('alt'), ok: i.complete && i.naturalWidth > 0,
                                           src: (i.getAttribute('src') || '').slice(0, 40)})),
  tables: [...document.querySelectorAll('table')].map(t => ({th: t.querySelectorAll('th').length,
                                                           caption: !!t.querySelector('caption')})),
  scripts: document.querySelectorAll('script, iframe, object, embed').length,
  // the front page's one script of its own (the search box) is counted apart
  ownScripts: [...document.querySelectorAll('script')].filter(s => !s.src && s.textContent.includes("getElementById('q')")).length,
  charts: [...document.querySelectorAll('svg.nrmc-chart')].map(s => ({role: s.getAttribute('role'),
                                                               title: (s.querySelector('title') || {}).textContent || ''})),
  bold: [...document.querySelectorAll('b[onmouseover], img[onerror]')].length,
})"""


@pytest.fixture(scope="session")
def browser_report(site, tools):
    """Every page at both widths: facts, overflow, console errors, dialogs, axe violations, screenshots."""
    from playwright.sync_api import sync_playwright

    report: dict = {}
    shots = site["root"] / "screenshots"
    shots.mkdir()
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            for name, path in site["pages"].items():
                for width in WIDTHS:
                    # axe is injected as a script at phone width, which the briefings' Content-Security-
                    # Policy (script-src 'none') rightly blocks: that context bypasses it; the other
                    # width loads the page under its policy
                    ctx = browser.new_context(viewport={"width": width, "height": 900}, offline=True,
                                              bypass_csp=width == WIDTHS[0])
                    page = ctx.new_page()
                    errors, dialogs, requests = [], [], []
                    page.on("console", lambda m, e=errors: e.append(m.text) if m.type == "error" else None)
                    page.on("pageerror", lambda exc, e=errors: e.append(str(exc)))
                    page.on("dialog", lambda d, ds=dialogs: (ds.append(d.message), d.dismiss()))
                    page.on("request", lambda req, rs=requests: rs.append(req.url)
                            if not req.url.startswith(("data:", "file:")) else None)
                    page.goto(path.as_uri(), wait_until="load")
                    facts = page.evaluate(FACTS_JS)
                    overflow = page.evaluate(OVERFLOW_JS)
                    if name in ("guizhou.html", "anhui.html"):
                        page.screenshot(path=str(shots / f"{name.replace('/', '-')}-{width}.png"), full_page=False)
                    violations = []
                    if width == WIDTHS[0]:  # axe costs seconds a page; at phone width wide tables scroll
                        page.add_script_tag(path=str(tools["axe"]))
                        violations = page.evaluate(AXE_JS)
                    report[(name, width)] = {"facts": facts, "overflow": overflow, "errors": errors,
                                             "dialogs": dialogs, "requests": requests, "axe": violations}
                    ctx.close()
        finally:
            browser.close()
    return report


def _each(report, key):
    return {f"{n}@{w}": v[key] for (n, w), v in report.items()}


def test_no_console_errors_no_scripts_run_no_network(browser_report):
    assert {k: v for k, v in _each(browser_report, "errors").items() if v} == {}
    assert {k: v for k, v in _each(browser_report, "dialogs").items() if v} == {}
    assert {k: v for k, v in _each(browser_report, "requests").items() if v} == {}
    for key, facts in _each(browser_report, "facts").items():
        allowed = facts["ownScripts"] if key.split("@")[0].endswith("index.html") else 0
        assert facts["scripts"] == allowed and facts["bold"] == 0, key
        assert allowed <= 1


def test_no_broken_images_and_charts_state_what_they_show(browser_report):
    """Charts are inline SVG with role=img (role=group on the front page's map of links) and a
    <title> that reads the data; any <img> loads and has alt text."""
    n_charts = 0
    for key, facts in _each(browser_report, "facts").items():
        for img in facts["images"]:
            assert img["ok"], (key, img)
            assert len((img["alt"] or "").strip()) >= 15, (key, img)
        for chart in facts["charts"]:
            n_charts += 1
            assert chart["role"] in ("img", "group"), (key, chart)
            title = chart["title"].strip()
            assert len(title) >= 15 and re.search(r"\d", title), (key, title)
    assert n_charts >= 10


def test_tables_have_header_cells_and_pages_have_a_language(browser_report):
    for (name, _), v in browser_report.items():
        facts = v["facts"]
        assert facts["lang"] == ("en" if name.startswith("en/") else "zh-CN"), name
        assert facts["title"].strip(), name
        for t in facts["tables"]:
            assert t["th"] > 0, name
    assert sum(len(v["facts"]["tables"]) for v in browser_report.values()) >= 10


@pytest.mark.parametrize("width", WIDTHS)
def test_no_horizontal_scrolling(browser_report, width):
    bad = {}
    for (name, w), v in browser_report.items():
        o = v["overflow"]
        if w == width and (o["scrollWidth"] > o["clientWidth"] or o["wide"]):
            bad[name] = o
    assert bad == {}


def test_axe_finds_no_serious_or_critical_violation(browser_report):
    bad = {f"{n}@{w}": [x for x in v["axe"] if x["impact"] in ("serious", "critical")]
           for (n, w), v in browser_report.items()}
    assert {k: v for k, v in bad.items() if v} == {}


def test_screenshots_were_taken(browser_report, site):
    shots = sorted(p.name for p in (site["root"] / "screenshots").glob("*.png"))
    assert "anhui.html-375.png" in shots and "guizhou.html-1280.png" in shots
    if os.environ.get("NRMC_KEEP_SCREENSHOTS"):
        dest = Path(os.environ["NRMC_KEEP_SCREENSHOTS"])
        dest.mkdir(parents=True, exist_ok=True)
        for p in (site["root"] / "screenshots").glob("*.png"):
            shutil.copy(p, dest / p.name)


# ---------------------------------------------------------------------------------------------
# HTML validity
# ---------------------------------------------------------------------------------------------

def test_html_passes_the_nu_checker(site, tools):
    files = [str(p) for p in site["pages"].values()]
    r = subprocess.run(["java", "-jar", str(tools["vnu"]), "--errors-only", "--format", "json", *files],
                       capture_output=True, text=True, timeout=600)
    report = json.loads(r.stderr or r.stdout or '{"messages": []}')
    errors = [f"{Path(m.get('url', '')).name}:{m.get('lastLine')}: {m.get('message')} | {m.get('extract', '')[:100]}"
              for m in report.get("messages", []) if m.get("type") in ("error", "non-document-error")]
    assert errors == []


# ---------------------------------------------------------------------------------------------
# Data shown as text
# ---------------------------------------------------------------------------------------------

def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def test_markup_from_the_data_is_text_in_html(site):
    import html as h

    import markupsafe

    zh = (site["out"] / "guizhou.html").read_text(encoding="utf-8")
    en = (site["out_en"] / "guizhou.html").read_text(encoding="utf-8")
    for (fname, key, column), payload in PAYLOADS.items():
        page = en if column == "name_en" else zh
        assert payload not in page, (fname, column)
        # escaped as text, in any of the equivalent forms (Jinja2/MarkupSafe writes " as &#34;)
        forms = {h.escape(payload, quote=False), h.escape(payload), str(markupsafe.escape(payload))}
        assert any(f in page for f in forms), (fname, column)
    for page in (zh, en):
        assert "<script" not in page and "onerror=alert" not in page.replace("onerror=alert(2)&gt;", "")


def test_markup_from_the_data_is_text_in_pdf(site):
    def raw(path):  # reading order, so that a table cell that wraps stays together
        return _squash(pdftext(path, mode="-raw"))

    zh, en = raw(site["out"] / "guizhou.pdf"), raw(site["out_en"] / "guizhou.pdf")
    for (fname, key, column), payload in PAYLOADS.items():
        assert _squash(payload) in (en if column == "name_en" else zh), (fname, column)


# ---------------------------------------------------------------------------------------------
# PDFs
# ---------------------------------------------------------------------------------------------

def _pdfinfo(path: Path) -> dict:
    out = subprocess.run(["pdfinfo", "-f", "1", "-l", "999", str(path)], capture_output=True, text=True,
                         check=True).stdout
    pages = int(re.search(r"^Pages:\s+(\d+)", out, re.M).group(1))
    sizes = re.findall(r"^Page\s+\d+ size:\s+([\d.]+) x ([\d.]+) pts", out, re.M)
    return {"pages": pages, "sizes": [(float(a), float(b)) for a, b in sizes]}


def test_pdf_fonts_are_embedded(site):
    for name, path in site["pdfs"].items():
        out = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout
        rows = [line.split() for line in out.splitlines()[2:] if line.strip()]
        assert rows, name
        assert [r for r in rows if r[-5] != "yes"] == [], name


def test_pdf_is_a4_on_every_page_and_text_is_extractable(site):
    names = {"anhui": "安徽", "guizhou": "贵州", "tibet": "西藏", "national": "全国", "en/guizhou": "Guizhou"}
    for name, path in site["pdfs"].items():
        info = _pdfinfo(path)
        assert info["pages"] >= 2 and len(info["sizes"]) == info["pages"], name
        for w, h in info["sizes"]:
            assert abs(w - 595.3) < 2 and abs(h - 841.9) < 2, (name, w, h)
        text = pdftext(path)
        assert names[name.removesuffix(".pdf")] in text and len(_squash(text)) > 1500, name


FOOTER = re.compile(r"(第\s*\d+\s*页，共\s*\d+\s*页|Page\s+\d+\s+of\s+\d+)\s*$")


def page_body_lines(path: Path, n: int) -> list[str]:
    """Text lines of page n without the running footer."""
    lines = [line.strip() for line in pdftext(path, n).splitlines() if line.strip()]
    return [line for line in lines if not FOOTER.search(line)]


def ink(path: Path, n: int, tmp: Path) -> float:
    """Share of non-white pixels of page n outside the footer band (charts are vector art, not text)."""
    prefix = tmp / f"p{n}"
    subprocess.run(["pdftoppm", "-gray", "-r", "24", "-f", str(n), "-l", str(n), "-singlefile", str(path),
                    str(prefix)], check=True, capture_output=True)
    raw = (tmp / f"p{n}.pgm").read_bytes()
    m = re.match(rb"P5\s+(\d+)\s+(\d+)\s+(\d+)\s", raw)
    w, h = int(m.group(1)), int(m.group(2))
    pixels = raw[m.end():m.end() + w * h][: w * int(h * 0.93)]  # drop the footer band
    return sum(1 for b in pixels if b < 200) / max(1, len(pixels))


def headings_of(html_path: Path) -> set[str]:
    import html as h

    page = html_path.read_text(encoding="utf-8")
    return {_squash(h.unescape(re.sub(r"<[^>]+>", "", m))) for m in re.findall(r"<h[1-4][^>]*>(.*?)</h[1-4]>", page, re.S)}


def lonely_pages(pdf: Path, html_path: Path, tmp: Path) -> list[tuple[int, list[str]]]:
    """Pages that are blank or hold nothing but headings (besides the running footer)."""
    heads = headings_of(html_path)
    out = []
    for n in range(1, _pdfinfo(pdf)["pages"] + 1):
        body = page_body_lines(pdf, n)
        if all(_squash(line) in heads for line in body) and ink(pdf, n, tmp) < 0.03:
            out.append((n, body))
    return out


def test_no_pdf_page_holds_only_a_heading(site, tmp_path):
    lonely = {name: pages for name, path in site["pdfs"].items()
              if (pages := lonely_pages(path, path.with_suffix(".html"), tmp_path))}
    assert lonely == {}


def test_the_page_check_sees_a_lonely_heading(site, tmp_path):
    """The check itself: a heading pushed onto a page of its own is found."""
    from nrmc.export import html_to_pdf

    page = ("<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>t</title></head><body>"
            "<h2>Filler</h2>" + "<p>filler line</p>" * 40 + "<h2 style='break-before: page'>Alone here</h2>"
            "</body></html>")
    html_path = tmp_path / "lonely.html"
    html_path.write_text(page, encoding="utf-8")
    pdf = tmp_path / "lonely.pdf"
    pdf.write_bytes(html_to_pdf(page, footer_title="t", lang="en"))
    assert [n for n, _ in lonely_pages(pdf, html_path, tmp_path)] == [_pdfinfo(pdf)["pages"]]
