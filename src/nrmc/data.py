"""Load and validate the NRMC dataset (data/*.csv) into typed pandas DataFrames.

`load()` reads every table, checks each against its schema (pandera) and the tables against each
other (ids unique, foreign keys resolve, units match their metric, every figure sourced and dated),
and raises one `DataValidationError` that lists *every* problem with file, line, column and reason.
"""
from __future__ import annotations

import calendar
import csv
import functools
import io
import os
import re
from collections import Counter
from dataclasses import dataclass, field, fields, replace
from pathlib import Path

import pandas as pd

from nrmc.labels import is_missing  # an empty cell in any form it takes through pandas
from nrmc.regions import default_data_dir

__all__ = ["Dataset", "DataValidationError", "Problem", "load", "validate_report", "default_data_dir",
           "parse_partial_date", "TABLES"]

ID_LIST = r"^[A-Za-z0-9_\-]+(;[A-Za-z0-9_\-]+)*$"
PARTIAL_DATE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")
WAN = "万"
# A centre's lifecycle (stages.csv), in the order a centre goes through them. `plaque` (挂牌) may come
# with the approval; `expected_open` is a source's expectation, not an event; `agreement` is a
# framework agreement for a planned project that is not (yet) an approved NRMC.
STAGES = ("agreement", "approved", "plaque", "under_construction", "built", "trial", "open", "operating", "expected_open")


# ---------------------------------------------------------------------------------------------
# problems
@dataclass(frozen=True)
class Problem:
    file: str
    line: int | None  # 1-based line in the file as a text editor shows it (header = line 1)
    column: str | None
    reason: str

    def __str__(self) -> str:
        where = self.file
        if self.line is not None:
            where += f", line {self.line}"
        if self.column:
            where += f", column '{self.column}'"
        return f"{where}: {self.reason}"


class DataValidationError(ValueError):
    """The dataset has problems; `.problems` lists all of them."""

    def __init__(self, problems: list[Problem], data_dir: Path | None = None):
        self.problems = list(problems)
        self.data_dir = data_dir
        head = f"{len(self.problems)} problem(s) in the dataset" + (f" at {data_dir}" if data_dir else "") + ":"
        shown = [f"  - {p}" for p in self.problems[:200]]
        if len(self.problems) > 200:
            shown.append(f"  … and {len(self.problems) - 200} more")
        super().__init__("\n".join([head, *shown]))


# ---------------------------------------------------------------------------------------------
# dates
def parse_partial_date(text: str) -> pd.Timestamp | None:
    """'2024', '2024-08' or '2024-08-31' → the last day of that period; None if invalid or empty."""
    if text is None or (isinstance(text, float) and pd.isna(text)):
        return None
    m = PARTIAL_DATE.match(str(text).strip())
    if not m:
        return None
    year, month, day = int(m.group(1)), m.group(2), m.group(3)
    if not 1900 <= year <= 2100:
        return None
    if month is None:
        return pd.Timestamp(year, 12, 31)
    month_i = int(month)
    if not 1 <= month_i <= 12:
        return None
    last = calendar.monthrange(year, month_i)[1]
    if day is None:
        return pd.Timestamp(year, month_i, last)
    day_i = int(day)
    if not 1 <= day_i <= last:
        return None
    return pd.Timestamp(year, month_i, day_i)


def _valid_partial_date(value) -> bool:
    return is_missing(value) or parse_partial_date(value) is not None


# ---------------------------------------------------------------------------------------------
# table specifications: column -> (kind, required)
#   kinds: str, id, ids, int, float, bool, date, enum:<a|b>, regex:<pattern>
@dataclass(frozen=True)
class Col:
    kind: str = "str"
    required: bool = False
    unique: bool = False


