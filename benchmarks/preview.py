"""The preview's save-to-rebuilt time, quickly (no browser, about a minute): `nrmc preview anhui`
on a copy of data/, one page held open through the events stream (so that the open page is built
speculatively, as with a browser), then N figures appended to metrics.csv one at a time; for each,
the seconds from the save to the preview's "rebuilt" line, and its own trace (kernel, export and
commit). Never asserted in tests. `benchmarks/build.py` measures the full save-to-reload in Chromium.

    .venv/bin/python benchmarks/preview.py                 # Chinese, HTML only, 5 saves
    .venv/bin/python benchmarks/preview.py --lang en --saves 7 --pdf
"""
from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from build import add_anhui_figure  # noqa: E402


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--lang", default="zh", choices=["zh", "en"])
    ap.add_argument("--saves", type=int, default=5)
    ap.add_argument("--pdf", action="store_true", help="print PDFs in the background too (default: --no-pdf)")
    args = ap.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="nrmc-preview-bench-"))
    data = work / "data"
    shutil.copytree(HERE.parent / "data", data)
    env = {**os.environ, "NRMC_TRACE": "1", "NRMC_CACHE_DIR": str(work / "cache")}
    cmd = [sys.executable, "-m", "nrmc", "preview", "anhui", "--lang", args.lang, "--out", str(work / "out"),
           "--data", str(data), "--port", "0", *([] if args.pdf else ["--no-pdf"])]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, bufsize=1)
    lines: list[str] = []
    threading.Thread(target=lambda: [lines.append(x) for x in proc.stdout], daemon=True).start()

    def rebuilt(n: int, timeout: float = 300) -> str:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            hits = [x for x in lines if "rebuilt in" in x]
            if len(hits) >= n:
                return hits[n - 1].strip()
            time.sleep(0.01)
        raise SystemExit("no rebuild:\n" + "".join(lines))

    try:
        rebuilt(1)
        url = next(re.search(r"Serving (\S+)", x).group(1) for x in lines if "Serving" in x)
        base = re.match(r"https?://[^/]+", url).group(0)
        page = "/" + ("en/" if args.lang == "en" else "") + "anhui.html"

        def hold_open():  # what a browser tab on the page does: listen for its reload
            with urllib.request.urlopen(f"{base}/_nrmc/events?page={page}", timeout=3600) as r:
                for _ in r:
                    pass

        threading.Thread(target=hold_open, daemon=True).start()
        time.sleep(5)
        times = []
        for i in range(args.saves):
            t0 = time.perf_counter()
            add_anhui_figure(data, 70 + i)
            line = rebuilt(2 + i)
            times.append(time.perf_counter() - t0)
            print(f"{times[-1]:5.2f} s  {line}", flush=True)
            time.sleep(4)
    finally:
        proc.terminate()
        proc.wait(60)
        shutil.rmtree(work, ignore_errors=True)
    times.sort()
    print(f"median save-to-rebuilt {times[len(times) // 2]:.2f} s over {len(times)} saves "
          f"(load average now {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
