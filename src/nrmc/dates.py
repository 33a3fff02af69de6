"""Dates as the sources give them: partial ISO text (2024, 2024-08, 2024-08-31) with a basis that
says how the date is known, printed the same way everywhere in both languages.

A date's *basis* (metrics `as_of_basis`, stages `date_basis`, sources `date_basis`):
- ``stated``: the source prints it;
- ``publication``: a figure dated by its source's publication date, which has a basis of its own;
- ``about``: inferred, approximately (约 / about);
- ``not_after``: it happened by then (不晚于 / no later than);
- ``not_before``: on or after it (不早于 / on or after), e.g. an undated article's latest mention;
- ``expected``: a source's expectation (预计 / expected).
"""
from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date

# No date of the dataset, and no --as-of, lies before the People's Republic (the programme began in
# 2019; the oldest reference, GB/T 2260, dates from 1980): a year like 1900, 1948 or 0001 is a typo.
FIRST_YEAR = 1949
PARTIAL_DATE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")
MONTHS_EN = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
BASES = ("stated", "publication", "about", "not_after", "not_before", "expected")


def parse(text: str) -> tuple[int, int | None, int | None] | None:
    """'2024-08' → (2024, 8, None); anything else → None."""
    m = PARTIAL_DATE.match(str(text or "").strip())
    if not m:
        return None
    y, mo, d = m.groups()
    return int(y), int(mo) if mo else None, int(d) if d else None


def start(text: str) -> date | None:
    """The first day of the period a partial date names ('2019' → 2019-01-01)."""
    p = parse(text)
    if not p:
        return None
    y, mo, d = p
    return date(y, mo or 1, d or 1)


def end(text: str) -> date | None:
    """The last day of the period a partial date names ('2024-08' → 2024-08-31)."""
    p = parse(text)
    if not p:
        return None
    y, mo, d = p
    if mo is None:
        return date(y, 12, 31)
    return date(y, mo, d or calendar.monthrange(y, mo)[1])


def sort_key(text: str) -> tuple:
    """Order partial dates by where their period starts, coarser first on a tie: '2019' before
    '2019-07' before '2019-11'."""
    p = parse(text)
    if not p:
        return (9999, 99, 99)
    y, mo, d = p
    return (y, mo or 0, d or 0)


def plain(text: str, lang: str = "zh") -> str:
    """'2024-08-31' → '2024年8月31日' / '31 Aug 2024'; '2024-08' → '2024年8月' / 'Aug 2024'."""
    p = parse(text)
    if not p:
        return "—" if not str(text or "").strip() else str(text)
    y, mo, d = p
    if lang == "zh":
        return f"{y}年" + (f"{mo}月" if mo else "") + (f"{d}日" if d else "")
    if not mo:
        return str(y)
    return (f"{d} " if d else "") + f"{MONTHS_EN[mo - 1]} {y}"


_QUALIFIED = {
    "about": ("约{}", "about {}"),
    "not_after": ("不晚于{}", "by {}"),
    "not_before": ("不早于{}", "on or after {}"),
    "expected": ("预计{}", "expected {}"),
}


def qualified(text: str, basis: str = "stated", lang: str = "zh") -> str:
    """A date with its basis in words: ('2024-10', 'about') → '约2024年10月' / 'about Oct 2024'."""
    s = plain(text, lang)
    if s == "—" or basis not in _QUALIFIED:
        return s
    return _QUALIFIED[basis][0 if lang == "zh" else 1].format(s)


_IN_RANGE_EN = {"not_after": "{} or earlier", "not_before": "{} or later"}


def in_range(text: str, basis: str = "stated") -> str:
    """An English date as one end of a range: the qualifier after the date ('Oct 2023 or later')."""
    s = plain(text, "en")
    if s != "—" and basis in _IN_RANGE_EN:
        return _IN_RANGE_EN[basis].format(s)
    return qualified(text, basis, "en")


