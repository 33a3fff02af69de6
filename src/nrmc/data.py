"""Load and validate the NRMC dataset (data/*.csv) into typed pandas DataFrames.

`load()` reads every table, checks each against its schema (pandera) and the tables against each
other (ids unique, foreign keys resolve, units match their metric, every figure sourced and dated),
and raises one `DataValidationError` that lists *every* problem with file, line, column and reason.
"""
from __future__ import annotations

import calendar
import contextlib
import csv
import functools
import hashlib
import io
import math
import os
import re
import sys
from collections import Counter
from dataclasses import dataclass, field, fields, replace
from pathlib import Path

import numpy as np
import pandas as pd

from nrmc import integrity
from nrmc.integrity import FIRST_YEAR, suspect_chars, text_problem
from nrmc.labels import is_missing  # an empty cell in any form it takes through pandas
from nrmc.quotes import check_quotes
from nrmc.regions import default_data_dir
from nrmc.safety import url_problem

__all__ = ["Dataset", "DataValidationError", "Problem", "load", "validate_report", "default_data_dir",
           "parse_partial_date", "TABLES"]

ID_LIST = r"^[A-Za-z0-9_\-]+(;[A-Za-z0-9_\-]+)*$"
# [0-9], never \d: \d also matches full-width and other scripts' digits (２０２４, ٢٠٢٤)
PARTIAL_DATE = re.compile(r"^([0-9]{4})(?:-([0-9]{2})(?:-([0-9]{2}))?)?$")
# Numbers as the README allows them: digits, at most one decimal point, an optional leading '-'
# (accepted by the syntax, refused by the range where negatives are not allowed). Everything else
# Python's float() would take is refused: 1_000, 1,000, +5, 1e3, 0x10, ' 1 000', nan, inf, １２.
NUMBER_TEXT = r"-?[0-9]+(?:\.[0-9]+)?"
INT_TEXT = r"-?[0-9]+"
MAX_SIGNIFICANT_DIGITS = 15  # a float64 holds 15 significant decimal digits exactly
# Control characters (C0 except line feed, DEL, C1): a NUL byte, an escape code that would drive a
# terminal, a form feed … never belong in a cell. A line feed inside a quoted note is allowed.
CONTROL_CHARS = r"[\x00-\x09\x0b-\x1f\x7f-\x9f]"
WAN = "万"
# A centre's lifecycle (stages.csv), in the order a centre goes through them. `plaque` (挂牌) may come
# with the approval; `expected_open` is a source's expectation, not an event; `agreement` is a
# framework agreement for a planned project that is not (yet) an approved NRMC.
STAGES = ("agreement", "approved", "plaque", "listed", "under_construction", "built", "trial", "open", "operating",
          "expected_open")


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
    if not FIRST_YEAR <= year <= 2100:
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


def today() -> pd.Timestamp:
    """Today's date: no date in the data may lie after it (one function, so tests can move it)."""
    return pd.Timestamp.today().normalize()


@functools.lru_cache(maxsize=4096)
def _period_start(text: str) -> pd.Timestamp | None:
    """'2024' → 2024-01-01, '2024-08' → 2024-08-01, a full date → itself: when a period begins. A
    date is 'in the future' only when its period has not begun ('2026-11' is not, on 28 Nov 2026)."""
    end = parse_partial_date(text)
    if end is None:
        return None
    m = PARTIAL_DATE.match(str(text).strip())
    return pd.Timestamp(int(m.group(1)), int(m.group(2) or 1), int(m.group(3) or 1))


# ---------------------------------------------------------------------------------------------
# table specifications: column -> kind, required, unique and its domain
#   kinds: str, id, ids, int, float, bool, date, url, enum:<a|b>, regex:<pattern>
@dataclass(frozen=True)
class Col:
    kind: str = "str"
    required: bool = False
    unique: bool = False
    # numbers (int, float): the closed range [min, max]; `above_min` excludes min itself (a
    # population is > 0). None = no bound on that side, but a number is always finite.
    min: float | None = None
    max: float | None = None
    above_min: bool = False
    unit: str = ""  # for messages and docs
    # dates: whether the date may lie after today (only a stage's expected date may, and the row
    # rules of stages.csv bound it)
    future: bool = False

    def range_text(self) -> str:
        lo, hi = self.min, self.max
        low = None if lo is None else (f"greater than {_num(lo)}" if self.above_min else f"at least {_num(lo)}")
        high = None if hi is None else f"at most {_num(hi)}"
        text = " and ".join(x for x in (low, high) if x)
        return f"{text} {self.unit}" if self.unit else text


def _num(x: float) -> str:
    """A bound or value for a message: 20000 → '20,000', 0.5 → '0.5', 1e+308 stays short."""
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return str(x)
    if abs(x) >= 1e15:
        return f"{x:.3g}"
    return f"{x:,.0f}" if float(x).is_integer() else f"{x:,.6g}"


# The domain of metrics.csv `value` depends on its metric (metric_definitions.csv): `min` and `max`
# there, in the metric's base unit (after 万 is applied), or else these defaults. Counts and stocks
# (kind count, stock) are whole numbers of their base unit and never negative; rates (%) lie in
# 0–100 (a share). A metric whose value may exceed 100 % (a growth rate) states its max, and a row
# above 100 % must also be flagged with its reasons.
RATE_RANGE = (0.0, 100.0)
# The largest figure a base unit can sensibly hold, as a sanity bound against typos and 1e308:
# persons: more than China's population (1.41 × 10⁹); visits, cases, times: ten times all of China's
# outpatient visits in a year (≈ 9.5 × 10⁹); anything else (projects, items, beds, institutions …):
# 10⁸, far above any national total.
UNIT_MAX = {"人": 1.5e9, "人次": 1e11, "例": 1e11, "次": 1e11}
DEFAULT_UNIT_MAX = 1e8
# A stage's `expected` date (a source's expectation) may lie after today, but not more than this
# many years after its source's date (or after today when the source is undated): two five-year plans.
EXPECTED_YEARS = 10

PERIOD = r"^(cumulative|snapshot|change|first_[1-9][0-9]*_months|[0-9]{4}|[0-9]{4}/[0-9]{4})$"

