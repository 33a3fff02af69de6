"""data/datapackage.json: the dataset as a Frictionless data package, generated from the schema the
loader enforces (`nrmc.data.TABLES`), so that the data travels without the tool.

Each CSV file is a resource whose Table Schema states what `nrmc validate` checks of every column
one at a time: its type, required, unique, enums, patterns (ids, partial ISO dates, URLs), the
numeric ranges that are static, and the foreign keys to a single id. What a Table Schema cannot
say stays with `nrmc validate` alone and is listed in `description` (`NOT_IN_THE_SCHEMA`). The
package also carries its licence and the sources (from sources.csv). `nrmc datapackage` writes it;
a test checks that the committed file is what this module makes from TABLES, and that the
`frictionless` library finds the data valid against it.
"""
from __future__ import annotations

import csv
import json
from pathlib import Path

from nrmc.data import ID_LIST, PARTIAL_DATE, TABLES, Col

__all__ = ["FOREIGN_KEYS", "FILE_NAME", "descriptor", "render", "write", "field"]

FILE_NAME = "datapackage.json"
# Data Package v2 (2024): its Table Schema has exclusiveMinimum (a population, an area > 0)
PROFILE = "https://datapackage.org/profiles/2.0/datapackage.json"
# (table, column) → (table, column) of the id it refers to: the single-valued foreign keys that
# nrmc.data checks (`check_fk`; a test compares this list with the loader's). Lists of ids
# (source_ids …) and metrics.subject_id (a centre, a province, a provincial centre or 'national')
# are checked by nrmc validate only.
FOREIGN_KEYS: dict[tuple[str, str], tuple[str, str]] = {
    ("centers", "province_code"): ("provinces", "code"),
    ("centers", "output_province_code"): ("provinces", "code"),
    ("centers", "specialty"): ("specialties", "code"),
    ("centers", "city_zh"): ("cities", "name_zh"),
    ("centers", "output_hospital_zh"): ("hospitals", "name_zh"),
    ("centers", "host_hospital_zh"): ("hospitals", "name_zh"),
    ("centers", "host_hospital_zh_corrected"): ("hospitals", "name_zh"),
    ("metrics", "metric"): ("metric_definitions", "code"),
    ("metrics", "source_id"): ("sources", "source_id"),
    ("stages", "center_id"): ("centers", "center_id"),
    ("stages", "source_id"): ("sources", "source_id"),
    ("center_batches", "center_id"): ("centers", "center_id"),
    ("center_batches", "source_id"): ("sources", "source_id"),
    ("cities", "province_code"): ("provinces", "code"),
    ("milestones", "source_id"): ("sources", "source_id"),
    ("provincial_centers", "province_code"): ("provinces", "code"),
    ("provincial_centers", "city_zh"): ("cities", "name_zh"),
}
LICENSE = {"name": "CC-BY-4.0", "title": "Creative Commons Attribution 4.0 International",
           "path": "https://creativecommons.org/licenses/by/4.0/"}
DESCRIPTIONS = {
    "sources": "Every source: the seed articles (S…), reference facts (R…) and pages of the public record (P…), "
               "with publisher, date, where it was read and its kind.",
    "provinces": "The 31 provincial-level divisions: codes, names, region, population and area (reference table).",
    "specialties": "The specialty codes of the centres.",
    "centers": "One row per National Regional Medical Centre project (plus planned ones, status 'planned').",
    "metric_definitions": "Every metric code: labels, base unit, kind, comparability, theme and range.",
    "metrics": "One figure per row (long format): subject, metric, value as published with unit and qualifier, "
               "as-of date, period, source and the exact quote.",
    "stages": "Each centre's lifecycle: one dated, sourced event per row.",
    "center_batches": "Which national batch a centre was approved in, one row per source that states it (sources "
                      "that disagree are both kept, each row flagged 'conflict').",
    "cities": "Every city named in the data, with its English name.",
    "hospitals": "Every output and host hospital named in centers.csv, with its English name.",
    "milestones": "National programme milestones and official totals.",
    "provincial_centers": "Provincial regional medical centres (省级区域医疗中心): another programme, for context.",
}
NOT_IN_THE_SCHEMA = (
    "What nrmc validate checks beyond these Table Schemas: metrics.value within its metric's range "
    "(metric_definitions.csv min/max, counts whole, shares 0-100 %) and agreeing with its quote; units matching "
    "their metric (or 万 + it); lists of ids (source_ids, focus_specialties) and metrics.subject_id resolving; no "
    "date after today; no figure entered twice; every flag and inferred specialty with its reasoning; two sources "
    "giving a centre different batches both flagged 'conflict'; 31 provinces.")


def _plain(pattern: str) -> str:
    """A Python pattern as a Table Schema pattern (implicitly anchored): without ^ and $."""
    return pattern[1:-1] if pattern.startswith("^") and pattern.endswith("$") else pattern


