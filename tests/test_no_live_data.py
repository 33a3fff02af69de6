"""No data field can run code or reorder what a reader sees (issue 21, point 1), property-based.

Hypothesis draws a hostile payload — markup, event handlers, `javascript:`, `file:` and outside
links, template and format syntax, entity-encoded bidi controls, and sometimes a raw bidi control
or zero-width character — and puts it into EVERY free-text column of EVERY table of the minimal
dataset at once (key columns changed together, province names kept unique). Then:

- with a raw bidi or zero-width character, `nrmc validate` refuses the data, naming the cells, and
  the preview's page that lists those problems shows them escaped (no raw control, nothing live);
- otherwise every output is checked for anything live or reordered: the HTML of the national
  briefing and of two provinces (composed in process through tests/compose.py, their charts'
  inline SVG included), the front page (and its Content-Security-Policy, which allows its own
  script by hash and nothing else), and the preview's served copy of a page.

"Live" means: an element or attribute the same dataset with a harmless payload does not produce,
any event-handler attribute, a link or resource (href, src, xlink:href, action …) that is not one
of the build's own, a style that loads something, a template or format string evaluated. The PDF
(links and text) is checked once, end to end, in test_the_printed_briefing_has_no_live_link.
"""
from __future__ import annotations

import csv
import functools
import hashlib
import base64
import re
import shutil
import subprocess
import tempfile
import zlib
from collections import Counter
from html.parser import HTMLParser
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

import nrmc
from nrmc.data import TABLES, DataValidationError
from compose import compose_html
from conftest import MINIMAL, ROOT

MARK = "nrmcx"
# What an attacker or a careless paste would put in a name, a label, a quote or a note.
FRAGMENTS = [
    f"<img src=x onerror={MARK}()>", f"<script>{MARK}()</script>", f'<a href="javascript:{MARK}()">{MARK}</a>',
    f'<a href="file:///etc/passwd">{MARK}</a>', f'<a href="https://evil.example/{MARK}">here</a>',
    f"javascript:{MARK}()", "file:///etc/passwd", f"https://evil.example/{MARK}", f"<svg onload={MARK}()>",
    f'"><{MARK}>', f"'><{MARK} x='", f"</title><{MARK}>", f"</style><{MARK}>", f"</textarea><{MARK}>", "<!--", "-->",
    "]]>", "<![CDATA[", f"{MARK}{{{{7*7}}}}", f"{MARK}${{7*7}}", f"{MARK}%(x)s", f"$\\{MARK}$", "{0}", "%s",
    f"&lt;{MARK}&gt;", "&#x202E;", "&#8238;", f"&#60;{MARK}&#62;", f"<{MARK} onclick={MARK}()>",
    f'<iframe srcdoc="<script>{MARK}()</script>">', f"<math><mtext><{MARK}></mtext></math>",
    f"<style>*{{background:url(https://evil.example/{MARK})}}</style>", "@import url(https://evil.example/x.css);",
    '<base href="https://evil.example/">', '<meta http-equiv="refresh" content="0;url=https://evil.example/">',
    '<form action="https://evil.example/"><input name=q></form>', f'<object data="https://evil.example/{MARK}">',
    f"<use href='https://evil.example/x.svg#{MARK}'/>", f"<foreignObject><{MARK}/></foreignObject>",
    f"<a xlink:href='javascript:{MARK}()'>x</a>", "\\u202e", "[x](javascript:alert(1))", f"**{MARK}**",
]
# Characters that reorder or hide text: validation refuses each of them in any column.
REORDERING = ["\u202e", "\u202d", "\u202a", "\u202b", "\u202c", "\u2066", "\u2067", "\u2068", "\u2069", "\u200e",
              "\u200f", "\u061c", "\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad"]
REORDER_RE = re.compile("[" + "".join(REORDERING) + "\u2028\u2029]")

