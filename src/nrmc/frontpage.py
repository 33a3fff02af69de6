"""The front page of a build (`reports/index.html`, `reports/en/index.html`): the reader's way in.

National key figures, the tile map with every province a link to its briefing (provinces known to
have centres but not how many are shown as such), the list of briefings with each one's number of
centres and data window, national first, searchable by any name form (安徽 / 皖 / anhui / 340000),
a zh/en switch, and the build status in a small footer. Everything from data or state is escaped.
"""
from __future__ import annotations

import base64
import hashlib
from pathlib import Path

from markupsafe import Markup, escape

STYLE = """
:root { --ink:#1d2430; --muted:#5b6472; --rule:#d5dae1; --accent:#0b5fa5; --band:#f3f6f9; }
* { box-sizing: border-box; }
body { font-family: "Noto Sans CJK SC","Noto Sans SC","Source Han Sans SC","PingFang SC","Microsoft YaHei",sans-serif;
       color: var(--ink); max-width: 64rem; margin: 0 auto; padding: 1.2rem 1.5rem 2rem; line-height: 1.55; }
/* English in a Latin font (its quotes and punctuation are not the CJK font's full-width ones);
   Chinese names keep the CJK font */
html:lang(en) body { font-family: "Noto Sans","Source Sans 3","Segoe UI","Helvetica Neue",Arial,"Noto Sans CJK SC","Noto Sans SC","PingFang SC","Microsoft YaHei",sans-serif;
                     font-variant-ligatures: no-common-ligatures; }
html:lang(en) [lang="zh-CN"] { font-family: "Noto Sans CJK SC","Noto Sans SC","Source Han Sans SC","PingFang SC","Microsoft YaHei",sans-serif; }
.glossary-link { margin: -.4rem 0 .8rem; font-size: .92rem; }
header { border-bottom: 3px solid var(--accent); padding-bottom: .5rem; margin-bottom: 1rem; }
.top { display: flex; justify-content: space-between; gap: 1rem; flex-wrap: wrap; align-items: baseline; }
.kicker { color: var(--accent); font-weight: 700; font-size: .85rem; letter-spacing: .05em; }
h1 { font-size: 1.7rem; margin: .2rem 0 .3rem; line-height: 1.25; }
h2 { font-size: 1.2rem; color: var(--accent); margin: 1.4rem 0 .5rem; border-bottom: 1px solid var(--rule); padding-bottom: .2rem; }
a { color: var(--accent); }
.lang a { font-weight: 600; }
.lead { font-size: 1.02rem; margin: .3rem 0 .8rem; }
.key-figures { display: grid; grid-template-columns: repeat(auto-fit, minmax(9rem, 1fr)); gap: .5rem; margin: .6rem 0 1rem; }
.kf { border: 1px solid var(--rule); border-top: 4px solid var(--accent); background: var(--band); padding: .45rem .65rem; }
.kf-value { font-size: 1.6rem; font-weight: 700; line-height: 1.2; }
.kf-label { font-size: .85rem; font-weight: 600; }
.kf-note { font-size: .76rem; color: var(--muted); }
figure { margin: .5rem 0 1rem; }
figure svg { display: block; width: 100%; max-width: 40rem; height: auto; margin: 0 auto; }
figure svg text { font-family: inherit; }
figcaption { font-weight: 700; margin-bottom: .3rem; }
.source { color: var(--muted); font-size: .78rem; }
label { font-weight: 600; display: block; margin: .4rem 0 .2rem; }
input[type=search] { width: 100%; max-width: 28rem; font: inherit; padding: .4rem .6rem; border: 1px solid var(--muted); border-radius: 4px; }
ul.briefings { list-style: none; padding: 0; margin: .6rem 0; }
ul.briefings li { border-bottom: 1px solid var(--rule); padding: .45rem 0; display: grid;
                  grid-template-columns: minmax(9rem, 1.3fr) minmax(6rem, 1fr) minmax(9rem, 1.6fr) auto; gap: .3rem 1rem; align-items: baseline; }
ul.briefings li.national { background: var(--band); padding-left: .5rem; }
.name a { font-weight: 700; text-decoration: none; }
.name .alt { color: var(--muted); font-size: .85rem; margin-left: .3rem; }
.count, .window { font-size: .9rem; }
.small { color: var(--muted); font-size: .78rem; display: block; }
.formats a { margin-right: .5rem; font-size: .9rem; }
.other-lang { font-size: .8rem; color: var(--muted); margin-left: .3rem; }
.status-failed { color: #b3261e; font-weight: 600; }
.status-missing, .status-stale, a.stale { color: var(--muted); }
footer { margin-top: 2rem; border-top: 1px solid var(--rule); color: var(--muted); font-size: .8rem; padding-top: .5rem; }
footer details { margin-top: .3rem; }
.empty { color: var(--muted); }
@media (max-width: 40rem) {
  body { padding: .8rem .75rem 2rem; }
  h1 { font-size: 1.4rem; }
  ul.briefings li { grid-template-columns: 1fr; gap: .1rem; }
}
"""

