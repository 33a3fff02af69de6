"""Rules across cells, rows and tables that a build relies on: what `nrmc validate` refuses beyond
each column's own domain (docs/schema.md, "Rules", lists every rule with its id).

- **Text that cannot deceive** (`text_problem`): no format characters (bidi controls such as
  U+202E, zero-width characters, soft hyphens …), no private-use, unassigned or surrogate code
  points, no line/paragraph separators U+2028/U+2029; text in Unicode NFC. Unique names stay
  unique once normalised (NFKC, case and spaces ignored).
- **Names a build resolves or writes** (`_province_names`): every form a province is looked up by
  (slug, names, abbreviations, aliases, codes) names one province only, never the national
  overview; a slug is never a name the build writes into the output folder.
- **Facts that must agree** (`_ids`, `_cities`, `_tiles`, `_stages`, `_periods`, `_milestones`):
  a centre id's prefix is its province's ISO suffix, a city lies in its centre's province, one
  province per map tile, a centre's stages in order and once each, a figure's period begun by its
  as-of date, official totals never falling.

`check(tables, problems)` runs the cross-row rules on the tables as read (`nrmc.data` calls it);
`text_problem(value)` is the per-cell text rule. Every problem names file, line, column and reason.
"""
from __future__ import annotations

import bisect
import re
import unicodedata
from datetime import date
import pandas as pd

__all__ = ["FIRST_YEAR", "check", "text_problem", "suspect_chars", "unique_key", "rule_ids"]

from nrmc.dates import FIRST_YEAR  # no date of the dataset lies before 1949
# Unicode categories refused in any text cell: format characters (Cf: bidi embeddings, overrides
# and isolates U+202A–202E, U+2066–2069, marks U+200E/U+200F/U+061C, zero-width U+200B–200D,
# U+2060, U+FEFF, soft hyphen U+00AD …), private use (Co), surrogates (Cs), unassigned (Cn), and
# the line and paragraph separators (Zl, Zp) that some renderers break lines at.
INVISIBLE = frozenset({"Cf", "Co", "Cs", "Cn", "Zl", "Zp"})
# Letters and digits of right-to-left scripts (bidirectional classes R, AL, AN: Hebrew, Arabic,
# Syriac, Thaana, N'Ko …, Arabic-Indic digits) reorder the numbers and words around them in a
# left-to-right page even without a control character: "中心 עב 412 69" prints 69 before 412.
RTL = frozenset({"R", "AL", "AN"})
BIDI = frozenset(map(chr, [*range(0x202A, 0x202F), *range(0x2066, 0x206A), 0x200E, 0x200F, 0x061C]))


def _char_name(ch: str) -> str:
    name = unicodedata.name(ch, "")
    return f"U+{ord(ch):04X}" + (f" {name}" if name else "")


def suspect_chars(text: str) -> bool:
    """Whether `text` (a whole file) holds any character a text cell may not hold, or is not NFC:
    then the cells are checked one by one. A pass over the distinct characters, so cheap."""
    if text.isascii():
        return False
    return any(unicodedata.category(ch) in INVISIBLE or unicodedata.bidirectional(ch) in RTL for ch in set(text)) \
        or not unicodedata.is_normalized("NFC", text)


def text_problem(value: object) -> str | None:
    """Why a text cell may not be printed as it stands, or None."""
    if not isinstance(value, str) or value.isascii():
        return None
    for i, ch in enumerate(value):
        if unicodedata.category(ch) in INVISIBLE:
            what = "a bidirectional control" if ch in BIDI else (
                "a zero-width or other invisible format character" if unicodedata.category(ch) == "Cf" else
                "a line or paragraph separator" if unicodedata.category(ch) in ("Zl", "Zp") else
                "a private-use, unassigned or surrogate code point")
            return (f"contains {_char_name(ch)} at character {i + 1}, {what}: it would reorder or hide text in "
                    "a briefing (a number could read backwards, two names could look alike). Remove it")
    for i, ch in enumerate(value):
        if unicodedata.bidirectional(ch) in RTL:
            return (f"contains {_char_name(ch)} at character {i + 1}, a right-to-left letter or digit: in a left-to-right "
                    "page it reverses the order of the numbers and words beside it (412 and 69 would print as 69 and "
                    "412). Transliterate it or leave it out")
    if not unicodedata.is_normalized("NFC", value):
        nfc = unicodedata.normalize("NFC", value)
        at = next((i for i, (a, b) in enumerate(zip(value, nfc)) if a != b), min(len(value), len(nfc)))
        return (f"is not in Unicode normal form NFC (at character {at + 1}: {_char_name(value[at])}): the same "
                "text can be written with different code points, so names would differ that look the same. "
                "Re-save it composed (NFC); unicodedata.normalize('NFC', text) gives the form to write")
    return None