TABLES: dict[str, dict[str, Col]] = {
    "sources": {
        "source_id": Col("regex:^(S|R)\\d{2}$", True, True),
        "title": Col("str", True),
        "title_en": Col("str"),
        "publisher": Col("str", True),
        "publisher_en": Col("str"),
        "date": Col("date"),
        "date_basis": Col("enum:stated|about|not_before"),
        "url": Col("str"),
        "seed_file": Col("str"),
        "covers": Col("str", True),
        "note": Col("str"),
    },
    "provinces": {
        "code": Col("regex:^\\d{6}$", True, True),
        "name_zh": Col("str", True, True),
        "name_zh_short": Col("str", True, True),
        "abbr_zh": Col("str", True, True),
        "abbr_zh_alt": Col("str"),
        "name_en": Col("str", True, True),
        "slug": Col("regex:^[a-z]+(-[a-z]+)*$", True, True),
        "aliases": Col("str"),
        "iso": Col("regex:^CN-[A-Z]{2}$", True, True),
        "region": Col("enum:东部|中部|西部|东北", True),
        "region_en": Col("enum:East|Central|West|Northeast", True),
        "pop_2022": Col("int", True),
        "pop_2023": Col("int", True),
        "pop_2024": Col("int", True),
        "area_km2": Col("float", True),
        "tile_row": Col("int", True),
        "tile_col": Col("int", True),
        "source_ids": Col("ids", True),
    },
    "specialties": {
        "code": Col("regex:^[a-z_]+$", True, True),
        "name_zh": Col("str", True, True),
        "name_en": Col("str", True, True),
        "plan_target": Col("bool", True),
        "category": Col("enum:clinical|tcm|comprehensive", True),
        "sort_order": Col("int", True),
        "source_ids": Col("ids"),
    },
    "centers": {
        "center_id": Col("regex:^[A-Z]{2}-\\d{2}$", True, True),
        "name_zh": Col("str", True, True),
        "name_zh_corrected": Col("str"),
        "name_en": Col("str"),
        "name_en_basis": Col("enum:own|translation"),
        "short_zh": Col("str"),
        "short_en": Col("str"),
        "province_code": Col("id", True),
        "city_zh": Col("str"),
        "city_basis": Col("enum:stated|name|inferred"),
        "host_hospital_zh": Col("str"),
        "host_hospital_zh_corrected": Col("str"),
        "output_hospital_zh": Col("str", True),
        "output_province_code": Col("id", True),
        "specialty": Col("id", True),
        "specialty_basis": Col("enum:stated|inferred", True),
        "focus_specialties": Col("ids"),
        "status": Col("enum:approved|planned", True),
        "first_reported": Col("date", True),
        "source_ids": Col("ids", True),
        "note": Col("str"),
    },
    "metric_definitions": {
        "code": Col("regex:^[a-z0-9_]+$", True, True),
        "label_zh": Col("str", True),
        "label_en": Col("str", True),
        "unit": Col("str", True),
        "unit_en": Col("str"),
        "kind": Col("enum:count|stock|rate", True),
        "comparable": Col("bool", True),
        "meaning": Col("str", True),
        "theme": Col("enum:coverage|technology|experts|patients|specialties|policy|provincial", True),
    },
    "metrics": {
        "subject_id": Col("id", True),
        "metric": Col("id", True),
        "breakdown": Col("regex:^[a-z_]+=.+$"),
        "value": Col("float", True),
        "qualifier": Col("enum:more_than|about|at_least|less_than|nearly"),
        "unit": Col("str", True),
        "as_of": Col("date", True),
        "as_of_basis": Col("enum:stated|publication|not_after|not_before|about", True),
        "period": Col("regex:^(cumulative|snapshot|change|first_\\d+_months|\\d{4}|\\d{4}/\\d{4})$", True),
        "source_id": Col("id", True),
        "quote": Col("str"),
        "flag": Col("enum:suspect_unit|inconsistent|ambiguous"),
        "note": Col("str"),
        "flag_reason_zh": Col("str"),
        "flag_reason_en": Col("str"),
    },
    "stages": {
        "center_id": Col("id", True),
        "stage": Col("enum:" + "|".join(STAGES), True),
        "date": Col("date", True),
        "date_basis": Col("enum:stated|not_after|about|expected", True),
        "source_id": Col("id", True),
        "quote": Col("str", True),
        "note": Col("str"),
    },
    "cities": {
        "name_zh": Col("str", True, True),
        "name_en": Col("str", True),
        "province_code": Col("id", True),
        "note": Col("str"),
    },
    "hospitals": {
        "name_zh": Col("str", True, True),
        "name_en": Col("str"),
        "name_en_basis": Col("enum:own|translation", True),
        "short_zh": Col("str"),
        "short_en": Col("str"),
        "kind": Col("enum:hospital|university|arrangement", True),
        "note": Col("str"),
    },
    "milestones": {
        "date": Col("date", True),
        "event_zh": Col("str", True),
        "event_en": Col("str", True),
        "projects_total": Col("int"),
        "batch": Col("int"),
        "source_id": Col("id", True),
        "note": Col("str"),
    },
    "provincial_centers": {
        "prc_id": Col("regex:^PRC-[A-Z]{2}-\\d{2}$", True, True),
        "name_zh": Col("str", True),
        "name_en": Col("str"),
        "province_code": Col("id", True),
        "city_zh": Col("str"),
        "specialty_note": Col("str"),
        "role_zh": Col("str"),
        "role_en": Col("str"),
        "source_ids": Col("ids", True),
        "note": Col("str"),
    },
}