# hospital and city names are keys other tables refer to: changed together, only where non-empty
KEYS = {("hospitals", "name_zh"): [("centers", "output_hospital_zh"), ("centers", "host_hospital_zh"),
                                   ("centers", "host_hospital_zh_corrected")],
        ("cities", "name_zh"): [("centers", "city_zh"), ("provincial_centers", "city_zh")]}
REFERRING = {ref for refs in KEYS.values() for ref in refs}
UNITS = {("metrics", "unit"), ("metric_definitions", "unit")}  # a vocabulary, not free text
# looked up by name (nrmc build NAME): each line gets a short payload of its own
NAME_FORMS = {("provinces", c) for c in ("name_zh", "name_zh_short", "abbr_zh", "abbr_zh_alt", "name_en", "aliases")}


def free_text_columns(table: str) -> list[str]:
    return [c for c, col in TABLES[table].items() if col.kind == "str" and (table, c) not in UNITS]


def hostile_dataset(dest: Path, payload: str) -> Path:
    """The minimal dataset with `payload` appended to (or filling) every free-text cell."""
    shutil.copytree(MINIMAL, dest)
    renamed: dict[tuple[str, str], dict[str, str]] = {}
    tables = {}
    for table in TABLES:
        path = dest / f"{table}.csv"
        if not path.exists():
            continue
        with open(path, encoding="utf-8", newline="") as f:
            tables[table] = list(csv.reader(f))
    for table, rows in tables.items():
        header = rows[0]
        for col in free_text_columns(table):
            if col not in header or (table, col) in REFERRING:
                continue
            j = header.index(col)
            for line, row in enumerate(rows[1:], start=2):
                if (table, col) in NAME_FORMS:
                    new = f"{row[j]} <b>{MARK}{line}</b>".strip() if col != "aliases" else f"<i>{MARK}{line}"
                elif row[j] == "" and ((table, col) in KEYS or (table == "centers" and col == "city_zh")):
                    continue
                else:
                    new = f"{row[j]} {payload}" if row[j] else payload
                if (table, col) in KEYS:
                    renamed.setdefault((table, col), {})[row[j]] = new
                row[j] = new
    for key, refs in KEYS.items():
        for table, col in refs:
            rows = tables.get(table)
            if not rows or col not in rows[0]:
                continue
            j = rows[0].index(col)
            for row in rows[1:]:
                if row[j]:
                    row[j] = renamed.get(key, {}).get(row[j], row[j])
    for table, rows in tables.items():
        with open(dest / f"{table}.csv", "w", encoding="utf-8", newline="") as f:
            csv.writer(f, lineterminator="\n").writerows(rows)
    return dest


# ---------------------------------------------------------------------------------------------
class Page(HTMLParser):
    """Every element and attribute a browser would build from a page, and its text."""

    URL_ATTRS = {"href", "src", "xlink:href", "action", "formaction", "srcdoc", "data", "poster", "background",
                 "srcset", "ping", "manifest", "codebase", "cite", "longdesc"}

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.tags: Counter = Counter()
        self.attrs: list[tuple[str, str, str]] = []
        self.text: list[str] = []
        self.styles: list[str] = []
        self.scripts: list[str] = []
        self._in: list[str] = []
        self.feed(html)
        self.close()

    def handle_starttag(self, tag, attrs):
        self.tags[tag] += 1
        self.attrs += [(tag, k, v or "") for k, v in attrs]
        if tag in ("style", "script"):
            self._in.append(tag)

    def handle_startendtag(self, tag, attrs):
        self.tags[tag] += 1
        self.attrs += [(tag, k, v or "") for k, v in attrs]

    def handle_endtag(self, tag):
        if self._in and self._in[-1] == tag:
            self._in.pop()

    def handle_data(self, data):
        if self._in and self._in[-1] == "style":
            self.styles.append(data)
        elif self._in and self._in[-1] == "script":
            self.scripts.append(data)
        else:
            self.text.append(data)