def unique_key(text: str) -> str:
    """The form under which two names are the same name: NFKC (full-width letters, compatibility
    forms), case folded, without spaces."""
    text = unicodedata.normalize("NFKC", text).casefold()
    return "".join(ch for ch in text if not ch.isspace())


# ---------------------------------------------------------------------------------------------
def _present(v) -> bool:
    return v is not None and not (isinstance(v, float) and v != v) and v is not pd.NA and str(v) != ""


class _Tables(dict):
    """The tables as read, each one's rows turned into dicts once: the rules read metrics.csv's
    rows four times and provinces.csv's five (a quarter of loading the dataset went to that)."""

    def __init__(self, tables: dict[str, pd.DataFrame]):
        super().__init__(tables)
        self.records: dict[str, list[dict]] = {}


def _rows(t: _Tables, name: str) -> list[dict]:
    """The rows of table `name` as dicts, made once per `check` (read, never changed, by the
    rules); [] when it is missing."""
    if name not in t:
        return []
    if name not in t.records:
        t.records[name] = t[name].to_dict("records")
    return t.records[name]


def check(t: dict[str, pd.DataFrame], problems: list) -> None:
    """Every cross-row rule on the tables as read (a table that could not be read is skipped)."""
    t = _Tables(t)
    found: list = []
    for rule in (_unique_names, _province_names, _ids, _cities, _tiles, _stages, _periods, _milestones):
        rule(t, found)
    # one problem per cell: a cell already refused for its own domain is not refused again here
    taken = {(p.file, p.line, p.column) for p in problems}
    problems += [p for p in found if (p.file, p.line, p.column) not in taken]


def _problem(file: str, line, column, reason: str):
    from nrmc.data import Problem

    return Problem(file, int(line) if line is not None else None, column, reason)


def _unique_names(t: dict, problems: list) -> None:
    """[rule: names-unique-normalised] A unique text column stays unique once normalised."""
    from nrmc.data import TABLES

    for name, spec in TABLES.items():
        if name not in t:
            continue
        for col, c in spec.items():
            if not (c.unique and c.kind == "str"):
                continue
            seen: dict[str, tuple[str, int]] = {}
            for r in _rows(t, name):
                v = r.get(col)
                if not _present(v):
                    continue
                key = unique_key(str(v))
                if key in seen and seen[key][0] != v:
                    problems.append(_problem(f"{name}.csv", r["_line"], col,
                                             f"{v!r} is the same name as {seen[key][0]!r} on line {seen[key][1]} once "
                                             "normalised (NFKC: full-width and compatibility forms; case and spaces "
                                             "ignored): a reader could not tell them apart. Use one spelling"))
                else:
                    seen.setdefault(key, (v, r["_line"]))


# ---------------------------------------------------------------------------------------------
# names a build resolves (nrmc.regions) and writes (nrmc.layout)
PROVINCE_FORMS = ("slug", "name_zh", "name_zh_short", "abbr_zh", "abbr_zh_alt", "name_en", "aliases", "iso", "code")