_MARK = {"about": "≈", "not_after": "≤", "not_before": "≥", "expected": "预计"}


def marked(text: str, basis: str = "stated", lang: str = "zh") -> str:
    """A date in a table cell: ('2025-11-30', 'not_before') → '≥2025年11月30日' (the table's note
    explains ≥ 不早于, ≈ 约, ≤ 不晚于)."""
    s = plain(text, lang)
    if s == "—" or basis not in _MARK:
        return s
    mark = _MARK[basis] if basis != "expected" else ("预计" if lang == "zh" else "expected ")
    return f"{mark}{s}"


MARKS_NOTE = ("日期前的≥表示“不早于”，≈表示“约”，≤表示“不晚于”（来源未注明确切日期时）。",
              "Before a date, ≥ means “on or after”, ≈ “about” and ≤ “by” (where a source gives no exact date).")


def effective_basis(basis: str, source_basis: str | None) -> str:
    """The basis to print for a figure: a figure dated by its source's publication takes the
    source date's own basis (约 for S05, 不早于 for S01)."""
    if basis == "publication":
        return source_basis if source_basis in _QUALIFIED else "stated"
    return basis


@dataclass(frozen=True)
class Window:
    """The span of dates a briefing prints: earliest and latest, each with its basis."""

    first: str
    first_basis: str
    last: str
    last_basis: str

    def text(self, lang: str = "zh") -> str:
        if self.first == self.last:  # one date (e.g. a list as of its date): "截至" it
            basis = self.last_basis if self.last_basis in _QUALIFIED else ""
            if not basis or basis == "not_after":
                return f"截至{plain(self.last, lang)}" if lang == "zh" else f"as of {plain(self.last, lang)}"
            return qualified(self.last, basis, lang)
        if lang == "zh":
            return f"{qualified(self.first, self.first_basis, lang)}至{qualified(self.last, self.last_basis, lang)}"
        # English: "by X to Y" and "X to on or after Y" do not read; in a range the qualifier
        # follows its date ("12 Jan 2023 or earlier to Oct 2023")
        return f"{in_range(self.first, self.first_basis)} to {in_range(self.last, self.last_basis)}"

    @property
    def inferred_end(self) -> bool:
        return self.last_basis in _QUALIFIED


def window(items) -> Window | None:
    """The window of (date text, basis) pairs, by period start for the first and period end for
    the last; None when there are none."""
    items = [(d, b) for d, b in items if parse(d)]
    if not items:
        return None
    # At the same date, the bound that may reach furthest wins: "by X" may be earlier than X,
    # "on or after X" later.
    early = {"stated": 0, "publication": 0, "about": 1, "not_after": 2, "not_before": 3}
    late = {"not_before": 3, "stated": 2, "publication": 2, "about": 1, "not_after": 0}
    first = min(items, key=lambda x: (start(x[0]), early.get(x[1], 2)))
    last = max(items, key=lambda x: (end(x[0]), late.get(x[1], 2)))
    return Window(first[0], first[1], last[0], last[1])


def months_between(a: date, b: date) -> int:
    """Whole months from a to b (0 if b is before a); a month ends on its last day, so 31 Oct to
    30 Nov is one month."""
    short = b.day < a.day and b.day != calendar.monthrange(b.year, b.month)[1]
    n = (b.year - a.year) * 12 + (b.month - a.month) - (1 if short else 0)
    return max(0, n)


def duration(months: int, lang: str = "zh") -> str:
    """27 → '2年3个月' / '2 yr 3 mo'; 5 → '5个月' / '5 mo'."""
    y, m = divmod(max(0, int(months)), 12)
    if lang == "zh":
        return (f"{y}年" if y else "") + (f"{m}个月" if m or not y else "")
    parts = ([f"{y} yr"] if y else []) + ([f"{m} mo"] if m or not y else [])
    return " ".join(parts)