# ---------------------------------------------------------------------------------------------
# reading
def _decode(path: Path, name: str, problems: list[Problem]) -> str | None:
    raw = path.read_bytes()
    if not raw.strip():
        problems.append(Problem(name, None, None, "the file is empty (expected a header row and data)"))
        return None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        guess = ""
        for enc in ("gb18030", "big5"):
            try:
                raw.decode(enc)
                guess = f"; it decodes as {enc.upper()} (GBK/GB18030, typical of an Excel export on Chinese Windows)" \
                    if enc == "gb18030" else f"; it decodes as {enc.upper()}"
                break
            except UnicodeDecodeError:
                continue
        problems.append(Problem(name, line, None,
                                f"not UTF-8 (invalid byte 0x{raw[exc.start]:02x} at byte {exc.start}){guess}. "
                                "Re-save it as 'CSV UTF-8'."))
        return None


def _read_table(path: Path, name: str, spec: dict[str, Col], problems: list[Problem]) -> pd.DataFrame | None:
    text = _decode(path, name, problems)
    if text is None:
        return None
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        problems.append(Problem(name, None, None, "the file is empty (expected a header row and data)"))
        return None
    header = [h.strip() for h in header]
    missing = [c for c in spec if c not in header]
    extra = [c for c in header if c not in spec]
    dupes = [c for c, n in Counter(header).items() if n > 1]
    for c in missing:
        problems.append(Problem(name, 1, c, "required column is missing from the header"))
    for c in extra:
        problems.append(Problem(name, 1, c or "(blank)", "unexpected column (typo? see data/README.md for the columns)"))
    for c in dupes:
        problems.append(Problem(name, 1, c, "column appears more than once in the header"))
    records, lines = [], []
    for row in reader:
        line = reader.line_num  # physical line where this record ends
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            problems.append(Problem(name, line, None, f"has {len(row)} cells, the header has {len(header)}"))
            continue
        records.append([cell.strip() for cell in row])
        lines.append(line)
    df = pd.DataFrame(records, columns=header, dtype=object) if records else pd.DataFrame(columns=header, dtype=object)
    df = df.loc[:, ~df.columns.duplicated()]
    for c in missing:
        df[c] = ""
    df["_line"] = lines
    return df