def _province_names(t: dict, problems: list) -> None:
    """[rule: province-names-unique] every form a province is looked up by names it alone, never
    the national overview; [rule: slug-not-output-name] a slug is not a name the build writes
    into the output folder; [rule: names-resolvable] every such form is short enough to type."""
    from nrmc.layout import OUTPUT_NAMES
    from nrmc.regions import _NATIONAL_FORMS, MAX_QUERY_LEN, _norm

    if "provinces" not in t:
        return
    owner: dict[str, tuple[str, str, str, int]] = {}  # normalised form → (code, column, text, line)
    for r in _rows(t, "provinces"):
        code, line = str(r.get("code") or ""), r["_line"]
        slug = r.get("slug")
        if _present(slug) and str(slug) in OUTPUT_NAMES:
            problems.append(_problem("provinces.csv", line, "slug",
                                     f"{slug!r} is a name the build writes into the output folder "
                                     f"({', '.join(sorted(OUTPUT_NAMES))}): its briefing would replace or be "
                                     "replaced by another output. Choose another slug"))
        for col in PROVINCE_FORMS:
            v = r.get(col)
            if not _present(v):
                continue
            v = str(v)
            forms = [(a, col) for a in v.split(";")] if col == "aliases" else [(v, col)]
            if col == "iso":
                forms.append((v.split("-")[-1], "iso"))
            if col == "code":
                forms.append((v[:2], "code"))
            for form, where in forms:
                key = _norm(form)
                if not key:
                    if col == "aliases":
                        problems.append(_problem("provinces.csv", line, col, f"{v!r} holds an empty alias (';;' "
                                                                                "or a ';' at an end)"))
                    continue
                if col in ("slug", "aliases") and len(form) > MAX_QUERY_LEN:  # forms that exist to be typed
                    problems.append(_problem("provinces.csv", line, col,
                                             f"{form[:30]!r}… is longer than {MAX_QUERY_LEN} characters: "
                                             "`nrmc build NAME` could not look it up"))
                if key in _NATIONAL_FORMS:
                    problems.append(_problem("provinces.csv", line, col,
                                             f"{form!r} names the national overview (`nrmc build {form}` builds it), "
                                             "so it cannot name a province"))
                    continue
                prev = owner.get(key)
                if prev is not None and prev[0] != code:
                    problems.append(_problem("provinces.csv", line, col,
                                             f"{form!r} also names another province ({prev[1]} {prev[2]!r} of "
                                             f"{prev[0]}, line {prev[3]}): `nrmc build {form}` must build one "
                                             "briefing. Every slug, name, abbreviation, alias and code must be "
                                             "unique across provinces (case, spaces, '-', '_', '.' and "
                                             "full-width forms ignored)"))
                elif prev is None:
                    owner[key] = (code, where, form, line)


# ---------------------------------------------------------------------------------------------
def _iso_suffix(t: dict) -> dict[str, str]:
    if "provinces" not in t:
        return {}
    return {str(r["code"]): str(r["iso"]).split("-")[-1] for r in _rows(t, "provinces")
            if _present(r.get("code")) and _present(r.get("iso"))}


def _ids(t: dict, problems: list) -> None:
    """[rule: id-prefix-province] a centre id (XX-NN) and a provincial-centre id (PRC-XX-NN) start
    with their province's ISO suffix."""
    iso = _iso_suffix(t)
    if not iso:
        return
    for table, col, prefix in (("centers", "center_id", lambda v: v[:2]),
                               ("provincial_centers", "prc_id", lambda v: v[4:6])):
        for r in _rows(t, table):
            v, code = r.get(col), str(r.get("province_code") or "")
            if not _present(v) or code not in iso:
                continue
            if prefix(str(v)) != iso[code]:
                problems.append(_problem(f"{table}.csv", r["_line"], col,
                                         f"{v!r} does not start with its province's ISO suffix {iso[code]!r} "
                                         f"(province_code {code}): the id names the wrong province"))


def _cities(t: dict, problems: list) -> None:
    """[rule: city-in-province] a centre's city (and a provincial centre's, and a `city=` breakdown
    of a province's or a centre's figure) lies in that province (cities.csv province_code)."""
    if "cities" not in t:
        return
    city_prov = {str(r["name_zh"]): str(r["province_code"]) for r in _rows(t, "cities")
                 if _present(r.get("name_zh")) and _present(r.get("province_code"))}
    names = {}
    if "provinces" in t:
        names = {str(r["code"]): str(r.get("name_zh_short") or r["code"]) for r in _rows(t, "provinces")}

    def where(code: str) -> str:
        return f"{names.get(code, code)} ({code})"

    for table in ("centers", "provincial_centers"):
        for r in _rows(t, table):
            city, code = r.get("city_zh"), str(r.get("province_code") or "")
            if code in names and _present(city) and str(city) in city_prov and city_prov[str(city)] != code:
                problems.append(_problem(f"{table}.csv", r["_line"], "city_zh",
                                         f"{city!r} lies in {where(city_prov[str(city)])} by cities.csv, not in this "
                                         f"row's province {where(code)}"))
    centre_prov = {str(r["center_id"]): str(r["province_code"]) for r in _rows(t, "centers")
                   if _present(r.get("center_id"))}
    for r in _rows(t, "metrics"):
        b, subject = str(r.get("breakdown") or ""), str(r.get("subject_id") or "")
        if not b.startswith("city="):
            continue
        code = subject if subject in names else centre_prov.get(subject)
        city = b[5:]
        if code in names and city in city_prov and city_prov[city] != code:
            problems.append(_problem("metrics.csv", r["_line"], "breakdown",
                                     f"{city!r} lies in {where(city_prov[city])} by cities.csv, not in the "
                                     f"figure's province {where(code)}"))