def is_reference_fact(source_id: str) -> bool:
    """A fact of shared/reference (R01…): its quote is the reference list's English summary of
    the source, not the source's own words."""
    return str(source_id).startswith("R")


TABLES: dict[str, dict[str, Col]] = {
    "sources": {
        # S01… the seed articles, R01… facts of shared/reference, P001… pages of the public record
        "source_id": Col("regex:^((S|R)[0-9]{2}|P[0-9]{3})$", True, True),
        "title": Col("str", True),
        "title_en": Col("str"),
        "publisher": Col("str", True),
        "publisher_en": Col("str"),
        "date": Col("date"),
        "date_basis": Col("enum:stated|about|not_before"),
        "url": Col("url"),  # the address where the source was read (a copy's own address for a copy)
        "read_on": Col("date"),  # when it was read there
        # what kind of source it is: the seed articles, a vetted reference fact, an official body's
        # own publication, state media, other media, or a copy of another outlet's article on
        # another host (then `publisher` is the original outlet)
        "kind": Col("enum:seed|reference|official|state_media|media|copy", True),
        "seed_file": Col("str"),
        "covers": Col("str", True),
        "note": Col("str"),
    },
    "provinces": {
        "code": Col("regex:^[1-9][0-9]0000$", True, True),
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
        # 万人 at year end: > 0 (a briefing divides by it); the largest province has about 12,800
        "pop_2022": Col("int", True, min=0, above_min=True, max=20_000, unit="万人"),
        "pop_2023": Col("int", True, min=0, above_min=True, max=20_000, unit="万人"),
        "pop_2024": Col("int", True, min=0, above_min=True, max=20_000, unit="万人"),
        # km²: the largest province (Xinjiang) has 1,664,900
        "area_km2": Col("float", True, min=0, above_min=True, max=2_000_000, unit="km²"),
        "tile_row": Col("int", True, min=0, max=50),
        "tile_col": Col("int", True, min=0, max=50),
        "source_ids": Col("ids", True),
    },
    "specialties": {
        "code": Col("regex:^[a-z_]+$", True, True),
        "name_zh": Col("str", True, True),
        "name_en": Col("str", True, True),
        "plan_target": Col("bool", True),
        "category": Col("enum:clinical|tcm|comprehensive", True),
        "sort_order": Col("int", True, min=0, max=10_000),
        "source_ids": Col("ids"),
    },
    "centers": {
        "center_id": Col("regex:^[A-Z]{2}-[0-9]{2}$", True, True),
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
        "flag": Col("enum:doubtful_name"),
        "flag_reason_zh": Col("str"),
        "flag_reason_en": Col("str"),
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
        # the domain of the metric's values in its base unit; empty = the default for its kind/unit
        "min": Col("float"),
        "max": Col("float"),
    },
    "metrics": {
        "subject_id": Col("id", True),
        "metric": Col("id", True),
        "breakdown": Col("regex:^[a-z_]+=.+$"),
        "value": Col("float", True),  # range: per metric (metric_definitions.csv min, max, kind, unit)
        "qualifier": Col("enum:more_than|about|at_least|less_than|nearly"),
        "unit": Col("str", True),
        "as_of": Col("date", True),
        "as_of_basis": Col("enum:stated|publication|not_after|not_before|about", True),
        "period": Col("regex:" + PERIOD, True),
        "source_id": Col("id", True),
        "quote": Col("str"),
        # why `value` is not the number the quote prints, when it is not (a Chinese numeral, a
        # documented conversion or correction); empty = the value must match the quote
        "quote_mismatch_reason": Col("str"),
        "flag": Col("enum:suspect_unit|inconsistent|ambiguous"),
        "note": Col("str"),
        "flag_reason_zh": Col("str"),
        "flag_reason_en": Col("str"),
    },
    "stages": {
        "center_id": Col("id", True),
        "stage": Col("enum:" + "|".join(STAGES), True),
        "date": Col("date", True, future=True),  # only `expected` dates may: see the stages row rules
        "date_basis": Col("enum:stated|not_after|about|expected", True),
        "source_id": Col("id", True),
        "quote": Col("str", True),
        # the source's own words for the event where the vocabulary's label would say more or less
        "label_zh": Col("str"),
        "label_en": Col("str"),
        "note": Col("str"),
    },
    # which national batch a centre was approved in, one row per source that states it: two
    # sources that disagree are two rows, both kept and flagged `conflict` (never picked silently)
    "center_batches": {
        "center_id": Col("id", True),
        "batch": Col("int", True, min=1, max=100),
        "source_id": Col("id", True),
        "quote": Col("str", True),
        "flag": Col("enum:conflict"),
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
        "date_basis": Col("enum:stated|about", True),
        "event_zh": Col("str", True),
        "event_en": Col("str", True),
        "projects_total": Col("int", min=0, max=10_000),
        "batch": Col("int", min=1, max=100),
        "source_id": Col("id", True),
        "note": Col("str"),
    },
    "provincial_centers": {
        "prc_id": Col("regex:^PRC-[A-Z]{2}-[0-9]{2}$", True, True),
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

# How many data rows a table must have (min, max; None = no bound): a header-only metrics.csv would
# silently empty every briefing of its figures.
TABLE_ROWS: dict[str, tuple[int, int | None, str]] = {
    "provinces": (31, 31, "the 31 provinces"),
    "specialties": (1, None, "at least one specialty"),
    "centers": (1, None, "at least one centre"),
    "metric_definitions": (1, None, "at least one metric definition"),
    "metrics": (1, None, "at least one figure (without figures every briefing would lose its results)"),
    "sources": (1, None, "at least one source"),
}


# ---------------------------------------------------------------------------------------------
# reading
def _read_bytes(path: Path, name: str, problems: list[Problem]) -> bytes | None:
    try:
        if not path.is_file():  # follows links: a directory, a device (/dev/zero), a pipe
            what = "a directory" if path.is_dir() else "not a regular file (a device, a pipe or a broken link)"
            problems.append(Problem(name, None, None, f"is {what}; expected a CSV file"))
            return None
        return path.read_bytes()
    except OSError as err:
        problems.append(Problem(name, None, None, f"cannot be read: {err.strerror or err}"))
        return None


def _decode(raw: bytes, name: str, problems: list[Problem]) -> str | None:
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


def _csv_error(err: csv.Error, start: int) -> str:
    text = str(err)
    if "unexpected end of data" in text:
        return (f"a quoted cell that opens on line {start} is never closed (a '\"' is missing), so the rest "
                "of the file cannot be read")
    if "expected after" in text:
        return "a '\"' inside a quoted cell must be doubled (\"\"); the cell's quoting is broken"
    if "field larger than field limit" in text:
        return f"a cell is longer than {csv.field_size_limit():,} characters"
    return f"is not valid CSV ({text})"


def _broken_cell(line: str, limit: int) -> int | None:
    """The 0-based index of the cell on `line` that the csv module could not read: its quoting is
    broken (a quote never closed on this line, or text after a closing quote) or it is longer than
    `limit`. None when no cell of the line is at fault."""
    cell, size, quoted, at_start, i = 0, 0, False, True, 0
    while i < len(line):
        ch = line[i]
        if quoted:
            if ch == '"':
                if line[i + 1: i + 2] == '"':
                    i, size = i + 2, size + 1
                    continue
                quoted = False
                if i + 1 < len(line) and line[i + 1] != ",":
                    return cell
            else:
                size += 1
        elif ch == '"' and at_start:
            quoted = True
        elif ch == ",":
            cell, size, at_start, i = cell + 1, 0, True, i + 1
            continue
        else:
            size += 1
        if size > limit:
            return cell
        at_start = False
        i += 1
    return cell if quoted else None


def _csv_problem(name: str, text: str, header: list[str] | None, err: csv.Error, start: int) -> Problem:
    lines = text.split("\n")
    cell = _broken_cell(lines[start - 1], csv.field_size_limit()) if 0 < start <= len(lines) else None
    column = header[cell] if header is not None and cell is not None and cell < len(header) else None
    return Problem(name, start, column, _csv_error(err, start))


def _read_table(raw: bytes, name: str, spec: dict[str, Col], problems: list[Problem]) -> pd.DataFrame | None:
    text = _decode(raw, name, problems)
    if text is None:
        return None
    # A file saved with Windows line ends (\r\n) is read as written with \n: a line break inside a
    # quoted note is then a line feed like any other, not a carriage return (a control character).
    # A carriage return on its own stays a control character.
    text = text.replace("\r\n", "\n")
    # strict: a broken quote is an error, not a cell that silently swallows the lines after it
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = next(reader)
    except StopIteration:
        problems.append(Problem(name, None, None, "the file is empty (expected a header row and data)"))
        return None
    except csv.Error as err:
        problems.append(_csv_problem(name, text, None, err, 1))
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
    while True:
        start = reader.line_num + 1  # physical line where the next record begins
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as err:
            problems.append(_csv_problem(name, text, header, err, start))
            return None
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
    # most files hold no control character at all: then the per-cell search can be skipped
    df.attrs["control_chars"] = re.search(CONTROL_CHARS, text) is not None
    # and most are ASCII or plain NFC text with no invisible character: then so is every cell
    df.attrs["suspect_text"] = suspect_chars(text)
    return df


# ---------------------------------------------------------------------------------------------
# schema checks (pandera), run lazily so that every failure is reported. Numbers are checked as the
# text that was written (syntax, precision, range), then converted.
def _number_reasons(s: pd.Series, col: Col) -> pd.Series:
    """For each cell of a number column, why it is not a number in the column's domain (None when
    it is): the text as the README allows it, precision, finiteness, range. One vectorised pass, so a
    100,000-row file is checked in a blink; `_describe` calls it again on a failing cell's text."""
    integer = col.kind == "int"
    text = s.astype(str)
    syntax = text.str.fullmatch(INT_TEXT if integer else NUMBER_TEXT).fillna(False).astype(bool)
    value = pd.to_numeric(text.where(syntax), errors="coerce").astype("float64")
    digits = text.str.lstrip("-").str.replace(".", "", regex=False).str.strip("0").str.len()
    inside = pd.Series(True, index=s.index)
    if col.min is not None:
        inside &= (value > col.min) if col.above_min else (value >= col.min)
    if col.max is not None:
        inside &= value <= col.max
    rules = [
        (~syntax, ("is not a whole number: write digits only, e.g. 1234" if integer else
                   "is not a number: write digits with at most one decimal point, e.g. 1234.5")
         + " (no thousands separators, spaces, '+', exponents like 1e3, nan or inf; units go in the unit column)"),
        (digits > MAX_SIGNIFICANT_DIGITS,
         f"has more than {MAX_SIGNIFICANT_DIGITS} significant digits, more than a number can hold exactly"),
        ((digits > 0) & (value == 0), "is too small to be stored: it is not zero but would read as 0"),
        (~np.isfinite(value), "is too large to be stored as a number"),
        (~inside, f"is out of range: must be {col.range_text()}"),
    ]
    return pd.Series(np.select([c.to_numpy(dtype=bool) for c, _ in rules], [r for _, r in rules], default=None),
                     index=s.index, dtype=object)


def _date_reasons(s: pd.Series, col: Col) -> pd.Series:
    """For each cell of a date column, why it is not an acceptable date (None when it is)."""
    now = today()

    def reason(text: str) -> str | None:
        if parse_partial_date(text) is None:
            m = PARTIAL_DATE.match(text.strip())
            if m and not FIRST_YEAR <= int(m.group(1)) <= 2100:
                return (f"is not a year of this dataset: dates run from {FIRST_YEAR} (nothing in it is older) "
                        "to 2100")
            return "not a valid date (use YYYY, YYYY-MM or YYYY-MM-DD, a real calendar date)"
        if not col.future and _period_start(text) > now:
            return f"lies after today ({now.date()}): a date must not be in the future"
        return None
    return _by_unique(s.astype(str), reason)


def _period_years_ok(s: pd.Series) -> pd.Series:
    """A calendar-year period ('2024', '2022/2024') must have begun, and a span must run forwards."""
    year = today().year

    def ok(text: str) -> bool:
        years = [int(y) for y in re.findall(r"[0-9]{4}", text)]
        return all(FIRST_YEAR <= y <= year for y in years) and years == sorted(years) and len(set(years)) == len(years)
    return _by_unique(s.astype(str), ok)


CONTROL_ERROR = "contains a control character (a NUL byte, an escape code or similar): remove it"


def _control_chars(df: pd.DataFrame, spec: dict[str, Col]) -> list[tuple[str, object]]:
    """(column, index) of every text cell holding a control character. Numbers are checked digit by
    digit anyway. Plain pandas rather than a pandera check: one vectorised pass per column, where a
    table-wide pandera check costs more than all the others together."""
    found = []
    if not df.attrs.get("control_chars", True):
        return found
    for c, col in spec.items():
        if col.kind in ("int", "float"):
            continue
        hit = df[c].astype(str).str.contains(CONTROL_CHARS, regex=True)
        found += [(c, i) for i in df.index[hit.fillna(False).astype(bool)]]
    return found


def _text_problems(df: pd.DataFrame, spec: dict[str, Col]) -> list[tuple[str, object, str]]:
    """(column, index, reason) of every cell holding a bidi control, a zero-width or other invisible
    character, or text not in NFC (nrmc.integrity.text_problem), in every column (a number or a
    date with such a character is refused for that too). Skipped when the file has none at all."""
    found = []
    if not df.attrs.get("suspect_text", True):
        return found
    for c, col in spec.items():
        if col.kind == "url":  # a link's own check names an invisible character and says to percent-encode it
            continue
        reasons = _by_unique(df[c].astype(str), text_problem)
        found += [(c, i, reasons[i]) for i in df.index[reasons.notna()]]
    return found


def _pandera_schema(spec: dict[str, Col]):
    import pandera.pandas as pa

    columns = {}
    for name, col in spec.items():
        kind = col.kind
        checks = []
        if kind.startswith("regex:"):
            checks.append(pa.Check.str_matches(kind[6:], error=f"does not match the pattern {kind[6:]}"))
            if kind == "regex:" + PERIOD:
                checks.append(pa.Check(_period_years_ok, error="names a year that has not begun yet, "
                                       "or a span of years that does not run forwards"))
        elif kind.startswith("enum:"):
            allowed = kind[5:].split("|")
            checks.append(pa.Check.isin(allowed, error="must be one of: " + ", ".join(allowed)))
        elif kind == "ids":
            checks.append(pa.Check.str_matches(ID_LIST, error="must be ids separated by ';' (no spaces)"))
        elif kind in ("int", "float"):
            checks.append(pa.Check(lambda s, col=col: _number_reasons(s, col).isna(), error="number"))
        elif kind == "bool":
            checks.append(pa.Check.isin(["true", "false"], error="must be true or false"))
        elif kind == "url":
            checks.append(pa.Check(lambda s: s.map(lambda v: url_problem(v) is None), error="url"))
        elif kind == "date":
            checks.append(pa.Check(lambda s, col=col: _date_reasons(s, col).isna(), error="date"))
        columns[name] = pa.Column(None, checks=checks, nullable=not col.required, coerce=False,
                                  unique=col.unique, required=True, report_duplicates="exclude_first")
    return pa.DataFrameSchema(columns, strict=False)


def _show(value, limit: int = 60) -> str:
    """A cell's text for a message: repr (so control characters show as \\x00), cut when long."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 5] + "…" + text[-4:]


def _describe(check: str, failure, col: Col) -> str:
    if check == "not_nullable":
        return "required value is empty"
    if check == "field_uniqueness":
        return f"duplicate value {_show(failure)} (must be unique)"
    if col.kind == "url" and check == "url":
        return f"{_show(failure)} is not accepted as a link: it {url_problem(failure)}"
    if col.kind in ("int", "float") and check == "number":
        return f"{_show(failure)} {_number_reasons(pd.Series([failure], dtype=object), col).iloc[0]}"
    if col.kind == "date" and check == "date":
        return f"{_show(failure)} {_date_reasons(pd.Series([failure], dtype=object), col).iloc[0]}"
    return f"{_show(failure)} {check}"


def _coerce(work: pd.DataFrame, spec: dict[str, Col], failed: set) -> pd.DataFrame:
    """Numbers from their text. A number that failed a check (`failed`: (column, index) pairs) becomes
    NA: its problem is already reported, and the cross-table checks run on the good values only."""
    out = work.copy()
    for c, idx in failed:
        if spec[c].kind in ("int", "float"):
            out.loc[idx, c] = None
    for c, col in spec.items():
        if col.kind not in ("int", "float"):
            continue
        text = out[c].astype("string")
        value = pd.to_numeric(text.where(text.str.fullmatch(INT_TEXT if col.kind == "int" else NUMBER_TEXT)),
                              errors="coerce").astype("float64")
        value = value.where(np.isfinite(value))
        out[c] = value.astype("Int64") if col.kind == "int" else value
    return out


def _check_schema(df: pd.DataFrame, name: str, spec: dict[str, Col], problems: list[Problem]) -> pd.DataFrame:
    import pandera.errors as pae

    work = df.copy()
    for c in spec:
        work[c] = work[c].where(work[c] != "", None)
    schema = _pandera_schema(spec)
    seen: set = set()
    for col, idx in _control_chars(df, spec):
        seen.add((col, idx))
        problems.append(Problem(name, int(df.loc[idx, "_line"]), col, f"{_show(df.loc[idx, col])} {CONTROL_ERROR}"))
    for col, idx, reason in _text_problems(df, spec):
        if (col, idx) not in seen:
            seen.add((col, idx))
            problems.append(Problem(name, int(df.loc[idx, "_line"]), col, f"{_show(df.loc[idx, col])} {reason}"))
    try:
        schema.validate(work, lazy=True)
    except pae.SchemaErrors as err:
        for r in err.failure_cases.to_dict("records"):
            col, failure, check = r["column"], r["failure_case"], str(r["check"])
            idx = r["index"]
            key = (col, idx)
            if key in seen or col not in spec:
                continue  # one problem per cell: the first check it fails
            seen.add(key)
            line = int(df.loc[idx, "_line"]) if idx is not None and not pd.isna(idx) else None
            # pandera puts the custom error text in "check" for checks built with error=…
            problems.append(Problem(name, line, col, _describe(check, failure, spec[col])))
    return _coerce(work, spec, {(c, i) for c, i in seen if i is not None and not pd.isna(i)})


def warm_checks() -> None:
    """Import and set up the schema checker (pandera: ~0.5 s) before it is needed. A process whose
    tables all came from the disk cache has not imported it; a warm kernel or the preview calls
    this so that the first edited file is checked at once, not after the import."""
    for name in ("metrics", "cities"):
        spec = TABLES[name]
        empty = pd.DataFrame({**{c: pd.Series([], dtype=object) for c in spec}, "_line": pd.Series([], dtype=int)})
        _check_schema(empty, f"{name}.csv", spec, [])


def _by_unique(s: pd.Series, func) -> pd.Series:
    """`s.map(func)` computing func once per distinct value (a 100,000-row file has few distinct dates)."""
    values = s.unique()
    return s.map(dict(zip(values, map(func, values))))


def _finish_types(df: pd.DataFrame, spec: dict[str, Col]) -> pd.DataFrame:
    out = df.copy()
    for c, col in spec.items():
        if col.kind == "bool":
            out[c] = out[c].map({"true": True, "false": False}).astype("boolean")
        elif col.kind in ("int", "float"):
            pass
        else:  # text: an empty cell is "" (cells are stripped when read, and "" became None for the checks)
            out[c] = out[c].where(_present(out[c]), "").astype(str)
            if col.kind == "date":
                out[c + "_dt"] = pd.to_datetime(_by_unique(out[c], parse_partial_date))
    out = plain_text_columns(out)
    # the reading's notes (control characters, suspect text) served the checks; a table that
    # carries attrs has them deep-copied by every pandas operation on it (thousands a briefing)
    out.attrs = {}
    return out


def plain_text_columns(df: pd.DataFrame) -> pd.DataFrame:
    """`df` with its text columns as plain Python strings in one block (object dtype) rather than
    pandas 3's `str` dtype, an extension array per column: every filter of a table (a briefing
    makes hundreds) then takes one block, not twenty (composing all 64 briefings: 36 s → 26 s CPU,
    the same HTML). Text cells hold str, "" when empty (never NaN), so comparisons, `.str`, sorting and
    grouping are as before."""
    text = [c for c in df.columns if isinstance(df[c].dtype, pd.StringDtype)]
    return df.astype({c: object for c in text}).copy() if text else df


def records(df: pd.DataFrame) -> list[dict]:
    """`df.to_dict("records")`, the same dicts and values (numpy scalars as Python ones, a missing
    value of a text or extension column as None), 3-4 times faster: pandas builds a Series per
    column on every call, and a briefing turns ~40 tables into rows (composing one spent a fifth
    of its time there). Use as `df.pipe(records)`."""
    if not df.columns.is_unique:
        return df.to_dict("records")  # pandas' own warning and choice of the duplicated columns
    if not len(df):
        return []
    from pandas.api.extensions import ExtensionDtype
    from pandas.core.dtypes.cast import maybe_box_native

    rows = df.to_numpy(dtype=object).tolist()
    boxed = [i for i, dt in enumerate(df.dtypes.values) if dt == object or isinstance(dt, ExtensionDtype)]
    if boxed:
        for row in rows:
            for i in boxed:
                if type(row[i]) is not str:
                    row[i] = maybe_box_native(row[i])
    cols = df.columns.tolist()
    return [dict(zip(cols, row)) for row in rows]


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
    center_batches: pd.DataFrame
    hospitals: pd.DataFrame
    cities: pd.DataFrame
    data_dir: Path = field(default_factory=default_data_dir)
    as_of_date: pd.Timestamp | None = None
    # The latest date of the whole dataset, kept by a province's subset (nrmc.inputs.scope_dataset)
    # so that ages are counted to the same day as from the whole: a later figure in another
    # province moves every briefing's reference date.
    reference_date: pd.Timestamp | None = None
    reference_text: str = ""  # the reference date as its row prints it (see latest_date_text)

    @property
    def latest_date_text(self) -> str:
        """The latest date as its row prints it ('2026-01', not the 2026-01-31 it is counted to), so
        that a briefing never prints it more precisely than its source."""
        ts = self.latest_date
        if self.reference_text:
            return self.reference_text
        texts = [*self.metrics.loc[self.metrics["as_of_dt"] == ts, "as_of"],
                 *self.centers.loc[self.centers["first_reported_dt"] == ts, "first_reported"]]
        return max(texts, key=len) if texts else ts.date().isoformat()

    def copy(self) -> "Dataset":
        return replace(self, **{f.name: getattr(self, f.name).copy() for f in fields(self)
                                if isinstance(getattr(self, f.name), pd.DataFrame)})

    # ---- convenience -------------------------------------------------------------------------
    @property
    def latest_date(self) -> pd.Timestamp:
        """The most recent date any figure or centre refers to (for a subset, the whole dataset's)."""
        if self.reference_date is not None:
            return self.reference_date
        dates = [self.metrics["as_of_dt"].max(), self.centers["first_reported_dt"].max()]
        return max(d for d in dates if not pd.isna(d))

    @property
    def counted_centers(self) -> pd.DataFrame:
        """Approved NRMC projects (status other than 'planned'). Not to be changed in place."""
        return self.derived("counted_centers", lambda ds: ds.centers[ds.centers["status"] != "planned"], "centers")

    def derived(self, key: str, make, *tables: str):
        """`make(self)`, remembered while `tables` are the same objects (a briefing asks for the
        counted centres some thirty times; `replace` and `copy` give a dataset that remembers
        nothing). What it returns is shared: callers derive new frames, never change it."""
        memo = self.__dict__.setdefault("_derived", {})
        frames = tuple(getattr(self, t) for t in tables)
        hit = memo.get(key)
        if hit is not None and len(hit[0]) == len(frames) and all(a is b for a, b in zip(hit[0], frames)):
            return hit[1]
        value = make(self)
        memo[key] = (frames, value)
        return value

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
        out.center_batches = out.center_batches[out.center_batches["center_id"].isin(out.centers["center_id"])]
        out.as_of_date = ts
        out.reference_date = None
        out.reference_text = ""
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
        return {v for v in t[table][col] if not is_missing(v)} if table in t else None

    def check_fk(table, col, valid, what, many=False):
        if table not in t or valid is None:
            return
        df = t[table]
        values = df[col][_present(df[col])].astype(str)
        if many:
            values = values.str.split(";").explode()
        bad = values[~values.isin(list(valid))]  # vectorised; a message only for the few bad ones
        for idx, v in bad.items():
            problems.append(Problem(f"{table}.csv", int(df.at[idx, "_line"]), col,
                                    f"unknown {what} {v!r}" + _closest(v, valid)))

    provinces = ids("provinces", "code")
    sources = ids("sources", "source_id")
    specialties = ids("specialties", "code")
    metrics = ids("metric_definitions", "code")
    centers = ids("centers", "center_id")
    prcs = ids("provincial_centers", "prc_id")

    for table, (lo, hi, what) in TABLE_ROWS.items():
        if table in t and not (lo <= len(t[table]) <= (hi if hi is not None else len(t[table]))):
            n = len(t[table])
            found = "no data rows, only a header" if n == 0 else f"{n} data rows"
            problems.append(Problem(f"{table}.csv", None, None, f"expected {what}, found {found}"))
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
    check_fk("center_batches", "center_id", centers, "centre id")
    check_fk("center_batches", "source_id", sources, "source id")
    cb = t.get("center_batches")
    if cb is not None and len(cb):
        for cid, g in cb.groupby("center_id"):
            if g["batch"].nunique() > 1:  # sources disagree: keep both, and say so on each row
                for _, row in g[g["flag"] != "conflict"].iterrows():
                    problems.append(Problem("center_batches.csv", int(row["_line"]), "flag",
                                            f"the sources disagree on {cid}'s batch ({', '.join(sorted(set(g['batch'].astype(str))))}): "
                                            "flag every row of it 'conflict' and say why in note"))
    cities = ids("cities", "name_zh")
    check_fk("cities", "province_code", provinces, "province code")
    check_fk("centers", "city_zh", cities, "city (add it to cities.csv)")
    check_fk("provincial_centers", "city_zh", cities, "city (add it to cities.csv)")
    if "metrics" in t and cities is not None:
        for row in t["metrics"].pipe(records):
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
        m = t["metrics"]
        base_unit = m["metric"].map(units).astype(object).fillna("")
        wrong_unit = _present(base_unit) & _present(m["unit"]) & (m["unit"] != base_unit) & (m["unit"] != WAN + base_unit)
        unreasoned = _present(m["flag"]) & ~(_present(m["note"]) & _present(m["flag_reason_zh"]) & _present(m["flag_reason_en"]))
        # only the rows with a problem are walked, in file order
        for row in m[wrong_unit | unreasoned].pipe(records):
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
        key_cols = ["subject_id", "metric", "breakdown", "as_of", "period", "source_id"]
        key = m[key_cols].astype(str)
        dup = key.duplicated(keep="first")
        if dup.any():
            first = m["_line"].groupby([key[c] for c in key_cols], dropna=False).transform("first")
            for idx in m.index[dup]:
                problems.append(Problem("metrics.csv", int(m.at[idx, "_line"]), None,
                                        "duplicate figure: same subject, metric, breakdown, date, period and source "
                                        f"as line {int(first[idx])}"))
    if "centers" in t:
        for row in t["centers"].pipe(records):
            if row["specialty_basis"] == "inferred" and is_missing(row.get("note")):
                problems.append(Problem("centers.csv", int(row["_line"]), "note",
                                        "an inferred specialty needs its reasoning in note"))
            if not is_missing(row.get("flag")):
                for col in ("flag_reason_zh", "flag_reason_en"):
                    if is_missing(row.get(col)):
                        problems.append(Problem("centers.csv", int(row["_line"]), col,
                                                f"flag {row['flag']!r} needs its reasoning for readers in {col}"))
            if not is_missing(row.get("city_zh")) and is_missing(row.get("city_basis")):
                problems.append(Problem("centers.csv", int(row["_line"]), "city_basis",
                                        "a city needs its basis: stated, name or inferred"))
    if "sources" in t:
        for row in t["sources"].pipe(records):
            if not is_missing(row.get("date")) and is_missing(row.get("date_basis")):
                problems.append(Problem("sources.csv", int(row["_line"]), "date_basis",
                                        "a date needs its basis: stated, about or not_before"))
    _metric_value_domain(t, problems)
    check_quotes(t, problems)  # values agree with their quotes (nrmc.quotes)
    _stage_dates(t, problems)
    integrity.check(t, problems)


def _present(s: pd.Series) -> pd.Series:
    """Cells that hold a value (not None/NaN, not ""): the vectorised twin of labels.is_missing for
    cells as read (already stripped)."""
    return s.notna() & s.ne("")


def _metric_domains(defs: pd.DataFrame) -> pd.DataFrame:
    """Per metric code: kind, base unit and the range [lo, hi] of its values in the base unit, from
    metric_definitions.csv `min`/`max` or the defaults of its kind and unit (RATE_RANGE, UNIT_MAX)."""
    d = defs.drop_duplicates("code").set_index("code")
    rate = d["kind"] == "rate"
    lo = d["min"].astype("float64").fillna(0.0)
    default_hi = d["unit"].map(lambda u: UNIT_MAX.get(u, DEFAULT_UNIT_MAX)).where(~rate, RATE_RANGE[1])
    hi = d["max"].astype("float64").fillna(default_hi.astype("float64"))
    return pd.DataFrame({"kind": d["kind"], "base": d["unit"], "lo": lo, "hi": hi,
                         "stated_hi": d["max"].notna(), "line": d["_line"]})


def _whole(value: float, scale: float) -> bool:
    """Whether `value` × `scale` is a whole number, in exact decimal arithmetic."""
    from decimal import Decimal

    if float(value).is_integer():
        return True
    return (Decimal(repr(float(value))) * Decimal(int(scale))) % 1 == 0


def _metric_value_domain(t: dict[str, pd.DataFrame], problems: list[Problem]) -> None:
    """metrics.csv `value` within its metric's domain: not below min nor above max (in base units),
    counts and stocks whole numbers, and a percentage above 100 only where the metric allows it and
    the row is flagged. Vectorised: a 100,000-row file takes well under a second."""
    if "metric_definitions" not in t:
        return
    defs = t["metric_definitions"]
    dom = _metric_domains(defs)
    for row in dom[dom["lo"] > dom["hi"]].itertuples():
        problems.append(Problem("metric_definitions.csv", int(row.line), "min",
                                f"min {_num(row.lo)} is greater than max {_num(row.hi)} for {row.Index!r}"))
    if "metrics" not in t:
        return
    m = t["metrics"]
    m = m[m["value"].notna() & m["metric"].isin(dom.index)]
    if m.empty:
        return
    d = dom.loc[m["metric"]].set_index(m.index)
    unit = m["unit"].astype(str)
    scale = np.where(unit.str.startswith(WAN) & (unit != d["base"]), 10_000.0, 1.0)
    value = m["value"].astype("float64")
    base = value * scale
    tol = 1e-9 * np.maximum(1.0, base.abs())
    below = base < d["lo"] - tol
    above = base > d["hi"] + tol
    counted = d["kind"].isin(["count", "stock"])
    # whole in exact decimal arithmetic: the value was written with at most 15 significant digits,
    # which its float's shortest repr gives back exactly (3.81 万 = 38100 is whole; 1e-20 个 is not,
    # although it is within any float tolerance of 0)
    fractional = counted & ~below & ~above & pd.Series(
        [not _whole(v, s) for v, s in zip(value, scale)], index=m.index, dtype=bool)
    flagged = _present(m["flag"])
    percent = (d["base"] == "%") & (base > 100 + 1e-9) & ~above & ~flagged
    bad = below | above | fractional | percent
    for i in m.index[bad]:
        r, dd = m.loc[i], d.loc[i]
        shown = f"{_num(value[i])} {r['unit']}" + (f" (= {_num(base[i])} {dd['base']})" if scale[m.index.get_loc(i)] != 1 else "")
        what = f"metric {r['metric']!r} ({dd['kind']}, in {dd['base']})"
        if below[i]:
            reason = (f"{shown} is below the smallest value allowed for {what}, {_num(dd['lo'])}"
                      + ("; a count cannot be negative" if dd["kind"] != "rate" and dd["lo"] == 0 else "")
                      + ". The range is min/max in metric_definitions.csv.")
        elif above[i]:
            why = "max in metric_definitions.csv" if dd["stated_hi"] else (
                "a share cannot exceed 100 %; a growth rate that may states its own max in metric_definitions.csv"
                if dd["kind"] == "rate" else f"the sanity bound for {dd['base']}; see docs/schema.md")
            reason = f"{shown} is above the largest value allowed for {what}, {_num(dd['hi'])} ({why})"
        elif fractional[i]:
            reason = f"{shown} is not a whole number of {dd['base']}: {what} counts things"
        else:
            reason = (f"{shown} is above 100 %: allowed for {r['metric']!r} (max {_num(dd['hi'])}) only when the "
                      "row is flagged, with its reasons in note, flag_reason_zh and flag_reason_en")
        problems.append(Problem("metrics.csv", int(r["_line"]), "value", reason))


def _stage_dates(t: dict[str, pd.DataFrame], problems: list[Problem]) -> None:
    """stages.csv dates: an event (any basis but `expected`) must not lie after today; an expected
    date may, but not more than EXPECTED_YEARS after its source's date (after today if undated)."""
    if "stages" not in t:
        return
    now = today()
    src_dates = {}
    if "sources" in t:
        src_dates = {sid: parse_partial_date(d) for sid, d in zip(t["sources"]["source_id"], t["sources"]["date"])
                     if not is_missing(d)}
    for row in t["stages"].pipe(records):
        text = row["date"]
        if is_missing(text) or parse_partial_date(text) is None:
            continue
        start = _period_start(str(text))
        if row["date_basis"] != "expected":
            if start > now:
                problems.append(Problem("stages.csv", int(row["_line"]), "date",
                                        f"{_show(text)} lies after today ({now.date()}): only a date with basis "
                                        "'expected' (a source's expectation) may be in the future"))
            continue
        base = src_dates.get(row["source_id"]) or now
        limit = base + pd.DateOffset(years=EXPECTED_YEARS)
        if start > limit:
            since = f"its source's date ({base.date()})" if row["source_id"] in src_dates else f"today ({now.date()}; the source is undated)"
            problems.append(Problem("stages.csv", int(row["_line"]), "date",
                                    f"expected date {_show(text)} is more than {EXPECTED_YEARS} years after {since}"))


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
            out.append((name, st.st_mtime_ns, st.st_size, st.st_mode))
        except OSError:
            out.append((name, None, None, None))
    return tuple(out)


def load(data_dir: str | os.PathLike | None = None) -> Dataset:
    """Load and validate the dataset.

    `data_dir` defaults to $NRMC_DATA or the repository's data/. Results are cached per directory
    and file modification time, so repeated calls (one per notebook in a warm kernel) are cheap;
    each call returns its own copy. Raises DataValidationError listing every problem found.
    """
    path = Path(data_dir).expanduser().resolve() if data_dir is not None else default_data_dir()
    if not path.is_dir():
        what = "is not a directory" if path.exists() else "data directory does not exist"
        raise DataValidationError([Problem(str(path), None, None, what)], path)
    return _load_cached(path, _fingerprint(path)).copy()


_TABLE_CACHE: dict[tuple[str, str], list] = {}  # key → [table or None, problems, typed table or None]
_TABLE_CACHE_SIZE = 48


def _copy(df: pd.DataFrame) -> pd.DataFrame:
    out = df.copy()
    out.attrs = dict(df.attrs)
    return out


def _checked_table(fname: str, content: bytes, problems: list[Problem]) -> tuple[pd.DataFrame | None, tuple]:
    """One file read and schema-checked, remembered by its name and content (in memory, and on disk
    once typed: `_keep_table`): after an edit to metrics.csv (the preview's common case, each edit
    in a new snapshot folder) the other eleven files are not parsed and checked again. Problems
    depend only on the name and the content, so they are remembered with the table; callers get a
    copy they may change."""
    key = (fname, hashlib.sha256(content).hexdigest())
    hit = _TABLE_CACHE.pop(key, None)  # least recently used goes first: a hit moves to the end
    if hit is None:
        hit = _disk_table(key)
        if hit is None:
            found: list[Problem] = []
            spec = TABLES[fname.removesuffix(".csv")]
            df = _read_table(content, fname, spec, found)
            if df is not None:
                df = _check_schema(df, fname, spec, found)
            hit = [df, tuple(found), None]
        while len(_TABLE_CACHE) >= _TABLE_CACHE_SIZE:
            _TABLE_CACHE.pop(next(iter(_TABLE_CACHE)))
    _TABLE_CACHE[key] = hit
    problems.extend(hit[1])
    return (None if hit[0] is None else _copy(hit[0])), key


def _typed_table(name: str, key: tuple, df: pd.DataFrame) -> pd.DataFrame:
    """`_finish_types` of a valid table, remembered beside it (same key as `_checked_table`)."""
    hit = _TABLE_CACHE.get(key)
    if hit is None:  # evicted meanwhile
        return _finish_types(df, TABLES[name])
    if hit[2] is None:
        hit[2] = _finish_types(df, TABLES[name])
        _keep_table(key, hit)
    return _copy(hit[2])


# A valid table, read, checked and typed, is also kept on disk (per user, beside the chart cache),
# by its name and content and this package's code: every process that loads the data (a build,
# each of its kernels, the preview, a notebook) otherwise imports pandera and checks all twelve
# files again, about a second each. Only tables without problems are kept; the rules across
# tables run on every load. A cache file that cannot be read is ignored (and replaced). The files
# are pickles in the user's own cache folder, as trusted as the code in their virtual environment.
DISK_TABLES_MAX = 256


def table_cache_dir() -> Path:
    """$NRMC_CACHE_DIR/tables, else $XDG_CACHE_HOME/nrmc/tables, else ~/.cache/nrmc/tables."""
    from nrmc.resources import user_cache_root

    if os.environ.get("NRMC_CACHE_DIR"):
        return Path(os.environ["NRMC_CACHE_DIR"]) / "tables"
    return user_cache_root() / "tables"


@functools.lru_cache(maxsize=1)
def _reader_key() -> str:
    """What besides a file's content decides its checked table: this package's code and the versions
    of Python and the libraries (`_disk_path` adds today's date: dates may not lie in the future)."""
    from importlib import metadata

    h = hashlib.sha256(f"{sys.version}\0{pd.__version__}\0{np.__version__}".encode())
    for dist in ("pandera", "pyarrow"):
        with contextlib.suppress(metadata.PackageNotFoundError):
            h.update(f"\0{dist} {metadata.version(dist)}".encode())
    pkg = Path(__file__).parent
    for f in sorted(pkg.rglob("*.py")):
        h.update(f.relative_to(pkg).as_posix().encode() + b"\0" + f.read_bytes())
    return h.hexdigest()[:24]


def _disk_path(key: tuple[str, str]) -> Path:
    day = today().date().isoformat()
    name = hashlib.sha256(f"{key[0]}\0{key[1]}\0{_reader_key()}\0{day}".encode()).hexdigest()[:32]
    return table_cache_dir() / f"{key[0].removesuffix('.csv')}-{name}.pickle"


def _disk_table(key: tuple[str, str]) -> list | None:
    import pickle

    path = _disk_path(key)
    try:
        with open(path, "rb") as f:
            entry = pickle.load(f)
    except FileNotFoundError:
        return None
    except Exception:  # noqa: BLE001 - unreadable, truncated, from another version: check the file again
        with contextlib.suppress(OSError):
            path.unlink()
        return None
    if not (isinstance(entry, list) and len(entry) == 3 and all(isinstance(x, pd.DataFrame) for x in (entry[0], entry[2]))
            and entry[1] == ()):
        return None
    return entry


def _keep_table(key: tuple[str, str], entry: list) -> None:
    import pickle

    if entry[1] or entry[0] is None:
        return
    path = _disk_path(key)
    with contextlib.suppress(Exception):
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        with open(tmp, "wb") as f:
            pickle.dump(entry, f, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, path)
        kept = sorted(path.parent.glob("*.pickle"), key=lambda p: p.stat().st_mtime_ns)
        for old in kept[:-DISK_TABLES_MAX]:
            old.unlink(missing_ok=True)


@functools.lru_cache(maxsize=4)
def _load_cached(path: Path, _fingerprint: tuple) -> Dataset:
    problems: list[Problem] = []
    raw: dict[str, pd.DataFrame] = {}
    keys: dict[str, tuple] = {}
    for name, spec in TABLES.items():
        fname = f"{name}.csv"
        p = path / fname
        if not p.exists() and not p.is_symlink():
            problems.append(Problem(fname, None, None, "file is missing"))
            continue
        content = _read_bytes(p, fname, problems)
        if content is None:
            continue
        df, keys[name] = _checked_table(fname, content, problems)
        if df is not None:
            raw[name] = df
    _cross_checks(raw, problems)
    if problems:
        raise DataValidationError(problems, path)
    typed = {name: _typed_table(name, keys[name], df) for name, df in raw.items()}
    metrics = typed["metrics"]
    metrics["scale"] = metrics["unit"].map(lambda u: 10_000 if u.startswith(WAN) else 1)
    metrics["value_base"] = metrics["value"] * metrics["scale"]
    metrics["base_unit"] = metrics["unit"].map(lambda u: u[len(WAN):] if u.startswith(WAN) else u).astype(object)
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