# ---------------------------------------------------------------------------------------------
# schema checks (pandera), run lazily so that every failure is reported
def _pandera_schema(spec: dict[str, Col]):
    import pandera.pandas as pa

    columns = {}
    for name, col in spec.items():
        checks = []
        kind = col.kind
        dtype = None
        if kind.startswith("regex:"):
            checks.append(pa.Check.str_matches(kind[6:], error=f"does not match the pattern {kind[6:]}"))
        elif kind.startswith("enum:"):
            allowed = kind[5:].split("|")
            checks.append(pa.Check.isin(allowed, error="must be one of: " + ", ".join(allowed)))
        elif kind == "ids":
            checks.append(pa.Check.str_matches(ID_LIST, error="must be ids separated by ';' (no spaces)"))
        elif kind == "int":
            dtype = "Int64"
        elif kind == "float":
            dtype = "float64"
        elif kind == "bool":
            checks.append(pa.Check.isin(["true", "false"], error="must be true or false"))
        elif kind == "date":
            checks.append(pa.Check(lambda s: s.map(_valid_partial_date), element_wise=False,
                                   error="not a valid date (use YYYY, YYYY-MM or YYYY-MM-DD, a real calendar date)"))
        columns[name] = pa.Column(dtype, checks=checks, nullable=not col.required, coerce=dtype is not None,
                                  unique=col.unique, required=True, report_duplicates="exclude_first")
    return pa.DataFrameSchema(columns, strict=False)


def _describe(check: str, failure, kind: str) -> str:
    if check.startswith("coerce_dtype") or check.startswith("dtype"):
        what = "a whole number" if kind == "int" else "a number"
        return f"{failure!r} is not {what} (write digits only, e.g. 1234.5, no units or thousands separators)"
    if check == "not_nullable":
        return "required value is empty"
    if check == "field_uniqueness":
        return f"duplicate value {failure!r} (must be unique)"
    return f"{failure!r} {check}"


def _check_schema(df: pd.DataFrame, name: str, spec: dict[str, Col], problems: list[Problem]) -> pd.DataFrame:
    import pandera.errors as pae

    work = df.copy()
    for c in spec:
        work[c] = work[c].map(lambda v: None if v == "" else v)
    schema = _pandera_schema(spec)
    try:
        out = schema.validate(work, lazy=True)
        return out
    except pae.SchemaErrors as err:
        fc = err.failure_cases
        seen = set()
        bad_index = set()
        for r in fc.to_dict("records"):
            col = r["column"]
            idx = r["index"]
            key = (col, idx)
            if key in seen or col not in spec:
                continue
            seen.add(key)
            line = int(df.loc[idx, "_line"]) if idx is not None and not pd.isna(idx) else None
            check = str(r["check"])
            # pandera puts the custom error text in "check" for checks built with error=…
            reason = _describe(check, r["failure_case"], spec[col].kind)
            problems.append(Problem(name, line, col, reason))
            if idx is not None and not pd.isna(idx):
                bad_index.add(idx)
        # coerce what can be coerced so that cross-table checks still run on the good rows
        out = work.copy()
        for c, col in spec.items():
            if col.kind == "int":
                out[c] = pd.to_numeric(out[c], errors="coerce").astype("Float64").round().astype("Int64")
            elif col.kind == "float":
                out[c] = pd.to_numeric(out[c], errors="coerce")
        return out


def _finish_types(df: pd.DataFrame, spec: dict[str, Col]) -> pd.DataFrame:
    out = df.copy()
    for c, col in spec.items():
        if col.kind == "bool":
            out[c] = out[c].map({"true": True, "false": False}).astype("boolean")
        elif col.kind == "date":
            out[c] = out[c].map(lambda v: "" if is_missing(v) else str(v))
            out[c + "_dt"] = pd.to_datetime(out[c].map(parse_partial_date))
        elif col.kind in ("int", "float"):
            pass
        else:
            out[c] = out[c].map(lambda v: "" if is_missing(v) else str(v)).astype(str)
    return out