def _tiles(t: dict, problems: list) -> None:
    """[rule: one-province-per-tile] no two provinces share a tile of the map."""
    seen: dict[tuple, tuple[str, int]] = {}
    for r in _rows(t, "provinces"):
        row, col = r.get("tile_row"), r.get("tile_col")
        if not (_present(row) and _present(col)):
            continue
        key = (int(row), int(col))
        if key in seen:
            problems.append(_problem("provinces.csv", r["_line"], "tile_col",
                                     f"tile ({key[0]}, {key[1]}) is also {seen[key][0]}'s (line {seen[key][1]}): "
                                     "two provinces would be drawn on one square of the map"))
        else:
            seen[key] = (str(r.get("name_zh_short") or r.get("code")), r["_line"])


# ---------------------------------------------------------------------------------------------
# dates as intervals: when an event can have happened, given its text and basis
def _interval(text: object, basis: object) -> tuple[date, date] | None:
    """The earliest and latest day a dated event can have happened: a stated date is its period
    (2023-06 → 1–30 June), `about` widens it by a year each side, `not_after` runs from FIRST_YEAR
    to its end; an `expected` date (an expectation, not an event) has none."""
    from nrmc import dates

    if not _present(text) or basis == "expected":
        return None
    lo, hi = dates.start(str(text)), dates.end(str(text))
    if lo is None or hi is None:
        return None
    if basis == "about":
        lo, hi = lo.replace(year=max(FIRST_YEAR, lo.year - 1), day=min(lo.day, 28)), hi.replace(year=hi.year + 1, day=min(hi.day, 28))
    elif basis == "not_after":
        lo = date(FIRST_YEAR, 1, 1)
    return lo, hi


# A centre's lifecycle: each pair (a, b) says a cannot come after b. Trial operation, opening and
# formal operation follow the approval and each other, and the 'built' list follows it. A plaque
# (挂牌) or a construction start may come before the NRMC approval (a host renamed and operating
# under its partner's name, a building begun before it became a centre: JX-07, SC-02), so neither is
# ordered against it. `expected_open` is an expectation and `agreement` belongs to planned projects
# only, so neither is ordered.
STAGE_ORDER = (("approved", "listed"), ("approved", "built"), ("approved", "trial"), ("approved", "open"),
               ("approved", "operating"), ("trial", "open"), ("trial", "operating"), ("open", "operating"))
# Events that happen once in a centre's life. Two sources may date one event differently (a month
# and a "by" date, a naming and a formal approval): their rows are kept while the dates can be the
# same event (their intervals overlap); dates that cannot be one event are refused. A plaque may be
# hung more than once (the hospital's new name, then the ministries' 授牌); `agreement`,
# `under_construction` and `expected_open` may be reported again at another date.
ONCE = ("approved", "listed", "built", "trial", "open", "operating")
# Stages only an approved project has (a planned one may sign agreements and start building).
APPROVED_ONLY = ("approved", "plaque", "listed", "built", "trial", "open", "operating")


def _stages(t: dict, problems: list) -> None:
    """[rule: stage-order] a centre's stages in order; [rule: stage-once] an event once per centre,
    no row twice; [rule: stage-status] `agreement` for planned centres only and no approval or
    later event for them."""
    status = {str(r["center_id"]): r.get("status") for r in _rows(t, "centers") if _present(r.get("center_id"))}
    by_centre: dict[str, list[dict]] = {}
    for r in _rows(t, "stages"):
        cid, stage = str(r.get("center_id") or ""), r.get("stage")
        st = status.get(cid)
        if st == "planned" and stage in APPROVED_ONLY:
            problems.append(_problem("stages.csv", r["_line"], "stage",
                                     f"{cid} is a planned project (status 'planned' in centers.csv), so it has no "
                                     f"{stage!r} stage: an approved project's status is 'approved'"))
        elif st == "approved" and stage == "agreement":
            problems.append(_problem("stages.csv", r["_line"], "stage",
                                     f"'agreement' is recorded for planned projects only; {cid} is approved "
                                     "(record its approval, or set its status to 'planned')"))
        by_centre.setdefault(cid, []).append(r)
    for cid, rows in by_centre.items():
        first: dict[str, dict] = {}
        exact: dict[tuple, int] = {}
        for r in rows:
            stage = r.get("stage")
            key = (stage, r.get("date"), r.get("source_id"))  # two sources may give one event the same date
            if key in exact:
                problems.append(_problem("stages.csv", r["_line"], "stage",
                                         f"{cid} {stage} {r.get('date')} is already on line {exact[key]}: one row per event"))
                continue
            exact[key] = r["_line"]
            if stage in ONCE and stage in first:
                f = first[stage]
                i0, i1 = _interval(f.get("date"), f.get("date_basis")), _interval(r.get("date"), r.get("date_basis"))
                if i0 and i1 and (i0[0] > i1[1] or i1[0] > i0[1]):
                    problems.append(_problem("stages.csv", r["_line"], "date",
                                             f"{cid}'s {stage!r} is dated {r.get('date')} ({r.get('date_basis')}) here and "
                                             f"{f.get('date')} ({f.get('date_basis')}) on line {f['_line']}: it happens "
                                             "once in a centre's life and these dates cannot be one event; keep the "
                                             "best-sourced row and give the other source and its date in note"))
                continue
            first.setdefault(stage, r)
        for a, b in STAGE_ORDER:
            if a in first and b in first:
                ra, rb = first[a], first[b]
                ia, ib = _interval(ra.get("date"), ra.get("date_basis")), _interval(rb.get("date"), rb.get("date_basis"))
                if ia and ib and ia[0] > ib[1]:
                    problems.append(_problem("stages.csv", ra["_line"], "date",
                                             f"{cid}'s {a!r} ({ra.get('date')}, {ra.get('date_basis')}) lies after its "
                                             f"{b!r} ({rb.get('date')}, {rb.get('date_basis')}, line {rb['_line']}): "
                                             f"a centre's {a} comes no later than its {b}"))


