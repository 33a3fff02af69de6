"""Benchmark `nrmc build` and `nrmc preview` against the loop a user would otherwise write, on this
machine, in one run.

    python benchmarks/build.py                  # everything (≈ 30 min on 2 cores)
    python benchmarks/build.py --skip-naive     # only nrmc (cold, no-op, the Anhui edit, preview, scale)
    python benchmarks/build.py --scales 1,3,10  # more points for the scale curve

Prints a table (also written to benchmarks/out/results.md and results.json). Never asserted in
tests. Work files go to benchmarks/out/ (git-ignored); the real data/ is only read.

What is measured, each as a subprocess, wall-clock time and peak memory of the whole process tree
(summed PSS and RSS over the build, its kernels and Chromium, polled), both languages (zh + en:
64 briefings), each side with an empty chart cache of its own ($NRMC_CACHE_DIR):
  cold      `nrmc build --force` of all 32 scopes (31 provinces + national) in zh and en, HTML +
            PDF, into a fresh directory, with the build's phase trace ($NRMC_TRACE) for the profile.
  naive     for each scope and language: `papermill` CLI, `jupyter nbconvert --to html --no-input`,
            then a fresh `chromium --headless --print-to-pdf` of that HTML: the same 64 HTML + 64 PDF.
  no-op     `nrmc build` again with nothing changed.
  edit      a figure about an Anhui centre is appended to metrics.csv, then `nrmc build` (all
            scopes): how many briefings it rebuilds, and how long it takes.
  one       `nrmc build anhui` after another such figure (zh + en, HTML + PDF).
  preview   `nrmc preview anhui` with the Anhui page open in Chromium (Playwright): from saving
            metrics.csv to the page's reload with the new briefing, the median of several saves.
  scale     the cold build on a synthetic dataset N× the real one (benchmarks/synthetic.py).
"""
from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import shutil
import subprocess
import sys
import threading
import time
from collections import defaultdict
from pathlib import Path

import psutil

REPO = Path(__file__).resolve().parents[1]
SNAPSHOT = REPO / "benchmarks" / "out" / "snapshot"
BIN = Path(sys.executable).parent
sys.path.insert(0, str(Path(__file__).resolve().parent))

from synthetic import make_dataset  # noqa: E402

CHROMIUM = os.environ.get("NRMC_CHROMIUM", "/usr/bin/chromium")
NAIVE_CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                       "--no-first-run", "--disable-background-networking", "--no-pdf-header-footer"]


# ---------------------------------------------------------------------------------------------
# Measuring a process tree
# ---------------------------------------------------------------------------------------------

def _kind(proc: psutil.Process) -> str:
    try:
        cmd = " ".join(proc.cmdline())
    except (psutil.Error, OSError):
        return "other"
    if "ipykernel" in cmd:
        return "kernel"
    if "chrom" in cmd or "headless_shell" in cmd:
        return "chromium"
    if "node" in cmd and "playwright" in cmd:
        return "playwright-driver"
    if "nbconvert" in cmd:
        return "nbconvert"
    if "papermill" in cmd:
        return "papermill"
    if "nrmc" in cmd:
        return "nrmc-build"
    return "other"


