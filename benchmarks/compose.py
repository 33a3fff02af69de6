"""Time composing every briefing in process (no kernel, no browser), and check that a change to
the code keeps every briefing's HTML byte for byte.

    .venv/bin/python benchmarks/compose.py                      # CPU seconds, the slowest five
    .venv/bin/python benchmarks/compose.py --out /tmp/before    # also write <scope>.<lang>.html
    .venv/bin/python benchmarks/compose.py --out /tmp/after --same-as /tmp/before
    .venv/bin/python benchmarks/compose.py --profile anhui:zh,national:en   # cProfile, by cumtime

The 64 briefings (32 scopes, zh and en) are composed from the shipped data as the tests compose
them (nrmc.assemble.compose_html). `--same-as DIR` exits 1 naming every briefing whose HTML
differs from DIR's (or is missing there). Never part of the tests.
"""
from __future__ import annotations

import argparse
import cProfile
import pstats
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

import nrmc  # noqa: E402
from nrmc import regions  # noqa: E402
from nrmc.assemble import compose_html  # noqa: E402
from nrmc.context import Briefing  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", type=Path, help="write each briefing's HTML here")
    ap.add_argument("--same-as", type=Path, help="compare with the HTML written by an earlier --out")
    ap.add_argument("--profile", help="scope:lang,… to profile (after one pass over every briefing)")
    args = ap.parse_args()
    ds = nrmc.load()
    pairs = [(s.slug, lang) for s in regions.all_scopes() for lang in ("zh", "en")]
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
    c0, t0 = time.process_time(), time.monotonic()
    per, differ = [], []
    for slug, lang in pairs:
        c = time.process_time()
        html = compose_html(Briefing(slug, lang=lang, ds=ds))
        per.append((time.process_time() - c, slug, lang))
        name = f"{slug}.{lang}.html"
        if args.out:
            (args.out / name).write_text(html, encoding="utf-8")
        if args.same_as:
            old = args.same_as / name
            if not old.exists() or old.read_text(encoding="utf-8") != html:
                differ.append(name)
    print(f"{len(pairs)} briefings composed: CPU {time.process_time() - c0:.1f} s, wall {time.monotonic() - t0:.1f} s "
          f"(the first ones compile the sentence templates)")
    print("slowest (CPU s):", ", ".join(f"{s}/{lg} {c:.2f}" for c, s, lg in sorted(per, reverse=True)[:5]))
    if args.profile:
        prof = cProfile.Profile()
        prof.enable()
        for item in args.profile.split(","):
            slug, lang = item.split(":")
            compose_html(Briefing(slug, lang=lang, ds=ds))
        prof.disable()
        pstats.Stats(prof).sort_stats("cumtime").print_stats(40)
    if args.same_as:
        if differ:
            print(f"{len(differ)} briefings differ from {args.same_as}: {', '.join(differ)}")
            return 1
        print(f"every briefing's HTML is byte-identical to {args.same_as}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