def own_link(value: str) -> bool:
    """A link or resource of the build's own: an anchor in the page, another briefing, front page or
    download (xlsx, csv) of the output folder, an inline image, or a chart's own definitions."""
    v = value.strip()
    return (v.startswith("#") or bool(re.fullmatch(r"(\.\./)?([a-z]+/)?[a-z-]+\.(html|pdf|xlsx|csv)(#[\w-]+)?", v))
            or v.startswith("data:image/") or v == "")


# elements that run, load or submit something; a briefing has none of them (its SVG neither; its
# buttons only open a popover of evidence, declared in HTML)
ACTIVE = {"script", "iframe", "frame", "object", "embed", "img", "image", "base", "form", "input",
          "foreignobject", "math", "link", "audio", "video", "source", "track", "portal", "applet", "animate", "set"}


def nothing_live(html: str, allowed_tags: set[str] | None, where: str, sources: set[str] = frozenset()) -> Page:
    """Assert that `html` holds nothing live or reordering (see the module docstring). With
    `allowed_tags` None, any element but an ACTIVE one (and a page's own script) may appear.
    `sources`: the links sources.csv gives (validated), which a page may link to."""
    page = Page(html)
    marked = [t for t in page.tags if MARK in t]
    assert not marked, f"{where}: elements from the data: {marked}"
    if allowed_tags is not None:
        new_tags = set(page.tags) - allowed_tags
        assert not new_tags, f"{where}: elements from the data: {new_tags}"
    else:
        active = set(page.tags) & ACTIVE - {"script"}
        assert not active, f"{where}: active elements {active}"
    handlers = [(t, k) for t, k, _ in page.attrs if k.lower().startswith("on")]
    assert not handlers, f"{where}: event handlers {handlers}"
    links = [(t, k, v) for t, k, v in page.attrs if k.lower() in Page.URL_ATTRS and not own_link(v)
             and not (t == "a" and k == "href" and v in sources)]
    assert not links, f"{where}: links or resources that are not the build's own: {links[:5]}"
    for t, k, v in page.attrs:
        assert MARK not in k and not (k == "style" and ("url(" in v or "@import" in v)), (where, t, k, v)
        if t == "meta" and k == "http-equiv":
            assert v.lower() == "content-security-policy", (where, v)
    assert "base" not in page.tags, where
    for css in page.styles:
        assert "evil.example" not in css and MARK not in css, f"{where}: a style from the data"
    for js in page.scripts:
        assert MARK not in js, f"{where}: a script from the data"
    text = "".join(page.text)
    assert f"{MARK}49" not in text, f"{where}: a template was evaluated"
    assert not REORDER_RE.search(html), f"{where}: a character that reorders text reached the page"
    assert not REORDER_RE.search(text), f"{where}: a character that reorders text reached the page's text"
    return page


# ---------------------------------------------------------------------------------------------
SCOPES = ("national", "anhui", "guizhou")


def front_page(lang: str, data: Path, error: str = "") -> str:
    from nrmc.build import resolve_scopes
    from nrmc.frontpage import render_frontpage

    entries = []
    for s in resolve_scopes(None, data):
        entries.append({"slug": s.slug, "kind": s.kind, "code": s.code, "name_zh": s.name_zh, "name_en": s.name_en,
                        "status": "failed" if s.slug == "anhui" else "ok", "error": error, "cell": 3,
                        "links": {"html": f"{s.slug}.html", "pdf": f"{s.slug}.pdf"},
                        "meta": {"centres_text": s.name_en, "window": s.name_zh}})
    return render_frontpage(lang, entries, data_dir=data)


def served(page: str, notice_items: list[str]) -> str:
    from nrmc import preview as pv

    return pv.inject(page, "server", pv.notice_html("The data has problems", notice_items) if notice_items else "")


