"""The front page of an output directory, per language: which briefings exist, current or not.

The build calls `write_indexes` at its end. Each briefing's entry is computed from its state file
(nrmc.state) and its digest today: an output is linked only when it is current (built from today's
inputs and intact); an older output is listed separately as stale. The page itself is rendered by
`nrmc.frontpage.render_frontpage` and written only when its content changed.
"""
from __future__ import annotations

import hashlib
import json
from datetime import date
from pathlib import Path
from typing import Callable, Iterable, Sequence

from nrmc import __version__
from nrmc.layout import LANGS, STATE_DIR, Layout

GLOSSARY_PAGE = "glossary.html"  # nrmc.frontpage.GLOSSARY_PAGE (not imported here: the no-op path stays light)
from nrmc.state import current_outputs, existing_outputs, read_state, write_atomic


def display_order(scopes: Iterable) -> list:
    """National first, then the provinces in code order."""
    scopes = list(scopes)
    national = [s for s in scopes if s.kind == "national"]
    provinces = sorted((s for s in scopes if s.kind != "national"), key=lambda s: (s.code or "", s.slug))
    return national + provinces


def _json_safe(value):
    try:
        return json.loads(json.dumps(value, ensure_ascii=False, default=str))
    except (TypeError, ValueError):
        return {}


def entry_for(scope, layout: Layout, digest: str | None, other: Layout | None = None,
              other_digest: str | None = None) -> dict:
    """One briefing's entry for the front page of `layout.lang` (see nrmc.frontpage)."""
    st = read_state(layout, scope.slug)
    current = {f: p for f, p in current_outputs(layout, scope.slug, digest, st).items() if f != "ipynb"} if digest else {}
    existing = existing_outputs(layout, scope.slug)
    if st.get("status") == "failed":
        status = "failed"
    elif st.get("status") == "ok" and st.get("digest") == digest and current:
        status = "ok"
    elif existing:
        status = "stale"
    else:
        status = "not_built"
    other_links = {}
    if other is not None and other_digest:
        other_links = {f: layout.href(p) for f, p in current_outputs(other, scope.slug, other_digest).items()
                       if f != "ipynb"}
    report = st.get("report") or {}
    failed = status == "failed"
    return {
        "slug": scope.slug, "kind": scope.kind, "code": getattr(scope, "code", "") or "",
        "name_zh": scope.name_zh, "name_en": scope.name_en,
        "status": status,
        "links": {f: layout.href(p) for f, p in current.items()},
        "other_lang_links": other_links,
        "stale_links": {f: layout.href(p) for f, p in existing.items() if f not in current},
        "meta": _json_safe(report.get("meta") or {}),
        "error": st.get("error") if failed else None,
        "cell": st.get("cell") if failed else None,
        "built_at": report.get("built_at"),
    }


def entries_for(out_root: Path, lang: str, scopes: Sequence, digests: dict[str, dict[str, str]]) -> list[dict]:
    """Entries of every scope for the front page of `lang`; `digests[lang][slug]` is today's digest."""
    layout = Layout(Path(out_root), lang)
    other_lang = next((x for x in LANGS if x != lang), None)
    other = Layout(Path(out_root), other_lang) if other_lang else None
    return [entry_for(s, layout, digests.get(lang, {}).get(s.slug), other,
                      digests.get(other_lang, {}).get(s.slug)) for s in display_order(scopes)]


def build_info(entries: list[dict], langs_built: Sequence[str]) -> dict:
    return {
        "version": __version__,
        "generated": date.today().isoformat(),
        "n_ok": sum(e["status"] == "ok" for e in entries),
        "n_failed": sum(e["status"] == "failed" for e in entries),
        "n_not_built": sum(e["status"] == "not_built" for e in entries),
        "n_stale": sum(e["status"] == "stale" for e in entries),
        "langs_built": list(langs_built),
    }


def write_index(out_root: Path, lang: str, scopes: Sequence, digests: dict[str, dict[str, str]], *,
                data_dir: Path, langs_built: Sequence[str], inputs_key: Callable[[], str] | None = None) -> Path:
    """Render and write `index.html` of `lang`, only when what it shows changed: an entry, the build
    status, or what `inputs_key()` digests (the build passes nrmc.digests' front-page digest: its
    code and the data of its map); not for a new date. Without `inputs_key`, the code digest and
    the data folder's files are used."""
    from nrmc.frontpage import render_frontpage

    layout = Layout(Path(out_root), lang)
    entries = entries_for(out_root, lang, scopes, digests)
    info = build_info(entries, langs_built)
    if inputs_key is None:
        from nrmc.digests import code_digest
        from nrmc.state import read_data

        extra = [code_digest(), read_data(Path(data_dir))[1]]
    else:
        extra = inputs_key()
    key = hashlib.sha256(json.dumps([entries, {k: v for k, v in info.items() if k != "generated"}, extra],
                                    sort_keys=True, ensure_ascii=False, default=str).encode()).hexdigest()
    record = Path(out_root) / STATE_DIR / f"index-{lang}.json"
    glossary = layout.dir / GLOSSARY_PAGE  # English: the glossary the front page links to
    try:
        old = json.loads(record.read_text(encoding="utf-8"))
        current = hashlib.sha256(layout.index.read_bytes()).hexdigest()
        if old.get("key") == key and old.get("sha256") == current and (lang == "zh" or glossary.is_file()):
            return layout.index
    except (OSError, ValueError, AttributeError):
        pass
    page = render_frontpage(lang, entries, data_dir=Path(data_dir), build_info=info)
    from nrmc.frontpage import glossary_page

    gpage = glossary_page(lang)
    if gpage:
        write_atomic(glossary, gpage)
    write_atomic(layout.index, page)
    write_atomic(record, json.dumps({"key": key, "sha256": hashlib.sha256(page.encode("utf-8")).hexdigest()}))
    return layout.index
