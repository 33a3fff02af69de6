"""Time the chart functions: cold (rendered), warm from memory, warm from the disk cache.

    .venv/bin/python benchmarks/charts.py [--repeat N]

Prints one row per chart kind (milliseconds per chart) and the cost of the 31 highlighted
variants of one tile map. Uses a temporary cache folder; never part of the tests.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from nrmc import charts  # noqa: E402

PROV = pd.read_csv(ROOT / "data" / "provinces.csv", dtype={"code": str})
T = pd.Timestamp


def builders(lang: str, seed: int):
    """One call per chart kind, with realistic sizes; `seed` changes the data (a cache miss)."""
    zh = lang == "zh"
    rng = np.random.default_rng(seed)
    names = PROV["name_zh_short" if zh else "name_en"].tolist()
    long = "上海交通大学医学院附属上海儿童医学中心贵州医院" if zh else "Children's Hospital of Fudan University, Anhui Hospital"

    v = rng.integers(0, 10, len(PROV)).astype(float)
    tiles_df = pd.DataFrame({"code": PROV["code"], "label": names, "tile_row": PROV["tile_row"], "tile_col": PROV["tile_col"],
                             "value": v, "value_text": [str(int(x)) for x in v], "kind": "count"})

    labels = names[:8]
    labels[0] = long
    vals = rng.random(8) * 3
    sl = dict(approved="获批", built="建成", trial="试运行", open="开诊") if zh else dict(approved="approved", built="built", trial="trial", open="opened")
    rows = [{"label": lab, "events": [(T("2020-06-02") + pd.Timedelta(days=int(rng.integers(0, 900))), "approved", "stated"),
                                      (T("2023-01-12"), "built", "not_after"), (T("2024-03-01"), "open", "stated")]}
            for lab in labels[:6]]
    m = pd.DataFrame(rng.integers(0, 4, (6, 24)) * (rng.random((6, 24)) > 0.6), index=names[:6], columns=names[6:30])
    return {
        "tile_map": lambda: charts.tile_map(tiles_df, lang=lang, legend_title="已具名中心数（个）" if zh else "Named centres"),
        "hbar": lambda: charts.hbar(labels, vals, value_texts=[f"{x:.2f}" for x in vals], xlabel="每千万人口" if zh else "Per 10 million",
                                    highlight=[i == 2 for i in range(8)], reference=[("全国" if zh else "China", 1.0)]),
        "grouped_hbar": lambda: charts.grouped_hbar(labels[:4], {"A": vals[:4], "B": vals[4:8]},
                                                    value_texts={"A": [f"{x:.1f}" for x in vals[:4]], "B": [f"{x:.1f}" for x in vals[4:8]]},
                                                    xlabel="人" if zh else "People"),
        "scatter": lambda: charts.scatter([{"label": lab, "x": float(i), "y": float(v), "value_text": f"{v:.1f}", "hollow": i % 2 == 0}
                                           for i, (lab, v) in enumerate(zip(labels, vals))], xlabel="年" if zh else "Years", ylabel="项" if zh else "Items"),
        "lifecycle": lambda: charts.lifecycle(rows, lang=lang, end=T("2025-11-30"), stage_labels=sl, stage_order=list(sl)),
        "step_total": lambda: charts.step_total([T("2019-10-01"), T("2021-03-01"), T("2023-01-12"), T("2025-06-01")],
                                                [10, 26, 71, 125 + seed], ylabel="个" if zh else "Projects", point_texts=["10", "26", "71", "125"]),
        "matrix": lambda: charts.matrix(m, xlabel="依托地" if zh else "Host", ylabel="输出地" if zh else "Origin"),
    }


def timed(fn) -> float:
    t0 = time.perf_counter()
    fn()
    return (time.perf_counter() - t0) * 1000


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=3, help="cold renders per kind and language")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["NRMC_CACHE_DIR"] = tmp
        t0 = time.perf_counter()
        charts.hbar(["x"], [1.0], value_texts=["1"], xlabel="x")  # import, font, first figure
        print(f"first chart in a process (font and matplotlib start-up): {(time.perf_counter() - t0) * 1000:.0f} ms\n")
        print(f"{'kind':<14}{'cold ms':>10}{'warm disk ms':>14}{'warm memory ms':>16}{'SVG kB':>8}")
        totals = {"cold": 0.0, "disk": 0.0}
        for kind in builders("zh", 0):
            cold, disk, mem, size = [], [], [], []
            for lang in ("zh", "en"):
                for r in range(args.repeat):
                    call = builders(lang, 1000 + r)[kind]
                    cold.append(timed(call))
                    charts.cache_clear()  # memory only: the next call reads the disk cache
                    disk.append(timed(call))
                    mem.append(statistics.mean(timed(call) for _ in range(20)))
                    size.append(len(call().svg) / 1000)
            row = (statistics.median(cold), statistics.median(disk), statistics.median(mem))
            totals["cold"] += row[0]
            totals["disk"] += row[1]
            print(f"{kind:<14}{row[0]:>10.0f}{row[1]:>14.1f}{row[2]:>16.2f}{statistics.median(size):>8.0f}")
        # the same map in 31 briefings, each with its own province outlined
        df = _tiles_for(7, "zh")
        base_ms = timed(lambda: charts.tile_map(df, lang="zh", legend_title="已具名中心数（个）"))
        t0 = time.perf_counter()
        for code in PROV["code"]:
            charts.tile_map(_tiles_for(7, "zh"), lang="zh", legend_title="已具名中心数（个）", highlight=code)
        per = (time.perf_counter() - t0) * 1000 / len(PROV)
        print(f"\ntile map in 31 briefings: base rendered once ({base_ms:.0f} ms), then {per:.2f} ms per highlighted "
              f"variant (a fresh DataFrame each time, as a briefing passes it); 31 cold renders would be {31 * base_ms / 1000:.1f} s")
        print(f"one of each kind: cold {totals['cold']:.0f} ms, from the disk cache {totals['disk']:.0f} ms")
        print(f"renders {charts.STATS['renders']}, disk hits {charts.STATS['hits_disk']}, memory hits {charts.STATS['hits_memory']}")


def _tiles_for(seed: int, lang: str) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    names = PROV["name_zh_short" if lang == "zh" else "name_en"].tolist()
    v = rng.integers(0, 10, len(PROV)).astype(float)
    return pd.DataFrame({"code": PROV["code"], "label": names, "tile_row": PROV["tile_row"], "tile_col": PROV["tile_col"],
                         "value": v, "value_text": [str(int(x)) for x in v], "kind": "count"})


if __name__ == "__main__":
    main()
