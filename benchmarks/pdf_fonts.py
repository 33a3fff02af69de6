"""How the CJK font reaches Chromium's PDFs: time, size and quality of each way (prints a table).

    .venv/bin/python benchmarks/pdf_fonts.py reports/anhui.html reports/national.html [--repeat 3]

Ways compared, each with one browser printing every HTML file `--repeat` times:
- system      Debian's CFF Noto Sans CJK as it is (NRMC_PRINT_FONT=system): Type 3 fonts
- face-route  the print font as an injected @font-face served by page.route (a private URL)
- face-data   the same as a data: URL in the page
- face-file   the page written to a file:// URL, the font as a file:// URL
- fontconfig  what PdfPrinter does: FONTCONFIG_FILE puts the print font before the CJK family
Also: the first-run conversion of the print font into an empty cache, and the cache's size.
Nothing here is asserted by the tests.
"""
from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from nrmc import fonts  # noqa: E402
from nrmc.export import CHROMIUM_ARGS, PDF_MARGIN, find_chromium, footer_template  # noqa: E402


def face_css(url_regular: str, url_bold: str) -> str:
    fam = fonts.PRINT_FAMILY
    return (f'@font-face{{font-family:"{fam}";src:url("{url_regular}") format("truetype");font-weight:100 549}}'
            f'@font-face{{font-family:"{fam}";src:url("{url_bold}") format("truetype");font-weight:550 900}}'
            f':root{{--cjk-sans:"{fam}","Noto Sans CJK SC",sans-serif !important}}'
            f'svg text{{font-family:"{fam}","DejaVu Sans" !important}}')


def quality(pdf: bytes) -> tuple[int, int]:
    with tempfile.NamedTemporaryFile(suffix=".pdf") as f:
        f.write(pdf)
        f.flush()
        out = subprocess.run(["pdffonts", f.name], capture_output=True, text=True).stdout.splitlines()[2:]
        text = subprocess.run(["pdftotext", f.name, "-"], capture_output=True, text=True).stdout
    return sum("Type 3" in line for line in out), sum(0x2E80 <= ord(c) <= 0x2FDF for c in text)


async def run(way: str, pages: list[tuple[str, str]], repeat: int, pf: fonts.PrintFonts) -> dict:
    from playwright.async_api import async_playwright

    env = dict(os.environ)
    if way == "fontconfig":
        env = pf.chromium_env()
    regular, bold = (str(p) for p in sorted(pf.files, key=lambda p: "Bold" in p.name))
    async with async_playwright() as pw:
        t0 = time.monotonic()
        browser = await pw.chromium.launch(executable_path=find_chromium(), args=CHROMIUM_ARGS, env=env)
        ctx = await browser.new_context(offline=True)
        await ctx.route(re.compile(r"^(https?|wss?|ftp)://"), lambda route: route.abort())
        page = await ctx.new_page()
        await page.emulate_media(media="print")
        launch = time.monotonic() - t0
        css = None
        if way == "face-route":
            blobs = {"r": Path(regular).read_bytes(), "b": Path(bold).read_bytes()}

            async def serve(route):
                await route.fulfill(body=blobs[route.request.url.rsplit("/", 1)[1][0]], content_type="font/ttf",
                                    headers={"Access-Control-Allow-Origin": "*"})

            await page.route("https://nrmc-fonts.invalid/**", serve)
            css = face_css("https://nrmc-fonts.invalid/r.ttf", "https://nrmc-fonts.invalid/b.ttf")
        elif way == "face-data":
            enc = {k: base64.b64encode(Path(p).read_bytes()).decode() for k, p in (("r", regular), ("b", bold))}
            css = face_css("data:font/ttf;base64," + enc["r"], "data:font/ttf;base64," + enc["b"])
        elif way == "face-file":
            css = face_css(Path(regular).as_uri(), Path(bold).as_uri())
        rows = []
        t_print = 0.0
        with tempfile.TemporaryDirectory() as tmp:
            for name, html in pages:
                if css:
                    html = html.replace("</head>", f"<style>{css}</style></head>", 1)
                for _ in range(repeat):
                    t = time.monotonic()
                    if way == "face-file":
                        path = Path(tmp) / f"{name}.html"
                        path.write_text(html, encoding="utf-8")
                        await page.goto(path.as_uri(), wait_until="load")
                    else:
                        await page.set_content(html, wait_until="load")
                    await page.evaluate("() => document.fonts.ready.then(() => true)")
                    pdf = await page.pdf(format="A4", print_background=True, display_header_footer=True,
                                         header_template="<span></span>", footer_template=footer_template("页脚", "zh"),
                                         margin=PDF_MARGIN, outline=True, tagged=True)
                    t_print += time.monotonic() - t
                t3, kx = quality(pdf)
                rows.append({"page": name, "bytes": len(pdf), "type3": t3, "kangxi": kx})
        await browser.close()
    n = len(pages) * repeat
    return {"way": way, "launch_s": round(launch, 2), "per_pdf_s": round(t_print / n, 3), "pages": rows}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("html", nargs="+", type=Path)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--ways", default="system,face-route,face-data,face-file,fontconfig")
    ap.add_argument("--skip-convert", action="store_true", help="do not time a conversion into an empty cache")
    args = ap.parse_args()
    load = os.getloadavg()[0]
    if not args.skip_convert:
        with tempfile.TemporaryDirectory() as cache:
            old = os.environ.get("XDG_CACHE_HOME")
            os.environ["XDG_CACHE_HOME"] = cache
            t = time.monotonic()
            pf = fonts.ensure_print_fonts()
            took = time.monotonic() - t
            meta = json.loads((pf.directory / "font.json").read_text())
            size = sum(p.stat().st_size for p in pf.directory.iterdir())
            if old is None:
                os.environ.pop("XDG_CACHE_HOME")
            else:
                os.environ["XDG_CACHE_HOME"] = old
        print(f"first-run conversion: {took:.1f} s wall for {meta['codepoints']} code points, both weights in "
              f"parallel; per weight: " + ", ".join(f"{f['glyphs']} glyphs subset {f.get('subset_s')} s + outlines "
                                                   f"{f.get('convert_s')} s" for f in meta["fonts"])
              + f"; cache entry {size / 2**20:.1f} MiB")
    pf = fonts.ensure_print_fonts()
    pages = [(p.stem, p.read_text(encoding="utf-8")) for p in args.html]
    print(f"load average before: {load:.1f} on {os.cpu_count()} cores; {args.repeat}× each of {[p for p, _ in pages]}\n")
    print(f"| way | launch s | per PDF s | " + " | ".join(f"{p} KB / Type 3 / Kangxi" for p, _ in pages) + " |")
    print("|---|---|---|" + "---|" * len(pages))
    for way in args.ways.split(","):
        old = os.environ.pop(fonts.DISABLE_ENV, None)
        r = asyncio.run(run(way, pages, args.repeat, pf))
        if old is not None:
            os.environ[fonts.DISABLE_ENV] = old
        cells = " | ".join(f"{x['bytes'] // 1024} / {x['type3']} / {x['kangxi']}" for x in r["pages"])
        print(f"| {way} | {r['launch_s']} | {r['per_pdf_s']} | {cells} |", flush=True)


if __name__ == "__main__":
    main()