# ---------------------------------------------------------------------------------------------
# the dataset
@dataclass
class Dataset:
    """The whole dataset as pandas DataFrames. Each frame keeps `_line`, the line in its CSV file.

    Date columns keep the text as published (`as_of` = '2024-08') and get a parsed twin with the
    suffix `_dt` (`as_of_dt`, the *end* of that period: 2024-08-31) for filtering and sorting.
    """

    provinces: pd.DataFrame
    specialties: pd.DataFrame
    centers: pd.DataFrame
    metrics: pd.DataFrame
    metric_definitions: pd.DataFrame
    sources: pd.DataFrame
    milestones: pd.DataFrame
    provincial_centers: pd.DataFrame
    stages: pd.DataFrame
    hospitals: pd.DataFrame
    cities: pd.DataFrame
    data_dir: Path = field(default_factory=default_data_dir)
    as_of_date: pd.Timestamp | None = None

    def copy(self) -> "Dataset":
        return replace(self, **{f.name: getattr(self, f.name).copy() for f in fields(self)
                                if isinstance(getattr(self, f.name), pd.DataFrame)})

    # ---- convenience -------------------------------------------------------------------------
    @property
    def latest_date(self) -> pd.Timestamp:
        """The most recent date any figure or centre refers to."""
        dates = [self.metrics["as_of_dt"].max(), self.centers["first_reported_dt"].max()]
        return max(d for d in dates if not pd.isna(d))

    @property
    def counted_centers(self) -> pd.DataFrame:
        """Approved NRMC projects (status other than 'planned')."""
        return self.centers[self.centers["status"] != "planned"]

    def province(self, name: object) -> pd.Series:
        """The provinces row for any accepted name form (安徽, 皖, anhui, 340000, CN-AH …)."""
        from nrmc.regions import resolve_province

        code = resolve_province(name, self.data_dir)["code"]
        return self.provinces.set_index("code").loc[code].rename(code)

    def as_of(self, date: str | pd.Timestamp | None) -> "Dataset":
        """The dataset as it was known at `date`: centres first reported and figures dated on or
        before it (milestones likewise). `None` returns the dataset unchanged."""
        if date is None or (isinstance(date, str) and not date.strip()):
            return self
        ts = parse_partial_date(date) if isinstance(date, str) else pd.Timestamp(date)
        if ts is None:
            raise ValueError(f"as_of {date!r} is not a date (use YYYY, YYYY-MM or YYYY-MM-DD)")
        out = self.copy()
        out.centers = out.centers[out.centers["first_reported_dt"] <= ts]
        out.metrics = out.metrics[out.metrics["as_of_dt"] <= ts]
        out.milestones = out.milestones[out.milestones["date_dt"] <= ts]
        out.stages = out.stages[(out.stages["date_dt"] <= ts) & out.stages["center_id"].isin(out.centers["center_id"])]
        out.as_of_date = ts
        return out

    def source_label(self, source_id: str) -> str:
        row = self.sources.set_index("source_id").loc[source_id]
        return f"{row['publisher']}，《{row['title']}》，{row['date'] or '日期不详'}"