def wrapped(body: str, title: str) -> str:
    """A composed briefing in a page with the briefing's own policy (as the exporter writes it)."""
    import html as _h

    tpl = (ROOT / "src" / "nrmc" / "templates" / "nrmc_briefing" / "index.html.j2").read_text(encoding="utf-8")
    csp = re.search(r'<meta http-equiv="Content-Security-Policy" content="[^"]+">', tpl).group(0)
    return (f"<!DOCTYPE html><html><head><meta charset='utf-8'>{csp}<title>{_h.escape(title)}</title></head>"
            f"<body>{body}</body></html>")


@functools.lru_cache(maxsize=2)
def allowed_tags(lang: str) -> frozenset[str]:
    """The elements the same cells filled with harmless text produce (and the page around them)."""
    with tempfile.TemporaryDirectory() as tmp:
        d = hostile_dataset(Path(tmp) / "data", "plain words")
        tags: set[str] = set()
        for scope in SCOPES:
            tags |= set(Page(wrapped(compose_html(scope, lang, d), "t")).tags)
        tags |= set(Page(served(front_page(lang, d, "plain words"), ["plain words"])).tags)
    return frozenset(tags)


payloads = st.lists(st.sampled_from(FRAGMENTS), min_size=1, max_size=4).map(" ".join)
reordering = st.one_of(st.none(), st.sampled_from(REORDERING))


@settings(max_examples=3, deadline=None, suppress_health_check=list(HealthCheck), print_blob=True)
@given(payload=payloads, bad=reordering, lang=st.sampled_from(["zh", "en"]))
@example(payload=" ".join(FRAGMENTS[:8]), bad=None, lang="en")  # every run: markup and links …
@example(payload=f"412 {FRAGMENTS[0]}", bad="\u202e", lang="zh")  # … and the red team's 412 read as 214
def test_no_data_field_runs_code_or_reorders_text(payload, bad, lang):
    if bad:  # in the middle of the payload, where a cell's stripping cannot remove it
        payload = f"{payload[:len(payload) // 2]}{bad}{payload[len(payload) // 2:]}"
    with tempfile.TemporaryDirectory() as tmp:
        d = hostile_dataset(Path(tmp) / "data", payload)
        if bad:
            with pytest.raises(DataValidationError) as info:
                nrmc.load(d)
            probs = info.value.problems
            hit = {p.file for p in probs if f"U+{ord(bad):04X}" in p.reason}
            changed = {f"{t}.csv" for t in TABLES if (d / f"{t}.csv").exists() and
                       [c for c in free_text_columns(t) if (t, c) not in NAME_FORMS and (t, c) not in REFERRING]}
            assert hit >= changed, (sorted(changed - hit), probs[:5])
            # the preview lists the problems on its pages: escaped, nothing live, nothing reordered
            page = served(wrapped("<p>last good briefing</p>", "t"), [str(p) for p in probs])
            nothing_live(page, allowed_tags(lang) | {"strong", "ul", "li", "p", "div", "script"}, "preview notice")
            return
        nrmc.load(d)
        allowed = allowed_tags(lang)
        composed = {}
        for scope in SCOPES:
            html = composed[scope] = compose_html(scope, lang, d)
            page = nothing_live(wrapped(html, payload), allowed, f"{scope} ({lang})")
            if scope != "national":
                assert MARK in "".join(page.text), "the payload reached the briefing as text"
            for svg in re.findall(r"<svg\b.*?</svg>", html, flags=re.S):  # each chart, parsed on its own
                chart = Page(svg)
                assert not set(chart.tags) & {"foreignobject", "script", "a", "image", "iframe"}, chart.tags
                assert not [v for _, k, v in chart.attrs if k.endswith("href") and not v.startswith("#")]
        front = front_page(lang, d, error=payload)
        nothing_live(front, allowed, f"front page ({lang})")
        nothing_live(served(front, [payload]), allowed, f"served front page ({lang})")
        nothing_live(served(wrapped(composed["anhui"], payload), [payload]), allowed,
                     f"served briefing ({lang})")