_YEARS = re.compile(r"^([0-9]{4})(?:/([0-9]{4}))?$")
TARGET_THEMES = ("policy", "provincial")


def _periods(t: dict, problems: list) -> None:
    """[rule: period-by-as-of] a calendar-year period has begun by the figure's as-of date and ends
    by it, or in its year (a figure for the year so far, 今年以来); only a plan's target (a metric of
    theme policy or provincial) may name a period that ends later. Not checked when the as-of is
    `not_before` (the figure may be dated later)."""
    from nrmc.data import parse_partial_date

    themes = {str(r["code"]): r.get("theme") for r in _rows(t, "metric_definitions") if _present(r.get("code"))}
    for r in _rows(t, "metrics"):
        m = _YEARS.match(str(r.get("period") or ""))
        as_of = parse_partial_date(r.get("as_of")) if _present(r.get("as_of")) else None
        if not m or as_of is None or r.get("as_of_basis") == "not_before":
            continue
        first, last = int(m.group(1)), int(m.group(2) or m.group(1))
        if first > as_of.year:
            problems.append(_problem("metrics.csv", r["_line"], "period",
                                     f"period {r['period']!r} had not begun by the figure's as-of date "
                                     f"{r.get('as_of')}: a figure cannot report a period that lies ahead"))
        elif last > as_of.year and themes.get(str(r.get("metric"))) not in TARGET_THEMES:
            problems.append(_problem("metrics.csv", r["_line"], "period",
                                     f"period {r['period']!r} ends after the figure's as-of date {r.get('as_of')}: "
                                     "a figure's period ends by its as-of date or in its year (the year so far); "
                                     "only a plan's target (a metric of theme policy or provincial) runs later"))


def _milestones(t: dict, problems: list) -> None:
    """[rule: totals-never-fall] an official total (milestones.csv projects_total) is never smaller
    than one dated before it, and a batch is never dated before an earlier batch."""
    rows = []
    for r in _rows(t, "milestones"):
        iv = _interval(r.get("date"), r.get("date_basis"))
        if iv is not None:
            rows.append((iv, r))
    for col, what in (("projects_total", "the official total"), ("batch", "the batch number")):
        dated = sorted(((iv, r) for iv, r in rows if _present(r.get(col))), key=lambda x: x[0][1])
        ends = [iv[1] for iv, _ in dated]
        best: list[tuple[float, dict]] = []  # running maximum over the rows sorted by their latest day
        for iv, r in dated:
            v = float(r[col])
            top = best[-1] if best and best[-1][0] >= v else (v, r)
            best.append(top)
        for iv, r in dated:
            k = bisect.bisect_left(ends, iv[0])  # rows that certainly lie before this one
            if k and best[k - 1][0] > float(r[col]):
                prev = best[k - 1][1]
                problems.append(_problem("milestones.csv", r["_line"], col,
                                         f"{what} {_num(r[col])} on {r.get('date')} is smaller than {_num(prev[col])} on "
                                         f"{prev.get('date')} (line {prev['_line']}): it never falls over time"))


def _num(v) -> str:
    f = float(v)
    return str(int(f)) if f.is_integer() else str(f)


def rule_ids(text: str) -> list[str]:
    """The rule ids a text (docs/schema.md, this module) names in square brackets after 'rule:'."""
    return re.findall(r"\[rule: ([a-z0-9-]+)\]", text)