# ---------------------------------------------------------------------------------------------
# cross-table checks
def _cross_checks(t: dict[str, pd.DataFrame], problems: list[Problem]) -> None:
    def ids(table, col):
        # None when the referenced table could not be read: its own problem is already reported,
        # and checking against it would only add a cascade of false "unknown id" problems
        return set(t[table][col]) if table in t else None

    def check_fk(table, col, valid, what, many=False):
        if table not in t or valid is None:
            return
        for row in t[table].to_dict("records"):
            value = row[col]
            if is_missing(value):
                continue
            for v in (str(value).split(";") if many else [str(value)]):
                if v not in valid:
                    problems.append(Problem(f"{table}.csv", int(row["_line"]), col,
                                            f"unknown {what} {v!r}" + _closest(v, valid)))

    provinces = ids("provinces", "code")
    sources = ids("sources", "source_id")
    specialties = ids("specialties", "code")
    metrics = ids("metric_definitions", "code")
    centers = ids("centers", "center_id")
    prcs = ids("provincial_centers", "prc_id")

    if "provinces" in t and len(t["provinces"]) != 31:
        problems.append(Problem("provinces.csv", None, None, f"expected the 31 provinces, found {len(t['provinces'])}"))
    check_fk("provinces", "source_ids", sources, "source id", many=True)
    check_fk("specialties", "source_ids", sources, "source id", many=True)
    check_fk("centers", "province_code", provinces, "province code")
    check_fk("centers", "output_province_code", provinces, "province code")
    check_fk("centers", "specialty", specialties, "specialty code")
    check_fk("centers", "source_ids", sources, "source id", many=True)
    check_fk("metrics", "metric", metrics, "metric code")
    check_fk("metrics", "source_id", sources, "source id")
    subjects = None if None in (centers, provinces, prcs) else centers | provinces | prcs | {"national"}
    check_fk("metrics", "subject_id", subjects, "subject (centre id, province code, PRC id or 'national')")
    check_fk("centers", "focus_specialties", specialties, "specialty code", many=True)
    check_fk("stages", "center_id", centers, "centre id")
    check_fk("stages", "source_id", sources, "source id")
    cities = ids("cities", "name_zh")
    check_fk("cities", "province_code", provinces, "province code")
    check_fk("centers", "city_zh", cities, "city (add it to cities.csv)")
    check_fk("provincial_centers", "city_zh", cities, "city (add it to cities.csv)")
    if "metrics" in t and cities is not None:
        for row in t["metrics"].to_dict("records"):
            b = str(row.get("breakdown") or "")
            if b.startswith("city=") and b[5:] not in cities:
                problems.append(Problem("metrics.csv", int(row["_line"]), "breakdown",
                                        f"unknown city {b[5:]!r} (add it to cities.csv)" + _closest(b[5:], cities)))
    hospitals = ids("hospitals", "name_zh")
    for col in ("output_hospital_zh", "host_hospital_zh", "host_hospital_zh_corrected"):
        check_fk("centers", col, hospitals, "hospital (add it to hospitals.csv)")
    check_fk("milestones", "source_id", sources, "source id")
    check_fk("provincial_centers", "province_code", provinces, "province code")
    check_fk("provincial_centers", "source_ids", sources, "source id", many=True)

    if "metrics" in t and "metric_definitions" in t:
        units = dict(zip(t["metric_definitions"]["code"], t["metric_definitions"]["unit"]))
        for row in t["metrics"].to_dict("records"):
            base = units.get(row["metric"])
            unit = row["unit"]
            if base is None or is_missing(unit):
                continue
            if unit != base and unit != WAN + base:
                problems.append(Problem("metrics.csv", int(row["_line"]), "unit",
                                        f"unit {unit!r} does not match metric {row['metric']!r}, defined in {base!r}"
                                        f" (allowed: {base!r} or {WAN + base!r})"))
            if not is_missing(row.get("flag")):
                for col, lang in (("note", "English, for maintainers"), ("flag_reason_zh", "Chinese, for readers"),
                                  ("flag_reason_en", "English, for readers")):
                    if is_missing(row.get(col)):
                        problems.append(Problem("metrics.csv", int(row["_line"]), col,
                                                f"flag {row['flag']!r} needs its reasoning in {col} ({lang})"))
        seen: dict[tuple, int] = {}
        key_cols = ["subject_id", "metric", "breakdown", "as_of", "period", "source_id"]
        for row in t["metrics"].to_dict("records"):
            key = tuple(str(row[c]) for c in key_cols)
            if key in seen:
                problems.append(Problem("metrics.csv", int(row["_line"]), None,
                                        f"duplicate figure: same subject, metric, breakdown, date, period and source as line {seen[key]}"))
            else:
                seen[key] = int(row["_line"])
    if "centers" in t:
        for row in t["centers"].to_dict("records"):
            if row["specialty_basis"] == "inferred" and is_missing(row.get("note")):
                problems.append(Problem("centers.csv", int(row["_line"]), "note",
                                        "an inferred specialty needs its reasoning in note"))
            if not is_missing(row.get("city_zh")) and is_missing(row.get("city_basis")):
                problems.append(Problem("centers.csv", int(row["_line"]), "city_basis",
                                        "a city needs its basis: stated, name or inferred"))
    if "sources" in t:
        for row in t["sources"].to_dict("records"):
            if not is_missing(row.get("date")) and is_missing(row.get("date_basis")):
                problems.append(Problem("sources.csv", int(row["_line"]), "date_basis",
                                        "a date needs its basis: stated, about or not_before"))