class TreeMonitor:
    """Polls a process and its descendants: peak summed RSS, CPU seconds by kind of process."""

    def __init__(self, interval: float = 0.1):
        self.interval = interval
        self.peak_rss = 0
        self.peak_pss = 0
        self._n = 0
        self._cpu: dict[int, tuple[str, float]] = {}
        self._roots: list[psutil.Process] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def add_root(self, pid: int) -> None:
        try:
            self._roots.append(psutil.Process(pid))
        except psutil.Error:
            pass

    def start(self) -> "TreeMonitor":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.is_set():
            total = pss = 0
            self._n += 1
            full = self._n % 5 == 1  # PSS reads smaps: every 0.5 s only
            for root in list(self._roots):
                try:
                    procs = [root, *root.children(recursive=True)]
                except psutil.Error:
                    continue
                for p in procs:
                    try:
                        with p.oneshot():
                            total += p.memory_info().rss
                            if full:
                                pss += p.memory_full_info().pss
                            t = p.cpu_times()
                            cpu = t.user + t.system  # not children_*: a reaped kernel would count twice
                        kind = self._cpu.get(p.pid, (None, 0))[0] or _kind(p)
                        self._cpu[p.pid] = (kind, cpu)
                    except psutil.Error:
                        pass
            self.peak_rss = max(self.peak_rss, total)
            self.peak_pss = max(self.peak_pss, pss)
            self._stop.wait(self.interval)

    def cpu_by_kind(self) -> dict[str, float]:
        out: dict[str, float] = defaultdict(float)
        for kind, cpu in self._cpu.values():
            out[kind] += cpu
        return dict(out)