SCRIPT = """
(function () {
  var box = document.getElementById('q'), items = document.querySelectorAll('ul.briefings li'),
      none = document.getElementById('none');
  function norm(s) { return (s || '').normalize('NFKC').toLowerCase().replace(/[\\s\\-_'’.]/g, ''); }
  box.addEventListener('input', function () {
    var q = norm(box.value), shown = 0;
    items.forEach(function (li) {
      var hit = !q || norm(li.getAttribute('data-names')).indexOf(q) >= 0;
      li.hidden = !hit; if (hit) shown++;
    });
    none.hidden = shown > 0;
  });
})();
"""

# The page runs its own search script and nothing else: the policy allows that script by its hash
# (a script from the data, were any tag to get through, would not run) and loads nothing: styles
# inline, the map inline SVG, links are navigation.
SCRIPT_HASH = "sha256-" + base64.b64encode(hashlib.sha256(SCRIPT.encode("utf-8")).digest()).decode("ascii")
CSP = (f"default-src 'none'; script-src '{SCRIPT_HASH}'; style-src 'unsafe-inline'; img-src data:; "
       "base-uri 'none'; form-action 'none'")

WORDS = {
    "zh": {"kicker": "国家区域医疗中心", "title": "国家区域医疗中心简报", "other": "English", "other_lang": "en",
           "lead": "全国及31个省份的简报：每个数字都注明日期和来源。按省份名称、简称、拼音或代码查找。",
           "search": "查找简报（如 安徽、皖、anhui、340000）", "none": "没有找到匹配的简报。", "list": "全部简报",
           "map": "点击省份打开其简报", "html": "网页", "pdf": "PDF", "centres": "中心", "window": "数据时间",
           "failed": "上次生成失败", "kept": "保留上一版", "not_built": "尚未生成", "stale": "数据已更新，待重新生成",
           "status": "生成状态", "ok": "成功", "generated": "生成于", "errors": "失败详情", "national": "全国概览",
           "figures": "全国要点", "old": "旧版"},
    "en": {"kicker": "National Regional Medical Centres", "title": "National Regional Medical Centres briefings",
           "other": "中文", "other_lang": "zh-CN",
           "lead": "A briefing for China and for each of the 31 provinces; every figure is dated and sourced. Find one by name, abbreviation, pinyin or code.",
           "search": "Find a briefing (e.g. Anhui, {zh}, 340000)", "search_zh": "安徽, 皖", "none": "No briefing matches.", "list": "All briefings",
           "map": "Click a province to open its briefing", "html": "Web page", "pdf": "PDF", "centres": "centres",
           "window": "Data", "failed": "last build failed", "kept": "previous version kept", "not_built": "not built yet",
           "stale": "data changed, not rebuilt yet", "status": "Build status", "ok": "ok", "generated": "generated",
           "errors": "failures", "national": "National overview", "figures": "China at a glance", "old": "out of date",
           "glossary": "Glossary: the programme's terms, with their Chinese originals"},
}


def _names(entry: dict, provinces: dict) -> str:
    """Every name form a reader may type, for the search box."""
    forms = [entry.get("slug", ""), entry.get("name_zh", ""), entry.get("name_en", ""), entry.get("code", "")]
    p = provinces.get(entry.get("code", ""))
    if p:
        forms += [p.get("name_zh_short", ""), p.get("abbr_zh", ""), p.get("abbr_zh_alt", ""), p.get("iso", ""),
                  p.get("iso", "").split("-")[-1], (p.get("code") or "")[:2]] + (p.get("aliases") or "").split(";")
    if entry.get("kind") == "national":
        forms += ["全国", "中国", "national", "china"]
    return " ".join(f for f in forms if f)