def _closest(value: str, valid: set[str]) -> str:
    import difflib

    match = difflib.get_close_matches(value, sorted(valid), n=1, cutoff=0.6)
    return f" (closest: {match[0]!r})" if match else ""


# ---------------------------------------------------------------------------------------------
def _fingerprint(data_dir: Path) -> tuple:
    out = []
    for name in TABLES:
        p = data_dir / f"{name}.csv"
        try:
            st = p.stat()
            out.append((name, st.st_mtime_ns, st.st_size))
        except FileNotFoundError:
            out.append((name, None, None))
    return tuple(out)


def load(data_dir: str | os.PathLike | None = None) -> Dataset:
    """Load and validate the dataset.

    `data_dir` defaults to $NRMC_DATA or the repository's data/. Results are cached per directory
    and file modification time, so repeated calls (one per notebook in a warm kernel) are cheap;
    each call returns its own copy. Raises DataValidationError listing every problem found.
    """
    path = Path(data_dir).expanduser().resolve() if data_dir is not None else default_data_dir()
    if not path.is_dir():
        raise DataValidationError([Problem(str(path), None, None, "data directory does not exist")], path)
    return _load_cached(path, _fingerprint(path)).copy()


@functools.lru_cache(maxsize=4)
def _load_cached(path: Path, _fingerprint: tuple) -> Dataset:
    problems: list[Problem] = []
    raw: dict[str, pd.DataFrame] = {}
    for name, spec in TABLES.items():
        fname = f"{name}.csv"
        p = path / fname
        if not p.exists():
            problems.append(Problem(fname, None, None, "file is missing"))
            continue
        df = _read_table(p, fname, spec, problems)
        if df is None:
            continue
        raw[name] = _check_schema(df, fname, spec, problems)
    _cross_checks(raw, problems)
    if problems:
        raise DataValidationError(problems, path)
    typed = {name: _finish_types(df, TABLES[name]) for name, df in raw.items()}
    metrics = typed["metrics"]
    metrics["scale"] = metrics["unit"].map(lambda u: 10_000 if u.startswith(WAN) else 1)
    metrics["value_base"] = metrics["value"] * metrics["scale"]
    metrics["base_unit"] = metrics["unit"].map(lambda u: u[len(WAN):] if u.startswith(WAN) else u)
    for name in typed:
        typed[name] = typed[name].reset_index(drop=True)
    return Dataset(data_dir=path, **typed)


def validate_report(data_dir: str | os.PathLike | None = None) -> tuple[str, bool]:
    """A one-screen summary of the dataset (or of its problems) and whether it is valid."""
    try:
        ds = load(data_dir)
    except DataValidationError as err:
        return str(err), False
    c = ds.counted_centers
    lines = [f"Dataset at {ds.data_dir}: OK",
             f"  {len(c)} approved centres in {c['province_code'].nunique()} provinces"
             f" (+{len(ds.centers) - len(c)} planned); {len(ds.metrics)} figures from {ds.metrics['source_id'].nunique()} sources;"
             f" latest figure dated {ds.latest_date.date()}"]
    names = ds.provinces.set_index("code")["name_zh_short"]
    by_prov = c.groupby("province_code").size().sort_values(ascending=False)
    lines.append("  Centres by province: " + ", ".join(f"{names[k]} {v}" for k, v in by_prov.items()))
    by_src = ds.metrics.groupby("source_id").size()
    lines.append("  Figures by source: " + ", ".join(f"{k} {v}" for k, v in by_src.items()))
    flagged = ds.metrics[ds.metrics["flag"] != ""]
    lines.append(f"  Flagged figures: {len(flagged)}")
    for _, r in flagged.iterrows():
        lines.append(f"    metrics.csv line {r['_line']}: {r['subject_id']} {r['metric']} = {r['value']:g} {r['unit']}"
                     f" [{r['flag']}] {r['note'][:90]}")
    return "\n".join(lines), True
