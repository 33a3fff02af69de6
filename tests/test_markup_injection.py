"""Markup in a data field is text: a province's English name carrying a tag (the red team's case:
`name_en` = `Anhui<img src=x onerror=alert(1)>`, which passed `nrmc validate` and was live in the
English Anhui briefing through an f-string inside Markup) is printed escaped wherever it appears,
and the printer runs no script of the page."""
from __future__ import annotations

import csv
import io
import shutil
from html.parser import HTMLParser

import pytest

from nrmc.assemble import compose_html
from nrmc.context import Briefing
from conftest import ROOT

DATA = ROOT / "data"

PAYLOAD = 'Anhui<img src=x onerror=alert(1)><a href="javascript:alert(2)">x</a>'


@pytest.fixture(scope="module")
def hostile_data(tmp_path_factory):
    dest = tmp_path_factory.mktemp("hostile") / "data"
    shutil.copytree(DATA, dest)
    path = dest / "provinces.csv"
    rows = list(csv.DictReader(path.open(encoding="utf-8")))
    for r in rows:
        if r["code"] == "340000":
            r["name_en"] = PAYLOAD
    out = io.StringIO()
    w = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\n")
    w.writeheader()
    w.writerows(rows)
    path.write_text(out.getvalue(), encoding="utf-8")
    return dest


class LiveMarkup(HTMLParser):
    """Every element and attribute a browser would build from the page (text is not markup)."""

    def __init__(self):
        super().__init__()
        self.tags: list[str] = []
        self.handlers: list[str] = []
        self.links: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.handlers += [k for k, _ in attrs if k.startswith("on")]
        self.links += [v or "" for k, v in attrs if k in ("href", "src", "xlink:href")]


def live(html: str) -> LiveMarkup:
    p = LiveMarkup()
    p.feed(html)
    return p


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_markup_in_a_province_name_is_text_everywhere(hostile_data, lang):
    html = compose_html(Briefing("340000", lang=lang, data_dir=str(hostile_data)))
    found = live(html)
    assert "img" not in found.tags and not found.handlers
    assert not [u for u in found.links if u.strip().lower().startswith(("javascript:", "data:", "file:", "vbscript:"))]
    if lang == "en":  # the name is printed, as text
        assert "Anhui&lt;img src=x onerror=alert(1)&gt;" in html


@pytest.mark.e2e
def test_the_pdf_printer_runs_no_script_of_the_page(tmp_path):
    """Even a page that carries a script and an event handler (as an injected tag would) prints as
    written: the printer's browser has JavaScript off; only its own layout measurement runs."""
    import subprocess

    from nrmc.export import html_to_pdf

    page = ("<!DOCTYPE html><html><head><meta charset='utf-8'><title>t</title></head><body>"
            "<p id='x'>printed as written</p><img src='x' onerror=\"document.body.textContent='ONERROR RAN'\">"
            "<script>document.body.textContent='SCRIPT RAN'</script></body></html>")
    pdf = tmp_path / "t.pdf"
    pdf.write_bytes(html_to_pdf(page))
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert "printed as written" in text
    assert "RAN" not in text


@pytest.mark.e2e
def test_every_built_briefing_forbids_scripts_and_requests(site):
    """Each built briefing states a Content-Security-Policy that allows no script and no request."""
    import re

    pages = sorted(site["out"].rglob("*.html"))
    briefings = [p for p in pages if p.name != "index.html"]
    assert briefings
    for page in briefings:
        html = page.read_text(encoding="utf-8")
        m = re.search(r'<meta http-equiv="Content-Security-Policy" content="([^"]+)"', html)
        assert m, page
        policy = {d.split()[0]: d.split()[1:] for d in m.group(1).split(";") if d.strip()}
        assert policy["default-src"] == ["'none'"] and policy["script-src"] == ["'none'"], page
        assert "<script" not in html, page
