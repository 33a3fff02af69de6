"""A synthetic dataset N times the size of the real one, for the scale benchmark (never committed).

    python benchmarks/synthetic.py 10 /tmp/data10x      # writes a valid data directory

Every table except centres and figures is copied as is (31 provinces, the same sources,
specialties and definitions). Each real centre gets N-1 copies with new ids (`ZB-01` … `ZJ-76`,
a prefix no real centre uses), in the same host province, with a specialty shifted along the
list, and every figure of a real centre is copied onto its copies with the value scaled a little
(counts stay whole numbers; percentages are copied as they are, so a share stays within 100 %).
Figures about a province, a provincial centre or the nation are copied with the as-of date moved
back by k weeks, so they stay distinct and the newest figure is still the real one. The result
passes `nrmc.load` (checked at the end of `make_dataset`).
"""
from __future__ import annotations

import csv
import shutil
import sys
from datetime import timedelta
from pathlib import Path

MAX_FACTOR = 26  # copy prefixes ZB … ZZ


def _read(path: Path) -> tuple[list[str], list[dict]]:
    with open(path, encoding="utf-8-sig", newline="") as f:
        r = csv.DictReader(f)
        return list(r.fieldnames or []), list(r)


def _write(path: Path, fields: list[str], rows: list[dict]) -> None:
    with open(path, "w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, fieldnames=fields, lineterminator="\n")
        w.writeheader()
        w.writerows(rows)


def make_dataset(factor: int, dest: Path, src: Path | None = None, *, check: bool = True) -> Path:
    """Write a dataset `factor` times the real one (centres and figures) to `dest`; return `dest`."""
    from nrmc.data import parse_partial_date

    if not 1 <= factor <= MAX_FACTOR:
        raise ValueError(f"factor must be 1…{MAX_FACTOR}")
    src = Path(src) if src else Path(__file__).resolve().parents[1] / "data"
    dest = Path(dest)
    if dest.exists():
        shutil.rmtree(dest)
    shutil.copytree(src, dest, ignore=shutil.ignore_patterns("*.md"))
    if factor == 1:
        return dest

    cfields, centers = _read(src / "centers.csv")
    mfields, metrics = _read(src / "metrics.csv")
    _, specs = _read(src / "specialties.csv")
    spec_codes = [s["code"] for s in specs]
    center_ids = {c["center_id"] for c in centers}

    new_centers = list(centers)
    copies: dict[str, list[tuple[int, str]]] = {}
    for k in range(1, factor):
        prefix = "Z" + chr(ord("A") + k)
        for i, c in enumerate(centers, start=1):
            new_id = f"{prefix}-{i:02d}"
            row = dict(c)
            row["center_id"] = new_id
            row["name_zh"] = f"{c['name_zh']}（合成{k}）"
            if row.get("name_en"):
                row["name_en"] = f"{c['name_en']} (synthetic {k})"
            sp = c["specialty"]
            if sp in spec_codes:
                row["specialty"] = spec_codes[(spec_codes.index(sp) + k) % len(spec_codes)]
            if row["specialty_basis"] == "inferred" and not row.get("note"):
                row["note"] = "synthetic copy"
            new_centers.append(row)
            copies.setdefault(c["center_id"], []).append((k, new_id))

    new_metrics = list(metrics)
    for m in metrics:
        for k in range(1, factor):
            row = dict(m)
            if m["subject_id"] in center_ids:
                row["subject_id"] = dict(copies[m["subject_id"]])[k]
                try:
                    v = float(m["value"])
                    if v and m["unit"] != "%":  # a count stays a whole number of its base unit (万 = 2 decimals)
                        scaled = v * (1 + 0.05 * k)
                        row["value"] = f"{scaled:.2f}" if m["unit"].startswith("万") else str(round(scaled))
                except ValueError:
                    pass
            else:
                when = parse_partial_date(m["as_of"])
                if when is None:
                    continue
                row["as_of"] = (when - timedelta(weeks=k)).strftime("%Y-%m-%d")
            new_metrics.append(row)

    _write(dest / "centers.csv", cfields, new_centers)
    _write(dest / "metrics.csv", mfields, new_metrics)
    if check:
        import nrmc

        nrmc.load(dest)
    return dest


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__.strip().splitlines()[2].strip(), file=sys.stderr)
        return 2
    dest = make_dataset(int(argv[0]), Path(argv[1]))
    print(dest)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
