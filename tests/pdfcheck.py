"""Helpers that look at a printed PDF the way a reader (or a PDF viewer) does; no tests in here.

All of them shell out to poppler-utils (`pdftotext`, `pdffonts`, `pdfinfo`, `pdftohtml`,
`pdftoppm`; `sudo apt-get install poppler-utils`, which `make test` does):

- `page_texts(pdf)`          text of each page (pdftotext), a list indexed from page 1 at [0]
- `kangxi_chars(pdf)`        characters in U+2E80–U+2FDF (radicals copied instead of 人口心 …)
- `fonts(pdf)`               pdffonts as dicts: name, type, encoding, emb, sub, uni, object
- `outline(pdf)`             bookmarks as (level, title, page), level 1 at the top
- `info(pdf)`, `lang(pdf)`   pdfinfo fields; the catalog's /Lang
- `blank_fraction(pdf)`      per page, the share of the printable area's height left empty
- `content_fill(pdf)`        per page, how far down the printable area its content reaches
- `page_of(pdf, text)`       first page (from 1) whose text holds `text`, whitespace ignored
- `html_headings(html)`      headings, table captions and chart titles the HTML declares
- `orphans(pdf, headings)`   headings/captions/chart titles left last on a page

Pages are numbered from 1 everywhere except in the lists returned per page.
"""
from __future__ import annotations

import html as _html
import os
import re
import subprocess
import tempfile
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path

MM = 72 / 25.4  # PDF points per millimetre
# The briefing's page margins (nrmc.export.PDF_MARGIN): the footer is printed inside the bottom one.
MARGINS_MM = {"top": 16.0, "bottom": 18.0, "left": 15.0, "right": 15.0}
KANGXI = (0x2E80, 0x2FDF)  # CJK Radicals Supplement + Kangxi Radicals

PathLike = str | os.PathLike


def _run(*args: str) -> str:
    try:
        return subprocess.run(list(args), capture_output=True, text=True, check=True, timeout=120).stdout
    except FileNotFoundError as err:
        raise RuntimeError(f"{args[0]} is missing: sudo apt-get install poppler-utils") from err


def squash(text: str) -> str:
    """`text` without any whitespace (pdftotext breaks lines and spaces CJK text its own way)."""
    return re.sub(r"\s+", "", text)


# ---------------------------------------------------------------------------------------------
# Text
# ---------------------------------------------------------------------------------------------

def page_texts(pdf: PathLike) -> list[str]:
    """The text of every page (pdftotext, reading order); [0] is page 1."""
    pages = _run("pdftotext", "-enc", "UTF-8", str(pdf), "-").split("\f")
    n = info(pdf)["pages"]
    return (pages + [""] * n)[:n]  # pdftotext ends every page with \f, so there is one piece more


def kangxi_chars(pdf: PathLike) -> str:
    """Every character of the PDF's text in U+2E80–U+2FDF, in order (empty when all is well)."""
    return "".join(c for c in "".join(page_texts(pdf)) if KANGXI[0] <= ord(c) <= KANGXI[1])


def page_of(pdf: PathLike, text: str) -> int | None:
    """The first page (from 1) whose text contains `text`, ignoring whitespace; None if none."""
    needle = squash(text)
    for n, page in enumerate(page_texts(pdf), start=1):
        if needle in squash(page):
            return n
    return None


# ---------------------------------------------------------------------------------------------
# Fonts, metadata, outline
# ---------------------------------------------------------------------------------------------

def fonts(pdf: PathLike) -> list[dict]:
    """pdffonts, one dict per font: name, type, encoding (str), emb, sub, uni (bool), object (int).

    The columns are cut where pdffonts' dashed rule says, since names and types contain spaces."""
    lines = _run("pdffonts", str(pdf)).splitlines()
    if len(lines) < 2:
        return []
    spans = [(m.start(), m.end()) for m in re.finditer(r"-+", lines[1])]
    keys = ["name", "type", "encoding", "emb", "sub", "uni", "object"]
    rows = []
    for line in lines[2:]:
        if not line.strip():
            continue
        cells = [line[a:b + 1].strip() if i < len(spans) - 1 else line[a:].strip()
                 for i, (a, b) in enumerate(spans)]
        row = dict(zip(keys, cells))
        for k in ("emb", "sub", "uni"):
            row[k] = row.get(k) == "yes"
        obj = (row.get("object") or "").split()
        row["object"] = int(obj[0]) if obj and obj[0].isdigit() else None
        rows.append(row)
    return rows


def info(pdf: PathLike) -> dict:
    """pdfinfo as a dict (keys lower-cased, spaces as _); `pages` is an int, `tagged` a bool."""
    out = {}
    for line in _run("pdfinfo", "-enc", "UTF-8", str(pdf)).splitlines():
        key, sep, value = line.partition(":")
        if sep:
            out[key.strip().lower().replace(" ", "_")] = value.strip()
    out["pages"] = int(out.get("pages", "0") or 0)
    out["tagged"] = out.get("tagged") == "yes"
    return out


