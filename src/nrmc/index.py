"""The front page of an output directory (`index.html`): every scope with its links and status."""
from __future__ import annotations

import html
from datetime import datetime
from pathlib import Path
from typing import Sequence

from nrmc import __version__
from nrmc.state import read_state, write_atomic

FORMATS = ("html", "pdf")


def render_index(out: Path, scopes: Sequence, formats: Sequence[str] = FORMATS, lang: str = "zh") -> str:
    """reports/index.html: every scope with links, as-of date, build time and status (all escaped)."""
    e = html.escape
    rows = []
    n_ok = n_failed = n_missing = 0
    for scope in scopes:
        st = read_state(out, scope.slug)
        links = []
        for fmt in FORMATS:
            if (out / f"{scope.slug}.{fmt}").exists():
                links.append(f'<a href="{e(scope.slug)}.{fmt}">{fmt.upper()}</a>')
        status = st.get("status")
        if status == "ok":
            n_ok += 1
            status_html = '<span class="ok">ok</span>'
        elif status == "failed":
            n_failed += 1
            err = st.get("error") or ""
            cell = st.get("cell")
            kept = " (previous report kept)" if links else ""
            status_html = (f'<span class="failed">failed{e(kept)}</span>'
                           f'<div class="err">{e(("cell " + str(cell) + ": ") if cell else "")}{e(err[:300])}</div>')
        else:
            n_missing += 1
            status_html = '<span class="missing">not built</span>'
        report = st.get("report") or {}
        rows.append(
            "<tr>"
            f'<td class="name">{e(scope.name_zh)}<br><small>{e(scope.name_en)}</small></td>'
            f"<td><code>{e(scope.slug)}</code></td>"
            f'<td class="links">{" · ".join(links) or "—"}</td>'
            f"<td>{e(report.get('as_of') or '—')}</td>"
            f"<td>{e(report.get('built_at') or '—')}</td>"
            f"<td>{status_html}</td>"
            "</tr>")
    generated = datetime.now().strftime("%Y-%m-%d")
    return f"""<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>国家区域医疗中心简报 · NRMC briefings</title>
<style>
body {{ font-family: "Noto Sans CJK SC", "Noto Sans SC", "PingFang SC", "Microsoft YaHei", sans-serif; color: #1d2430; max-width: 64rem; margin: 0 auto; padding: 1.5rem; }}
h1 {{ border-bottom: 3px solid #0b5fa5; padding-bottom: .5rem; }}
table {{ border-collapse: collapse; width: 100%; font-size: .92rem; }}
th, td {{ border-bottom: 1px solid #d5dae1; padding: .35rem .6rem; text-align: left; vertical-align: top; }}
thead th {{ background: #f3f6f9; border-bottom: 2px solid #1d2430; }}
.ok {{ color: #17753a; font-weight: 600; }} .failed {{ color: #b3261e; font-weight: 600; }} .missing {{ color: #5b6472; }}
.err {{ color: #5b6472; font-size: .8rem; max-width: 28rem; }}
small {{ color: #5b6472; }} a {{ color: #0b5fa5; }}
.table-wrap {{ overflow-x: auto; max-width: 100%; }}
@media (max-width: 30rem) {{ body {{ padding: 1rem .8rem; }} }}
</style></head>
<body>
<main>
<h1>国家区域医疗中心简报 <small>NRMC briefings</small></h1>
<p>{n_ok} ok · {n_failed} failed · {n_missing} not built · index generated {e(generated)} by nrmc {e(__version__)}</p>
<div class="table-wrap" tabindex="0" role="region" aria-label="简报列表 Briefings">
<table><thead><tr><th>范围 Scope</th><th>slug</th><th>报告 Report</th><th>数据截至 As of</th><th>生成 Built</th><th>状态 Status</th></tr></thead>
<tbody>
{chr(10).join(rows)}
</tbody></table>
</div>
</main>
</body></html>
"""


def write_index(out: Path, scopes: Sequence, formats: Sequence[str] = FORMATS) -> Path:
    page = render_index(out, scopes, formats)
    path = out / "index.html"
    # The generation date changes daily; compare without it so a no-op build writes nothing.
    try:
        old = path.read_text(encoding="utf-8")
    except OSError:
        old = None
    if old is None or _strip_generated(old) != _strip_generated(page):
        write_atomic(path, page)
    return path


def _strip_generated(page: str) -> str:
    import re

    return re.sub(r"index generated \S+", "", page)