def render_frontpage(lang: str, entries: list[dict], *, data_dir: Path | None = None, build_info: dict | None = None) -> str:
    """The whole front page of one language (see the module docstring); `entries` as the build
    passes them: slug, kind, code, name_zh, name_en, status, links, other_lang_links, meta, error,
    cell, built_at."""
    lang = lang if lang in WORDS else "zh"
    w = WORDS[lang]
    info = build_info or {}
    zh = lang == "zh"
    provinces: dict = {}
    tiles_html = Markup("")
    figures_html = Markup("")
    try:
        from nrmc import coverage
        from nrmc.sections.maps import national_map
        from nrmc.data import load

        ds = load(data_dir)
        provinces = {r["code"]: r for r in ds.provinces.to_dict("records")}
        st = coverage.province_status(ds)
        nat = coverage.national_count(ds)
        links = {e["code"]: e["links"]["html"] for e in entries
                 if e.get("kind") == "province" and e.get("status") == "ok" and (e.get("links") or {}).get("html")}
        chart = national_map(st, lang, links=links)
        figures_html = _key_figures(nat, zh)
        cap = (f"按来源，{nat.provinces_known}个省份有国家区域医疗中心（斜线：有中心但数量未知）。{w['map']}。" if zh else
               f"Public sources report centres in {nat.provinces_known} provinces (hatched: number unknown). {w['map']}.")
        tiles_html = Markup('<figure><figcaption>{}</figcaption>{}<p class="source">{}</p></figure>').format(
            cap, Markup(chart.svg), "数据：见各简报附录的来源。" if zh else "Data: see the sources in each briefing's annex.")
    except Exception as err:  # the list of briefings is what matters; never fail the build over the map
        tiles_html = Markup('<p class="empty">{}</p>').format(
            ("无法绘制地图：" if zh else "The map could not be drawn: ") + f"{type(err).__name__}: {err}")

    items = []
    failures = []
    for e in entries:
        meta = e.get("meta") or {}
        name = e.get("name_zh") if zh else e.get("name_en")
        alt = e.get("name_en") if zh else e.get("name_zh")
        if e.get("kind") == "national":
            name = w["national"]
        links = dict(sorted((e.get("links") or {}).items(), key=lambda kv: kv[0] != "html"))
        main = links.get("html") or links.get("pdf")
        name_html = Markup('<a href="{}">{}</a>').format(main, name) if main else Markup(escape(name))
        alt_html = Markup('<span class="alt" lang="{}">{}</span>').format("en" if zh else "zh-CN", alt) if alt and alt != name else Markup("")
        fmts = Markup(" ").join(Markup('<a href="{}">{}</a>').format(href, w.get(fmt, fmt.upper())) for fmt, href in links.items())
        other_links = e.get("other_lang_links") or {}
        if other_links:
            fmts += Markup(' <span class="other-lang" lang="{0}">{1}: {2}</span>').format(
                w["other_lang"], w["other"], Markup(" ").join(Markup('<a href="{}" hreflang="{}">{}</a>').format(
                    href, w["other_lang"], fmt.upper() if fmt == "pdf" else ("HTML" if zh else "网页")) for fmt, href in other_links.items()))
        stale = e.get("stale_links") or {}
        if stale:  # outputs of an older build: reachable, never shown as current
            fmts += Markup(" ").join(Markup(' <a class="stale" href="{}">{}（{}）</a>' if zh else ' <a class="stale" href="{}">{} ({})</a>').format(
                href, w.get(fmt, fmt.upper()), w["old"]) for fmt, href in stale.items())
        status = e.get("status") or "not_built"
        st_html = Markup("")
        if status == "failed":
            st_html = Markup('<span class="small status-failed">{}{}</span>').format(w["failed"], ("，" if zh else ", ") + w["kept"] if links else "")
            failures.append(Markup("<li>{}: {}{}</li>").format(e.get("slug"), f"cell {e['cell']}: " if e.get("cell") else "", (e.get("error") or "")[:300]))
        elif status in ("not_built", "missing"):
            st_html = Markup('<span class="small status-missing">{}</span>').format(w["not_built"])
        elif status == "stale":
            st_html = Markup('<span class="small status-stale">{}</span>').format(w["stale"])
        count = meta.get("centres_text") or "—"
        count_words = _count_words(count, meta, zh, w)
        window = meta.get("window") or meta.get("as_of") or "—"
        cls = "national" if e.get("kind") == "national" else ""
        items.append(Markup('<li class="{}" data-names="{}"><span class="name">{}{}</span>'
                            '<span class="count">{} {}</span><span class="window"><span class="small">{}</span>{}</span>'
                            '<span class="formats">{}{}</span></li>').format(
            cls, _names(e, provinces), name_html, alt_html, count_words[0], count_words[1], w["window"], window, fmts, st_html))

    other = ""
    langs_built = info.get("langs_built") or []
    other_code = "en" if zh else "zh"
    if other_code in langs_built:
        href = "en/index.html" if zh else "../index.html"
        other = Markup('<nav class="lang" aria-label="{}"><a href="{}" hreflang="{}" lang="{}">{}</a></nav>').format(
            "Language" if not zh else "语言", href, w["other_lang"], w["other_lang"], w["other"])
    n_ok, n_failed, n_nb = info.get("n_ok", 0), info.get("n_failed", 0), info.get("n_not_built", 0) + info.get("n_stale", 0)
    status_line = (f"{w['status']}：{w['ok']} {n_ok} · {w['failed']} {n_failed} · {w['not_built']} {n_nb} · {w['generated']} {info.get('generated', '')} · nrmc {info.get('version', '')}"
                   if zh else f"{w['status']}: {n_ok} {w['ok']} · {n_failed} failed · {n_nb} {w['not_built']} · {w['generated']} {info.get('generated', '')} · nrmc {info.get('version', '')}")
    fail_html = Markup("<details><summary>{}</summary><ul>{}</ul></details>").format(w["errors"], Markup("").join(failures)) if failures else Markup("")
    page = Markup("""<!DOCTYPE html>
<html lang="{html_lang}"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{csp}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title><style>{style}</style></head>
<body><header><div class="top"><span class="kicker">{kicker}</span>{other}</div><h1>{title}</h1></header>
<main>
<p class="lead">{lead}</p>
{glossary}
<h2 id="figures">{figures_title}</h2>
{figures}
{tiles}
<h2 id="list">{list_title}</h2>
<label for="q">{search}</label><input id="q" type="search" autocomplete="off">
<ul class="briefings">{items}</ul>
<p id="none" class="empty" hidden>{none}</p>
</main>
<footer><p>{status}</p>{fails}</footer>
<script>{script}</script>
</body></html>
""").format(html_lang="zh-CN" if zh else "en", title=w["title"], style=Markup(STYLE), kicker=w["kicker"], other=other,
            lead=w["lead"], glossary=_glossary_link(lang), figures_title=w["figures"], figures=figures_html, tiles=tiles_html, list_title=w["list"],
            search=_search_label(w), items=Markup("\n").join(items), none=w["none"], status=status_line, fails=fail_html,
            script=Markup(SCRIPT), csp=Markup(CSP))
    return str(page)