_LANG = re.compile(rb"/Lang\s*(\((?:[^()\\]|\\.)*\)|<[0-9A-Fa-f\s]*>)")


def lang(pdf: PathLike) -> str | None:
    """The document's /Lang (Chromium writes it into the uncompressed catalog when tagging)."""
    m = _LANG.search(Path(pdf).read_bytes())
    if not m:
        return None
    raw = m.group(1)
    if raw.startswith(b"<"):
        data = bytes.fromhex(re.sub(rb"\s", b"", raw[1:-1]).decode())
        return data[2:].decode("utf-16-be") if data.startswith(b"\xfe\xff") else data.decode("latin-1")
    return re.sub(rb"\\(.)", rb"\1", raw[1:-1]).decode("latin-1")


def outline(pdf: PathLike) -> list[tuple[int, str, int]]:
    """The PDF's outline (bookmarks) in order, as (level, title, page), level 1 at the top."""
    xml = _run("pdftohtml", "-xml", "-i", "-q", "-stdout", "-enc", "UTF-8", str(pdf))
    start = xml.find("<outline")
    if start < 0:
        return []
    end = xml.rfind("</outline>") + len("</outline>")
    root = ET.fromstring(xml[start:end])
    items: list[tuple[int, str, int]] = []

    def walk(node, level):
        for child in node:
            if child.tag == "item":
                page = child.get("page")
                items.append((level, "".join(child.itertext()).strip(), int(page) if page and page.isdigit() else 0))
            elif child.tag == "outline":
                walk(child, level + 1)

    walk(root, 1)
    return items


# ---------------------------------------------------------------------------------------------
# Layout: blank space, orphaned headings
# ---------------------------------------------------------------------------------------------

def _pgm(path: Path) -> tuple[int, int, bytes]:
    raw = path.read_bytes()
    m = re.match(rb"P5\s+(\d+)\s+(\d+)\s+(\d+)\s", raw)
    if not m:
        raise ValueError(f"not a binary PGM: {path}")
    w, h = int(m.group(1)), int(m.group(2))
    return w, h, raw[m.end():m.end() + w * h]


def blank_fraction(pdf: PathLike, *, margins_mm: dict | None = None, min_gap_mm: float = 10.0,
                   dpi: int = 40, white: int = 250) -> list[float]:
    """For each page, the share of the printable area's height that is blank.

    The page is rasterised in grey (`pdftoppm -r 40 -gray`) and cut to the area inside the page
    margins, which leaves out the running footer printed in the bottom margin. A row is blank when
    every pixel is near white (a shaded box is content); only runs of blank rows at least
    `min_gap_mm` high count, so the space between lines and paragraphs does not.
    A full page gives about 0, an empty one 1.0, a page whose lower half is empty about 0.5.
    """
    m = {**MARGINS_MM, **(margins_mm or {})}
    px_per_mm = dpi / 25.4
    min_gap = max(1, round(min_gap_mm * px_per_mm))
    out: list[float] = []
    with tempfile.TemporaryDirectory(prefix="pdfcheck-") as tmp:
        _run("pdftoppm", "-r", str(dpi), "-gray", str(pdf), os.path.join(tmp, "p"))
        for page in sorted(Path(tmp).glob("p-*.pgm"), key=lambda p: int(p.stem.rsplit("-", 1)[1])):
            w, h, pixels = _pgm(page)
            x0, x1 = round(m["left"] * px_per_mm), w - round(m["right"] * px_per_mm)
            y0, y1 = round(m["top"] * px_per_mm), h - round(m["bottom"] * px_per_mm)
            blank_rows = run = 0
            for y in range(y0, y1):
                row = pixels[y * w + x0:y * w + x1]
                if min(row) >= white:
                    run += 1
                    continue
                if run >= min_gap:
                    blank_rows += run
                run = 0
            if run >= min_gap:
                blank_rows += run
            out.append(blank_rows / max(1, y1 - y0))
    return out


def _lines(pdf: PathLike) -> list[dict]:
    """Every text line of `pdftotext -bbox-layout`: page (from 1), y0, y1, text, page height."""
    xhtml = _run("pdftotext", "-bbox-layout", "-enc", "UTF-8", str(pdf), "-")
    xhtml = re.sub(r"<!DOCTYPE[^>]*>", "", xhtml)
    xhtml = re.sub(r'\sxmlns="[^"]*"', "", xhtml, count=1)
    root = ET.fromstring(xhtml)
    lines = []
    for n, page in enumerate(root.iter("page"), start=1):
        height = float(page.get("height", 842))
        for line in page.iter("line"):
            words = [w.text or "" for w in line.iter("word")]
            lines.append({"page": n, "y0": float(line.get("yMin")), "y1": float(line.get("yMax")),
                          "x0": float(line.get("xMin")), "text": squash("".join(words)), "height": height})
    return lines