def test_the_front_page_allows_its_own_script_and_nothing_else():
    """Its Content-Security-Policy allows the one script it carries, by hash, and no request."""
    page = front_page("en", MINIMAL)
    m = re.search(r'<meta http-equiv="Content-Security-Policy" content="([^"]+)">', page)
    assert m and page.index(m.group(0)) < page.index("<title>")
    policy = {d.split()[0]: d.split()[1:] for d in m.group(1).split(";") if d.strip()}
    assert policy["default-src"] == ["'none'"] and "connect-src" not in policy
    scripts = Page(page).scripts
    assert len(scripts) == 1
    digest = "sha256-" + base64.b64encode(hashlib.sha256(scripts[0].encode("utf-8")).digest()).decode()
    assert policy["script-src"] == [f"'{digest}'"]
    assert "'unsafe-inline'" not in policy["script-src"] and "'unsafe-eval'" not in policy["script-src"]
    # served by the preview: its reload script is allowed by a nonce, the page's own by its hash
    s = served(page, [])
    m2 = re.search(r'<meta http-equiv="Content-Security-Policy" content="([^"]+)">', s)
    served_policy = {d.split()[0]: d.split()[1:] for d in m2.group(1).split(";") if d.strip()}
    nonce = re.search(r'<script data-nrmc-preview nonce="([^"]+)">', s).group(1)
    assert served_policy["script-src"] == [f"'{digest}'", f"'nonce-{nonce}'"]
    assert served_policy["connect-src"] == ["'self'"]


# ---------------------------------------------------------------------------------------------
# The PDF: once, end to end (a real build with the real notebooks and Chromium)
# ---------------------------------------------------------------------------------------------
PDF_PAYLOAD = " ".join([f"<img src=x onerror={MARK}()>", f'<a href="javascript:{MARK}()">{MARK}</a>',
                        f'<a href="file:///etc/passwd">{MARK}file</a>', f'<a href="https://evil.example/{MARK}">{MARK}out</a>',
                        "&#x202E;412", f"{MARK}{{{{7*7}}}}"])


def pdf_uris(path: Path) -> list[str]:
    """Every /URI a link annotation of the PDF points to (in plain and in compressed objects)."""
    raw = path.read_bytes()
    chunks = [raw]
    for m in re.finditer(rb"stream\r?\n", raw):
        end = raw.find(b"endstream", m.end())
        try:
            chunks.append(zlib.decompress(raw[m.end():end]))
        except zlib.error:
            continue
    uris = []
    for c in chunks:
        uris += [u.decode("latin-1") for u in re.findall(rb"/URI\s*\(((?:\\.|[^\\)])*)\)", c)]
    return uris


@pytest.mark.e2e
def test_the_printed_briefing_has_no_live_link(tmp_path):
    from conftest import nrmc_cli, pdftext

    d = hostile_dataset(tmp_path / "data", PDF_PAYLOAD)
    good = "https://www.nhc.gov.cn/nrmc-test/page.html"  # a source's own link: the one kind allowed
    with open(d / "sources.csv", encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))
    for row in rows[1:]:
        row[rows[0].index("url")] = good
    with open(d / "sources.csv", "w", encoding="utf-8", newline="") as f:
        csv.writer(f, lineterminator="\n").writerows(rows)
    nrmc.load(d)
    out = tmp_path / "out"
    r = nrmc_cli("build", "anhui", "--lang", "en", "--out", out, "--data", d, timeout=1500)
    assert r.returncode == 0, r.stdout + r.stderr
    pdf = out / "en" / "anhui.pdf"
    uris = pdf_uris(pdf)
    assert good in uris  # the links are read (a source's link is live, as it should be)
    bad = [u for u in uris if u != good]
    assert not bad, bad
    text = pdftext(pdf)
    assert f"onerror={MARK}()" in text.replace(" ", "") or f"onerror={MARK}" in text  # printed as text
    assert not REORDER_RE.search(text) and f"{MARK}49" not in text
    html = (out / "en" / "anhui.html").read_text(encoding="utf-8")
    nothing_live(html, None, "built HTML", sources={good})