def _count_words(count: str, meta: dict, zh: bool, w: dict) -> tuple[str, str]:
    """A briefing's number of centres and the word after it: '9（具名7）', '中心'; in English the
    noun in its number and right after the figure: '9 centres (7 named)', '1 centre', 'at least 1
    centre' (never '≥1 centres')."""
    if count == "—":
        return count, ""
    if zh:
        return count, w["centres"]
    n, named = meta.get("count"), meta.get("named")
    if count == "≥1":
        return "at least 1", "centre"
    if isinstance(n, int):
        noun = "centre" if n == 1 else "centres"
        if count.startswith(f"{n} (") and named is not None:
            return str(n), f"{noun} ({named} named)"
        return str(n), noun
    return count, w["centres"]


GLOSSARY_PAGE = "glossary.html"  # beside the front page of a language that has a glossary (English)


def glossary_page(lang: str) -> str:
    """The glossary as a page of its own ("" for a language without one: Chinese)."""
    from nrmc.sections.glossary import glossary_page as page

    return page(lang, home_href="index.html")


def _search_label(w: dict) -> Markup:
    """The search box's label; Chinese examples in an English page are marked as Chinese."""
    if "search_zh" not in w:
        return Markup(escape(w["search"]))
    return Markup(escape(w["search"])).replace("{zh}", Markup('<span lang="zh-CN">{}</span>').format(w["search_zh"]))


def _glossary_link(lang: str) -> Markup:
    words = WORDS[lang]
    if "glossary" not in words:
        return Markup("")
    return Markup('<p class="glossary-link"><a href="{}">{}</a></p>').format(GLOSSARY_PAGE, words["glossary"])


def _key_figures(nat, zh: bool) -> Markup:
    rate = f"{nat.per_10m_official:.2f}" if nat.per_10m_official else "—"
    from nrmc import dates

    when = dates.plain(nat.official_date, "zh" if zh else "en")
    items = [
        (str(nat.official_total or "—"), "官方公布中心总数" if zh else "centres, official total", when),
        (str(nat.named), "来源具名的中心" if zh else "named in the sources", ""),
        (f"{nat.provinces_known}/31", "有中心的省份（按来源）" if zh else "provinces with centres in the sources",
         f"其中{nat.provinces_named}个有具名中心" if zh else f"{nat.provinces_named} with named centres"),
        (rate, "每千万常住人口中心数" if zh else "centres per 10 million residents",
         f"按官方总数，{nat.pop_year}年末人口" if zh else f"official total, population {nat.pop_year}"),
    ]
    return Markup('<div class="key-figures">{}</div>').format(Markup("").join(
        Markup('<div class="kf"><div class="kf-value">{}</div><div class="kf-label">{}</div><div class="kf-note">{}</div></div>').format(v, l, n)
        for v, l, n in items))


__all__ = ["render_frontpage"]