URL_PATTERN = r"[Hh][Tt][Tt][Pp][Ss]?://\S+"


def field(name: str, col: Col) -> dict:
    """The Table Schema field of one column of TABLES."""
    kind = col.kind
    f: dict = {"name": name, "type": "string"}
    cons: dict = {}
    if kind in ("int", "float"):
        f["type"] = "integer" if kind == "int" else "number"
        if col.min is not None:
            if col.above_min and kind == "int":
                cons["minimum"] = int(col.min) + 1
            else:
                cons["exclusiveMinimum" if col.above_min else "minimum"] = _number(col.min, kind)
        if col.max is not None:
            cons["maximum"] = _number(col.max, kind)
    elif kind == "bool":
        f.update(type="boolean", trueValues=["true"], falseValues=["false"])
    elif kind == "date":
        cons["pattern"] = _plain(PARTIAL_DATE.pattern)
        f["description"] = "Partial ISO date at the source's precision: YYYY, YYYY-MM or YYYY-MM-DD."
    elif kind == "url":
        cons["pattern"] = URL_PATTERN
    elif kind == "ids":
        cons["pattern"] = _plain(ID_LIST)
        f["description"] = "Ids separated by ';' (no spaces)."
    elif kind.startswith("enum:"):
        cons["enum"] = kind[5:].split("|")
    elif kind.startswith("regex:"):
        cons["pattern"] = _plain(kind[6:])
    if col.unit:
        f["description"] = f"In {col.unit}."
    if col.required:
        cons["required"] = True
    if col.unique:
        cons["unique"] = True
    if cons:
        f["constraints"] = cons
    return f


def _number(x: float, kind: str) -> int | float:
    return int(x) if kind == "int" or float(x).is_integer() else float(x)


def table_schema(table: str) -> dict:
    spec = TABLES[table]
    # every column present, no other, in any order: the loader's rule (fieldsMatch 'equal')
    schema: dict = {"fields": [field(n, c) for n, c in spec.items()], "fieldsMatch": "equal", "missingValues": [""]}
    keys = [n for n, c in spec.items() if c.unique and c.required]
    if keys:  # the table's id: its first unique, required column (center_id; code; name_zh)
        schema["primaryKey"] = keys[:1]
    fks = [{"fields": col, "reference": {"resource": ref[0], "fields": ref[1]}}
           for (t, col), ref in FOREIGN_KEYS.items() if t == table]
    if fks:
        schema["foreignKeys"] = fks
    return schema


def _sources(data_dir: Path) -> list[dict]:
    """The package's sources, one per row of sources.csv: id, title, publisher, date and address."""
    out = []
    with open(data_dir / "sources.csv", encoding="utf-8-sig", newline="") as f:
        for r in csv.DictReader(f):
            when = r.get("date") or "undated"
            src = {"title": f"{r['source_id']}: {r['title']} ({r['publisher']}, {when})"}
            if r.get("url"):
                src["path"] = r["url"]
            out.append(src)
    return out


def descriptor(data_dir: Path) -> dict:
    """The data package descriptor of the dataset in `data_dir` (its sources come from sources.csv;
    everything else from TABLES)."""
    return {
        "$schema": PROFILE,
        "name": "nrmc-national-regional-medical-centres",
        "title": "China's National Regional Medical Centres (国家区域医疗中心): a curated, sourced dataset",
        "description": (
            "The centres of China's National Regional Medical Centre programme (国家区域医疗中心), their lifecycle "
            "and the figures published about them, each figure with its source, as-of date, period and the exact "
            "quote. Numbers are kept as published: a doubtful figure is flagged with its reasons, never corrected "
            "silently; an empty cell means unknown, never 0. Files are UTF-8 CSV; dates are partial ISO dates at "
            "the precision the source gives. See README.md beside this file. " + NOT_IN_THE_SCHEMA),
        "keywords": ["China", "health care", "hospitals", "National Regional Medical Centres", "国家区域医疗中心"],
        "licenses": [LICENSE],
        "sources": _sources(Path(data_dir)),
        "resources": [{
            "name": table,
            "path": f"{table}.csv",
            "type": "table",
            "format": "csv",
            "mediatype": "text/csv",
            "encoding": "utf-8",
            "description": DESCRIPTIONS.get(table, f"{table}.csv: see README.md."),
            "schema": table_schema(table),
        } for table in TABLES],
    }


def render(data_dir: Path) -> str:
    """datapackage.json's text: stable key order, Chinese as itself, a final newline."""
    return json.dumps(descriptor(Path(data_dir)), ensure_ascii=False, indent=2) + "\n"


def write(data_dir: Path) -> Path:
    path = Path(data_dir) / FILE_NAME
    text = render(data_dir)
    if not path.exists() or path.read_text(encoding="utf-8") != text:
        path.write_text(text, encoding="utf-8")
    return path
