"""From an executed notebook to the briefing's parts: what the notebook shows, in its order.

Each output a section shows carries where it goes (`application/vnd.nrmc.block+json`: its page
and its section). Consecutive outputs of one section become one printed section
(`<section class="page …">`), and the sections of the summary, the analysis and the annex each
form a part (`<div class="nrmc-part">`, which the print layout packs onto A4 pages). An output
without that information — a DataFrame, a chart or a table a user adds in a cell of their own —
joins the section shown before it. A markdown cell tagged `report` is printed too (a heading in
it starts a section of its own); other markdown cells are notes for the analyst. Code, streams
and errors never reach the briefing.
"""
from __future__ import annotations

import copy
import html as _html
import re

import nbformat

from nrmc.sections.base import BLOCK_MIME

INLINE_STYLE = re.compile(r"<style data-nrmc-inline>.*?</style>", re.S)
PART_OF = {"summary-1": "summary", "summary-2": "summary", "analysis": "analysis", "note": "analysis", "annex": "annex"}
SECTION_CLASSES = {"summary-1": "page summary summary-1", "summary-2": "page summary summary-2",
                   "analysis": "page analysis", "note": "page analysis note", "annex": "page annex"}
_BLOCK_WRAP = re.compile(r'^\s*<div class="nrmc-block[^"]*"[^>]*>(.*)</div>\s*$', re.S)


def _text(value) -> str:
    return "".join(value) if isinstance(value, list) else (value or "")


def _markdown(source: str) -> str:
    from nbconvert.filters.markdown_mistune import markdown2html_mistune

    return markdown2html_mistune(source)


def pieces(nb) -> list[tuple[str, str, str, str]]:
    """(page, section, language, html) for everything the briefing prints, in notebook order."""
    out: list[tuple[str, str, str, str]] = []
    page, group, lang = "analysis", "", "zh"
    extra = 0
    for cell in nb.get("cells", []):
        tags = set((cell.get("metadata") or {}).get("tags") or [])
        if "remove-cell" in tags or "remove_cell" in tags or "hide" in tags:
            continue
        if cell.get("cell_type") == "markdown":
            if "report" not in tags:
                continue
            src = _text(cell.get("source"))
            if re.match(r"\s*#{1,3}\s", src):  # a heading starts a section of its own
                extra += 1
                page, group = ("annex" if page == "annex" else "analysis"), f"user-{extra}"
            out.append((page, group, lang, _markdown(src)))
            continue
        if cell.get("cell_type") != "code" or "remove-output" in tags or "remove_output" in tags:
            continue
        for o in cell.get("outputs") or []:
            if o.get("output_type") not in ("display_data", "execute_result"):
                continue  # streams (print) and errors are not part of a briefing
            data = o.get("data") or {}
            info = data.get(BLOCK_MIME)
            html = _text(data.get("text/html"))
            if isinstance(info, dict):
                if info.get("page") == "header":
                    continue  # what Jupyter shows above the briefing; the report has its own header
                page, group, lang = info.get("page", page), info.get("group", group), info.get("lang", lang)
                if page not in PART_OF:
                    page = "analysis"
                m = _BLOCK_WRAP.match(INLINE_STYLE.sub("", html))
                html = m.group(1) if m else INLINE_STYLE.sub("", html)
            elif html:
                html = INLINE_STYLE.sub("", html)
            elif "image/svg+xml" in data:
                html = f'<figure class="chart user">{_text(data["image/svg+xml"])}</figure>'
            elif "image/png" in data:
                html = f'<figure class="chart user"><img alt="" src="data:image/png;base64,{_text(data["image/png"]).strip()}"></figure>'
            else:
                continue
            if html.strip():
                out.append((page, group, lang, html))
    return out


def parts(nb) -> list[str]:
    """The briefing's parts as HTML: summary, analysis, annex (each only if it has something)."""
    sections: list[tuple[str, str, str, list[str]]] = []
    for page, group, lang, html in pieces(nb):
        if sections and sections[-1][0] == page and sections[-1][1] == group:
            sections[-1][3].append(html)
        else:
            sections.append((page, group, lang, [html]))
    out: list[str] = []
    current_part, buf, part_lang = None, [], "zh"
    for page, group, lang, htmls in sections:
        part = PART_OF[page]
        if part != current_part and buf:
            out.append(_part(current_part, part_lang, buf))
            buf = []
        current_part, part_lang = part, lang
        ident = f' id="part-{_html.escape(group)}"' if group else ""
        buf.append(f'<section class="{SECTION_CLASSES[page]}"{ident}>{"".join(htmls)}</section>')
    if buf:
        out.append(_part(current_part, part_lang, buf))
    return out


def _part(part: str, lang: str, sections: list[str]) -> str:
    hl = "zh-CN" if lang == "zh" else "en"
    return f'<div class="nrmc-part nrmc-{part}" lang="{hl}">{"".join(sections)}</div>'


def assembled(nb):
    """A copy of `nb` whose only cell shows the briefing's parts (what the report template prints)."""
    out = copy.deepcopy(nb)
    cell = nbformat.v4.new_code_cell("")
    cell.outputs = [nbformat.v4.new_output("display_data", data={"text/html": p}) for p in parts(nb)]
    out.cells = [cell]
    return out


def notebook_of(objects, html_only: bool = False) -> "nbformat.NotebookNode":
    """A notebook whose one cell displayed `objects` (what `compose` returns), as a kernel would
    (`html_only`: without the text/plain form, which the report never prints)."""
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("")
    outs = []
    exclude = {"text/plain"} if html_only else None
    for obj in objects:
        bundle = (obj._repr_mimebundle_(exclude=exclude) if hasattr(obj, "_repr_mimebundle_")
                  else {"text/html": obj._repr_html_()})
        outs.append(nbformat.v4.new_output("display_data", data=bundle))
    cell.outputs = outs
    nb.cells = [cell]
    return nb


def compose_html(b) -> str:
    """The body of briefing `b` (its parts' HTML), composed in process from the sections in
    notebook order: what the exported report prints between its header and footer."""
    from nrmc.sections import compose

    return "".join(parts(notebook_of(compose(b), html_only=True)))