def run_measured(cmds: list[list[str]], *, env: dict | None = None, cwd: Path = REPO, check: bool = True) -> dict:
    """Run commands one after another under one monitor; wall time, peak RSS, CPU by kind."""
    mon = TreeMonitor().start()
    e = {**os.environ, "CI": "true", "PYTHONPATH": str(SNAPSHOT / "src"), **(env or {})}
    load_before = os.getloadavg()[0]
    t0 = time.monotonic()
    outputs = []
    for cmd in cmds:
        proc = subprocess.Popen(cmd, cwd=cwd, env=e, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        mon.add_root(proc.pid)
        out, err = proc.communicate()
        if check and proc.returncode != 0:
            mon.stop()
            raise SystemExit(f"command failed ({proc.returncode}): {' '.join(map(str, cmd))}\n{out}\n{err}")
        outputs.append((proc.returncode, out, err))
    seconds = time.monotonic() - t0
    mon.stop()
    return {"seconds": seconds, "peak_rss": mon.peak_rss, "peak_pss": mon.peak_pss, "cpu": mon.cpu_by_kind(),
            "outputs": outputs, "loadavg_before": load_before, "loadavg_after": os.getloadavg()[0]}


# ---------------------------------------------------------------------------------------------
# The runs
# ---------------------------------------------------------------------------------------------

def nrmc_cmd(*args) -> list[str]:
    # Both languages (the default), the same outputs as the naive loop.
    return [sys.executable, "-m", "nrmc", "build", *map(str, args)]


def take_snapshot(work: Path) -> str:
    """Measure the committed HEAD, copied aside: edits made in the work tree meanwhile change nothing."""
    if SNAPSHOT.exists():
        shutil.rmtree(SNAPSHOT)
    SNAPSHOT.mkdir(parents=True)
    # pyproject.toml: how nrmc knows it runs from a checkout (and finds the notebooks beside src/)
    archive = subprocess.run(["git", "-C", str(REPO), "archive", "HEAD", "pyproject.toml", "src", "notebooks", "data"],
                             capture_output=True, check=True).stdout
    subprocess.run(["tar", "-x", "-C", str(SNAPSHOT)], input=archive, check=True)
    return subprocess.run(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                          check=True).stdout.strip()


def scopes() -> list[tuple[str, str]]:
    """(slug, kind) for the 31 provinces and national."""
    from nrmc.regions import all_scopes

    return [(s.slug, s.kind) for s in all_scopes()]


def count_outputs(out: Path) -> tuple[int, int]:
    html = pdf = 0
    for d in (out, out / "en"):
        html += len(list(d.glob("*.html"))) - int((d / "index.html").exists())
        pdf += len(list(d.glob("*.pdf")))
    return html, pdf


def trace_summary(out: Path) -> dict:
    """Phase totals from the build's $NRMC_TRACE file: startup, and summed seconds per phase."""
    try:
        trace = json.loads((out / ".state" / "trace.json").read_text())
    except (OSError, ValueError):
        return {}
    sums: dict[str, float] = defaultdict(float)
    first_acquire = min((s for _, ph, s, _ in trace if ph == "kernel-acquired"), default=None)
    last_end = max((e for *_, e in trace if e is not None), default=0)
    for _, ph, s, e in trace:
        if e is not None:
            sums[ph] += e - s
    return {"startup_until_first_kernel": first_acquire, "last_phase_end": last_end,
            **{f"sum_{k}": round(v, 1) for k, v in sums.items()}}


def fresh_cache(work: Path, name: str) -> dict:
    """An empty chart cache of its own for one side of a comparison."""
    d = work / "cache" / name
    shutil.rmtree(d, ignore_errors=True)
    return {"NRMC_CACHE_DIR": str(d)}


def bench_nrmc(data: Path, out: Path, label: str, work: Path) -> dict:
    if out.exists():
        shutil.rmtree(out)
    r = run_measured([nrmc_cmd("--force", "--out", out, "--data", data)],
                     env={"NRMC_TRACE": "1", **fresh_cache(work, label.replace(" ", "-"))})
    html, pdf = count_outputs(out)
    r.update(html=html, pdf=pdf, trace=trace_summary(out), label=label)
    print(f"  {label}: {r['seconds']:.1f} s, peak {r['peak_rss'] / 2**30:.2f} GiB, {html} HTML + {pdf} PDF",
          file=sys.stderr)
    return r


def bench_naive(data: Path, out: Path, work: Path) -> dict:
    if out.exists():
        shutil.rmtree(out)
    cmds = []
    for slug, kind in scopes():
        for lang in ("zh", "en"):
            d = out if lang == "zh" else out / "en"
            (d / "notebooks").mkdir(parents=True, exist_ok=True)
            nb_in = SNAPSHOT / "notebooks" / ("national.ipynb" if kind == "national" else "province.ipynb")
            nb_out = d / "notebooks" / f"{slug}.ipynb"
            pm = [str(BIN / "papermill"), str(nb_in), str(nb_out), "--cwd", str(SNAPSHOT / "notebooks"),
                  "-p", "lang", lang, "-p", "data_dir", str(data), "--no-progress-bar"]
            if kind != "national":
                pm += ["-p", "province", slug]
            cmds.append(pm)
            cmds.append([str(BIN / "jupyter"), "nbconvert", "--to", "html", "--no-input", "--output-dir", str(d),
                         str(nb_out)])
            cmds.append([CHROMIUM, *NAIVE_CHROMIUM_ARGS, f"--user-data-dir={out / '.chromium-profile'}",
                         f"--print-to-pdf={d / (slug + '.pdf')}", (d / f"{slug}.html").as_uri()])
    r = run_measured(cmds, env=fresh_cache(work, "naive"))
    html, pdf = count_outputs(out)
    r.update(html=html, pdf=pdf, label="naive loop")
    print(f"  naive: {r['seconds']:.1f} s, peak {r['peak_rss'] / 2**30:.2f} GiB, {html} HTML + {pdf} PDF",
          file=sys.stderr)
    return r


def add_anhui_figure(data: Path, value: int) -> None:
    """Append one dated figure about an Anhui centre (AH-02, new technologies and projects), as an
    analyst adding a number from a new article would."""
    path = data / "metrics.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    header = lines[0].split(",")
    row = dict.fromkeys(header, "")
    row.update(subject_id="AH-02", metric="new_technologies", value=str(value), unit="项",
               as_of=f"2025-12-{10 + value % 18:02d}", as_of_basis="publication", period="cumulative",
               source_id="S01", note="benchmark: a new figure")
    lines.append(",".join(row[h] for h in header))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def built_count(output: str) -> int:
    import re

    m = re.search(r"(\d+) built, (\d+) skipped", output)
    return int(m.group(1)) if m else -1


def bench_preview(data: Path, out: Path, work: Path, saves: int = 7, env: dict | None = None) -> dict:
    """`nrmc preview anhui`, the page open in Chromium: seconds from saving metrics.csv to the page
    reloaded with the rebuilt briefing (the page's load event after the save)."""
    import asyncio
    import re
    import signal as _signal

    from playwright.async_api import async_playwright

    from nrmc.export import CHROMIUM_ARGS

    e = {**os.environ, "PYTHONPATH": str(SNAPSHOT / "src"), "NRMC_TRACE": "1", **(env or {})}
    proc = subprocess.Popen([sys.executable, "-m", "nrmc", "preview", "anhui", "--out", str(out), "--data", str(data),
                             "--port", "0"], cwd=REPO, env=e, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True, bufsize=1)
    lines: list[str] = []
    threading.Thread(target=lambda: [lines.append(x) for x in proc.stdout], daemon=True).start()

    def wait(pattern: str, timeout: float = 300) -> re.Match:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            for line in list(lines):
                m = re.search(pattern, line)
                if m:
                    return m
            time.sleep(0.05)
        raise SystemExit("preview: no " + pattern + "\n" + "".join(lines))

    url = wait(r"Serving (\S+)").group(1)
    # Anhui is rebuilt at start only if its output is not current (after `nrmc build anhui` it is)
    for lang in ("zh", "en"):
        with contextlib.suppress(SystemExit):
            wait(rf"anhui \({lang}\) rebuilt", timeout=20)
    times: list[float] = []
    load_before = os.getloadavg()[0]

    async def drive():
        async with async_playwright() as pw:
            browser = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
            page = await browser.new_page()
            await page.goto(url)
            await asyncio.sleep(8)  # the first build's PDFs are printed in the background meanwhile
            for i in range(saves):
                loaded = asyncio.get_running_loop().create_future()
                page.once("load", lambda *_: loaded.done() or loaded.set_result(time.perf_counter()))
                t0 = time.perf_counter()
                add_anhui_figure(data, 70 + i)
                await asyncio.wait_for(loaded, 120)
                times.append(loaded.result() - t0)
                await asyncio.sleep(6)  # the other language and the PDFs, then a quiet machine again
            await browser.close()

    try:
        asyncio.run(drive())
    finally:
        proc.send_signal(_signal.SIGINT)
        try:
            proc.wait(60)
        except subprocess.TimeoutExpired:
            proc.kill()
    times.sort()
    return {"times": times, "median": times[len(times) // 2], "loadavg_before": load_before,
            "loadavg_after": os.getloadavg()[0], "log": "".join(lines)[-4000:]}


def machine() -> dict:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    chromium = subprocess.run([CHROMIUM, "--version"], capture_output=True, text=True).stdout.strip()
    return {"cpus": os.cpu_count(), "cpu": cpu, "ram_gib": round(psutil.virtual_memory().total / 2**30, 1),
            "os": platform.platform(), "python": platform.python_version(), "chromium": chromium}


# ---------------------------------------------------------------------------------------------
# Report
# ---------------------------------------------------------------------------------------------

def gib(n: float) -> str:
    return f"{n / 2**30:.2f} GiB"


def table(res: dict) -> str:
    m = res["machine"]
    rows = [("measure", "result", "target", "met")]
    cold = res["cold"]
    naive = res.get("naive")
    rows.append(("cold build, 64 briefings (32 scopes × zh+en, HTML+PDF)", f"{cold['seconds']:.1f} s", "", ""))
    if naive:
        speed = naive["seconds"] / cold["seconds"]
        same = (naive["html"], naive["pdf"]) == (cold["html"], cold["pdf"]) == (64, 64)
        rows.append(("naive loop (papermill → nbconvert → chromium), zh+en", f"{naive['seconds']:.1f} s", "", ""))
        rows.append(("speed-up over the naive loop", f"{speed:.1f}×", "≥ 8×", "yes" if speed >= 8 else "NO"))
        rows.append(("same outputs (64 HTML + 64 PDF each)",
                     f"{cold['html']}+{cold['pdf']} vs {naive['html']}+{naive['pdf']}", "same", "yes" if same else "NO"))
        rows.append(("naive loop peak memory (PSS)", gib(naive["peak_pss"]), "", ""))
    noop = res["noop"]
    rows.append(("no-op rebuild (`nrmc build`, nothing changed)", f"{noop['seconds']:.2f} s", "≤ 1 s",
                 "yes" if noop["seconds"] <= 1 else "NO"))
    edit = res["edit"]
    rows.append(("a figure about an Anhui centre appended, then `nrmc build`",
                 f"{edit['built']} briefings rebuilt, {edit['seconds']:.1f} s", "4 (anhui, national × zh+en)",
                 "yes" if edit["built"] == 4 else "NO"))
    one = res["one"]
    rows.append(("`nrmc build anhui` after another such figure (zh+en, HTML+PDF)", f"{one['seconds']:.1f} s", "", ""))
    pv = res.get("preview")
    if pv:
        ratio = one["seconds"] / pv["median"]
        rows.append(("preview: save metrics.csv → Anhui page reloaded (median of "
                     f"{len(pv['times'])})", f"{pv['median']:.2f} s (range {pv['times'][0]:.2f}–{pv['times'][-1]:.2f})",
                     "≤ 2 s", "yes" if pv["median"] <= 2 else "NO"))
        rows.append(("  `nrmc build anhui` ÷ preview save-to-refresh", f"{ratio:.1f}×", "≥ 5×",
                     "yes" if ratio >= 5 else "NO"))
    rows.append(("peak memory of the cold build (PSS, whole tree)", gib(cold["peak_pss"]), "≤ 2 GiB",
                 "yes" if cold["peak_pss"] <= 2 * 2**30 else "NO"))
    rows.append(("  same, summed RSS (counts shared pages repeatedly)", gib(cold["peak_rss"]), "", ""))
    base = res["scale"].get("1")
    for factor, r in sorted(res["scale"].items(), key=lambda kv: int(kv[0])):
        if factor == "1":
            continue
        t = r["seconds"] / base["seconds"] if base else 0
        growth = f" ({t:.2f}× time, {r['peak_pss'] / base['peak_pss']:.2f}× memory of 1×)" if base else ""
        rows.append((f"cold build on {factor}× synthetic data ({r['rows']} centres+figures)",
                     f"{r['seconds']:.1f} s, PSS {gib(r['peak_pss'])}{growth}", "≤ 2× time, ≤ 2 GiB",
                     "yes" if r["peak_pss"] <= 2 * 2**30 and t <= 2 else "NO"))
    w = [max(len(r[i]) for r in rows) for i in range(4)]
    loads = ", ".join(f"{k} {v['loadavg_before']:.1f}→{v['loadavg_after']:.1f}" for k, v in
                      (("cold", cold), ("naive", naive or {}), ("no-op", noop), ("edit", edit), ("one", one),
                       ("preview", pv or {})) if v)
    lines = [f"Commit {res['commit']}. Load average (1 min) before→after: {loads}",
             f"Machine: {m['cpus']} cores, {m['cpu']}, {m['ram_gib']} GiB RAM; {m['os']}; Python {m['python']}; {m['chromium']}",
             ""]
    for i, r in enumerate(rows):
        lines.append("| " + " | ".join(c.ljust(w[j]) for j, c in enumerate(r)) + " |")
        if i == 0:
            lines.append("|" + "|".join("-" * (x + 2) for x in w) + "|")
    lines.append("")
    lines.append("CPU seconds by process kind, cold build: " + ", ".join(
        f"{k} {v:.0f}" for k, v in sorted(cold["cpu"].items(), key=lambda kv: -kv[1])))
    if naive:
        lines.append("CPU seconds by process kind, naive loop: " + ", ".join(
            f"{k} {v:.0f}" for k, v in sorted(naive["cpu"].items(), key=lambda kv: -kv[1])))
    if cold.get("trace"):
        lines.append("Phase trace of the cold build (seconds): " + ", ".join(f"{k} {v}" for k, v in cold["trace"].items()))
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--work", type=Path, default=REPO / "benchmarks" / "out")
    ap.add_argument("--skip-naive", action="store_true")
    ap.add_argument("--skip-preview", action="store_true")
    ap.add_argument("--scales", default="1,10", help="comma-separated dataset factors (1 is the real data)")
    args = ap.parse_args(argv)
    work = args.work.resolve()
    work.mkdir(parents=True, exist_ok=True)
    global SNAPSHOT
    SNAPSHOT = work / "snapshot"
    res: dict = {"machine": machine(), "scale": {}, "commit": take_snapshot(work)}
    src = SNAPSHOT / "data"
    print(f"benchmarking on {res['machine']['cpus']} cores, {res['machine']['cpu']}", file=sys.stderr)

    data1 = make_dataset(1, work / "data-1x", src)
    out1 = work / "reports-1x"
    res["cold"] = bench_nrmc(data1, out1, "cold 1×", work)
    res["scale"]["1"] = {**res["cold"], "rows": _rows(data1)}

    res["noop"] = run_measured([nrmc_cmd("--out", out1, "--data", data1)])
    res["noop"]["summary"] = res["noop"]["outputs"][0][1].strip()
    print(f"  no-op: {res['noop']['seconds']:.2f} s: {res['noop']['summary']}", file=sys.stderr)

    # The edits, `nrmc build anhui` and the preview use the chart cache the cold build filled, as an
    # analyst's machine would have it.
    user_cache = {"NRMC_CACHE_DIR": str(work / "cache" / "cold-1×")}
    add_anhui_figure(data1, 60)
    res["edit"] = run_measured([nrmc_cmd("--out", out1, "--data", data1)], env={"NRMC_TRACE": "1", **user_cache})
    res["edit"]["built"] = built_count(res["edit"]["outputs"][0][1])
    print(f"  Anhui edit: {res['edit']['built']} rebuilt in {res['edit']['seconds']:.1f} s", file=sys.stderr)
    add_anhui_figure(data1, 61)
    res["one"] = run_measured([nrmc_cmd("anhui", "--out", out1, "--data", data1)], env=user_cache)
    print(f"  nrmc build anhui: {res['one']['seconds']:.1f} s", file=sys.stderr)
    if not args.skip_preview:
        res["preview"] = bench_preview(data1, out1, work, env=user_cache)
        print(f"  preview save-to-refresh: {res['preview']['times']}", file=sys.stderr)

    if not args.skip_naive:
        res["naive"] = bench_naive(make_dataset(1, work / "data-1x-naive", src), work / "naive-1x", work)

    for factor in (int(f) for f in args.scales.split(",") if f.strip() and int(f) != 1):
        data = make_dataset(factor, work / f"data-{factor}x", src)
        r = bench_nrmc(data, work / f"reports-{factor}x", f"cold {factor}×", work)
        res["scale"][str(factor)] = {**r, "rows": _rows(data)}

    for r in [res["cold"], res["noop"], res["edit"], res["one"], res.get("naive"), *res["scale"].values()]:
        if r:
            r.pop("outputs", None)
    text = table(res)
    print(text)
    (work / "results.md").write_text(text + "\n", encoding="utf-8")
    (work / "results.json").write_text(json.dumps(res, indent=1, ensure_ascii=False, default=str), encoding="utf-8")
    return 0


def _rows(data: Path) -> int:
    return sum(len((data / f).read_text(encoding="utf-8").splitlines()) - 1 for f in ("centers.csv", "metrics.csv"))


if __name__ == "__main__":
    sys.exit(main())
