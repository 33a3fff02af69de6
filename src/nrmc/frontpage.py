"""The front page of a folder of briefings (`reports/index.html`, `reports/en/index.html`).

`render_frontpage` is called by the build (nrmc.index) with every briefing's entry; it returns the
whole HTML page. Everything that comes from the entries is escaped.

This is a minimal placeholder (a plain list); the briefing's content and layout replace its body.
"""
from __future__ import annotations

import html
from pathlib import Path

TITLES = {"zh": "国家区域医疗中心简报", "en": "National Regional Medical Centres briefings"}
STATUS = {
    "zh": {"ok": "已生成", "failed": "生成失败", "not_built": "未生成", "stale": "已过期"},
    "en": {"ok": "ok", "failed": "failed", "not_built": "not built", "stale": "out of date"},
}


def render_frontpage(lang: str, entries: list[dict], *, data_dir: Path, build_info: dict) -> str:
    """The whole front page for `lang` ('zh' or 'en').

    entries: one dict per briefing, national first, then provinces in code order, with keys
      slug, kind ('national'|'province'), code, name_zh, name_en,
      status ('ok'|'failed'|'not_built'|'stale'),
      links (format → href relative to this page, current outputs only),
      other_lang_links (the same for the other language's current outputs),
      stale_links (outputs that exist but are not current; never to be shown as current),
      meta (what the briefing emitted as application/vnd.nrmc.meta+json, {} if none),
      error (str|None), cell (int|None), built_at (ISO str|None).
    build_info: version, generated (date), n_ok, n_failed, n_not_built, n_stale, langs_built.
    """
    e = html.escape
    zh = lang == "zh"
    labels = STATUS["zh" if zh else "en"]
    items = []
    for entry in entries:
        name = entry.get("name_zh") if zh else entry.get("name_en")
        links = " ".join(f'<a href="{e(href, quote=True)}">{e(fmt.upper())}</a>'
                         for fmt, href in (entry.get("links") or {}).items())
        other = " ".join(f'<a href="{e(href, quote=True)}" hreflang="{"en" if zh else "zh"}">'
                         f'{e(("English " if zh else "中文 ") + fmt.upper())}</a>'
                         for fmt, href in (entry.get("other_lang_links") or {}).items())
        old = " ".join(f'<a class="stale" href="{e(href, quote=True)}">{e(fmt.upper())} '
                       f'({e("旧版" if zh else "out of date")})</a>'
                       for fmt, href in (entry.get("stale_links") or {}).items())
        status = entry.get("status", "not_built")
        detail = ""
        if status == "failed" and entry.get("error"):
            cell = entry.get("cell")
            detail = f" — {e(('cell ' + str(cell) + ': ') if cell else '')}{e(str(entry['error'])[:300])}"
        as_of = (entry.get("meta") or {}).get("as_of")
        items.append(f'<li><span class="name">{e(str(name or entry.get("slug", "")))}</span> '
                     f'<span class="status {e(status)}">{e(labels.get(status, status))}</span>{detail} '
                     f'{links} {other} {old}{" · " + e(str(as_of)) if as_of else ""}</li>')
    info = build_info
    summary = (f"{info.get('n_ok', 0)} ok · {info.get('n_failed', 0)} failed · "
               f"{info.get('n_not_built', 0)} not built · {info.get('n_stale', 0)} out of date · nrmc {info.get('version', '')} · {info.get('generated', '')}")
    title = TITLES["zh" if zh else "en"]
    return (f'<!DOCTYPE html>\n<html lang="{"zh-CN" if zh else "en"}"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1"><title>{e(title)}</title></head>\n'
            f'<body><main><h1>{e(title)}</h1>\n<p>{e(summary)}</p>\n<ul>\n' + "\n".join(items) + "\n</ul></main></body></html>\n")