def orphans(pdf: PathLike, headings: list[str], *, margins_mm: dict | None = None) -> list[tuple[int, str]]:
    """Headings, captions and chart titles that end a page: nothing but other headings below them.

    `headings` are the texts the HTML declares (see `html_headings`). A heading is found on a page
    as one or more consecutive text lines of `pdftotext -bbox-layout` whose text, without
    whitespace, is exactly the heading's. It is an orphan when no other text line of the page's
    printable area (the running footer is in the bottom margin and ignored) lies below it, except
    lines of other headings. Returns (page, heading) in page order.
    """
    m = {**MARGINS_MM, **(margins_mm or {})}
    wanted = {squash(h) for h in headings if squash(h)}
    found: list[tuple[int, str]] = []
    by_page: dict[int, list[dict]] = {}
    for line in _lines(pdf):
        top, bottom = m["top"] * MM, line["height"] - m["bottom"] * MM
        if line["text"] and line["y0"] >= top - 1 and line["y1"] <= bottom + 1:
            by_page.setdefault(line["page"], []).append(line)
    for page, lines in sorted(by_page.items()):
        lines.sort(key=lambda ln: (ln["y0"], ln["x0"]))
        matches: list[tuple[int, int, str]] = []  # (first line, last line, heading)
        for i in range(len(lines)):
            text = ""
            for j in range(i, min(i + 4, len(lines))):  # a heading wraps over 4 lines at most
                text += lines[j]["text"]
                if text in wanted:
                    matches.append((i, j, text))
                    break
                if not any(h.startswith(text) for h in wanted):
                    break
        heading_lines = {k for i, j, _ in matches for k in range(i, j + 1)}
        for i, j, text in matches:
            below = [k for k, ln in enumerate(lines) if k not in heading_lines and ln["y0"] >= lines[j]["y1"] - 1]
            if not below:
                found.append((page, text))
    return found


# ---------------------------------------------------------------------------------------------
# What the HTML declares
# ---------------------------------------------------------------------------------------------

def _first_sentence(text: str) -> str:
    text = " ".join(text.split())
    m = re.match(r"(.+?)(?:。|\.\s|\.$)", text)
    return (m.group(1) if m else text).strip()


class _Headings(HTMLParser):
    TEXT_TAGS = {"h1", "h2", "h3", "caption", "figcaption"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.stack: list[list] = []  # [tag, parts]
        self.figure = 0
        self.svg_title = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "figure":
            self.figure += 1
        if tag in self.TEXT_TAGS:
            self.stack.append([tag, []])
        elif self.figure and tag == "img" and a.get("alt"):
            self.out.append(_first_sentence(a["alt"]))
        elif self.figure and tag in ("div", "svg") and a.get("aria-label"):
            self.out.append(_first_sentence(a["aria-label"]))
        elif tag == "title" and self.figure:
            self.stack.append([tag, []])

    def handle_endtag(self, tag):
        if tag == "figure":
            self.figure = max(0, self.figure - 1)
        if self.stack and self.stack[-1][0] == tag:
            _, parts = self.stack.pop()
            text = " ".join("".join(parts).split())
            if text:
                self.out.append(_first_sentence(text) if tag == "title" else text)

    def handle_data(self, data):
        for entry in self.stack:
            entry[1].append(data)


def html_headings(html: str) -> list[str]:
    """The headings (h1–h3), table captions, figure captions and chart titles of an HTML page.

    A chart's title is its figcaption, else the first sentence of its <img alt>, of an
    aria-label on the figure's <div>/<svg>, or of an inline SVG's <title> (the briefing's alt
    text starts with the title the chart draws). Texts in document order, without duplicates."""
    parser = _Headings()
    parser.feed(html)
    parser.close()
    seen, out = set(), []
    for text in parser.out:
        text = _html.unescape(text).strip()
        if text and text not in seen:
            seen.add(text)
            out.append(text)
    return out


def content_fill(pdf: PathLike, *, margins_mm: dict | None = None, dpi: int = 40, white: int = 250) -> list[float]:
    """For each page, how far down the printable area its content reaches (0 empty, 1 full): the
    lowest row with a pixel that is not near white, inside the page margins (the running footer in
    the bottom margin is left out), as a share of the printable height."""
    m = {**MARGINS_MM, **(margins_mm or {})}
    px_per_mm = dpi / 25.4
    out: list[float] = []
    with tempfile.TemporaryDirectory(prefix="pdfcheck-") as tmp:
        _run("pdftoppm", "-r", str(dpi), "-gray", str(pdf), os.path.join(tmp, "p"))
        for page in sorted(Path(tmp).glob("p-*.pgm"), key=lambda p: int(p.stem.rsplit("-", 1)[1])):
            w, h, pixels = _pgm(page)
            x0, x1 = round(m["left"] * px_per_mm), w - round(m["right"] * px_per_mm)
            y0, y1 = round(m["top"] * px_per_mm), h - round(m["bottom"] * px_per_mm)
            lowest = y0
            for y in range(y1 - 1, y0 - 1, -1):
                if min(pixels[y * w + x0:y * w + x1]) < white:
                    lowest = y + 1
                    break
            out.append((lowest - y0) / max(1, y1 - y0))
    return out
