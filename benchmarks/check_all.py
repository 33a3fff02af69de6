"""The browser checks of tests/test_browser.py on every briefing of a finished build (all 32).

    python benchmarks/check_all.py [REPORTS_DIR]     # default: benchmarks/out/reports-1x

For each <slug>.html (and index.html): console errors, broken images, alt text, table headers,
lang, horizontal scrolling at 375 and 1280 px, axe-core serious/critical violations (375 px);
vnu on all pages at once; for each PDF: fonts embedded, A4, text, no page holding only a heading.
Prints one line per problem and a summary; exits 1 when there is a problem. Slow (≈ 5 min for 32),
hence not part of `make test`, which runs the same checks on four briefings.
"""
from __future__ import annotations

import importlib.util
import json
import re
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
spec = importlib.util.spec_from_file_location("tb", REPO / "tests" / "test_browser.py")
tb = importlib.util.module_from_spec(spec)
sys.path.insert(0, str(REPO / "tests"))
spec.loader.exec_module(tb)


def main(argv: list[str]) -> int:
    out = Path(argv[0]) if argv else REPO / "benchmarks" / "out" / "reports-1x"
    pages = sorted(out.glob("*.html"))
    pdfs = sorted(out.glob("*.pdf"))
    problems: list[str] = []
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=tb.CHROMIUM, args=tb.CHROMIUM_ARGS, headless=True)
        for path in pages:
            for width in tb.WIDTHS:
                ctx = browser.new_context(viewport={"width": width, "height": 900}, offline=True)
                page = ctx.new_page()
                errors: list[str] = []
                page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
                page.on("pageerror", lambda exc: errors.append(str(exc)))
                page.goto(path.as_uri(), wait_until="load")
                facts = page.evaluate(tb.FACTS_JS)
                o = page.evaluate(tb.OVERFLOW_JS)
                where = f"{path.name}@{width}"
                problems += [f"{where}: console: {e}" for e in errors]
                if o["scrollWidth"] > o["clientWidth"] or o["wide"]:
                    problems.append(f"{where}: horizontal scrolling {o}")
                for img in facts["images"]:
                    alt = (img["alt"] or "").strip()
                    if not img["ok"]:
                        problems.append(f"{where}: broken image {img['src']}")
                    if len(alt) < 15 or not re.search(r"\d", alt):
                        problems.append(f"{where}: alt text states no finding: {alt!r}")
                if facts["lang"] not in ("zh-CN", "en"):
                    problems.append(f"{where}: lang={facts['lang']!r}")
                problems += [f"{where}: table without header cells" for t in facts["tables"] if not t["th"]]
                if width == tb.WIDTHS[0]:
                    page.add_script_tag(path=str(tb.AXE))
                    for v in page.evaluate(tb.AXE_JS):
                        if v["impact"] in ("serious", "critical"):
                            problems.append(f"{where}: axe {v['impact']} {v['id']}: {v['nodes'][:1]}")
                ctx.close()
            print(f"checked {path.name}", file=sys.stderr)
        browser.close()

    r = subprocess.run(["java", "-jar", str(tb.VNU), "--errors-only", "--format", "json", *map(str, pages)],
                       capture_output=True, text=True)
    for m in json.loads(r.stderr or r.stdout or '{"messages": []}').get("messages", []):
        problems.append(f"vnu {Path(m.get('url', '')).name}:{m.get('lastLine')}: {m.get('message')}")

    with tempfile.TemporaryDirectory() as tmp:
        for path in pdfs:
            fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True).stdout.splitlines()[2:]
            problems += [f"{path.name}: font not embedded: {row}" for row in fonts if row.split()[-5] != "yes"]
            info = tb._pdfinfo(path)
            problems += [f"{path.name}: page not A4: {w}x{h}" for w, h in info["sizes"]
                         if abs(w - 595.3) > 2 or abs(h - 841.9) > 2]
            if len(tb._squash(tb.pdftext(path))) < 1500:
                problems.append(f"{path.name}: little or no extractable text")
            for n in range(1, info["pages"] + 1):
                body = tb.page_body_lines(path, n)
                if len(body) <= 2 and tb.ink(path, n, Path(tmp)) < 0.03:
                    problems.append(f"{path.name}: page {n} holds only {body}")

    for p in problems:
        print(p)
    print(f"{len(pages)} HTML pages, {len(pdfs)} PDFs checked: {len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
