"""Papermill parameters of a briefing, and which notebook builds which scope.

Parameters reach the notebooks normalised: `as_of` is always an ISO date string (or absent), so a
notebook never sees a year as an int or a month without its day.
"""
from __future__ import annotations

import calendar
import datetime as _dt
import re
from pathlib import Path
from typing import Any

NOTEBOOKS = {"province": "province.ipynb", "national": "national.ipynb"}
_PARTIAL_DATE = re.compile(r"^(\d{4})(?:[-/.](\d{1,2})(?:[-/.](\d{1,2}))?)?$")


class ParameterError(ValueError):
    """A parameter that no briefing can be built for; the message says what is accepted."""


def normalize_as_of(value: Any) -> str | None:
    """`as_of` as an ISO date: a year (2023 or "2023") is the end of that year, a month
    ("2023-06") the end of that month, a date stays itself. None or "" means no cut-off.

    >>> normalize_as_of(2023), normalize_as_of("2024-02"), normalize_as_of("2024-03-05")
    ('2023-12-31', '2024-02-29', '2024-03-05')
    """
    if value is None:
        return None
    if isinstance(value, bool):
        raise ParameterError(f"as_of {value!r} is not a date: use a year (2023) or a date (2023-12-31)")
    if isinstance(value, _dt.datetime):
        return value.date().isoformat()
    if isinstance(value, _dt.date):
        return value.isoformat()
    if isinstance(value, int):
        value = str(value)
    if hasattr(value, "isoformat") and callable(value.isoformat):  # pandas.Timestamp, numpy datetime
        try:
            return str(value.isoformat())[:10]
        except (TypeError, ValueError):
            pass
    text = str(value).strip()
    if not text or text.lower() in ("none", "null"):
        return None
    m = _PARTIAL_DATE.match(text)
    shown = text if len(text) <= 40 else text[:40] + "…"
    if m:
        year = int(m.group(1))
        month = int(m.group(2) or 12)
        period = None
        try:
            if m.group(3):
                period = (_dt.date(year, month, int(m.group(3))),) * 2
            elif 1 <= month <= 12 and year >= 1:
                period = (_dt.date(year, int(m.group(2) or 1), 1), _dt.date(year, month, calendar.monthrange(year, month)[1]))
        except ValueError:
            pass
        if period is not None:
            return _in_range(shown, *period)
    raise ParameterError(f"as_of {shown!r} is not a date: use a year (2023), a month (2023-06) "
                         f"or a day (2023-12-31)")


def _in_range(shown: str, start: _dt.date, end: _dt.date) -> str:
    """`end` as ISO text when the period [start, end] an as-of names has begun and lies from
    FIRST_YEAR on (2026 is accepted during 2026, 2027 is not); else a ParameterError saying so."""
    from nrmc.dates import FIRST_YEAR

    today = _dt.date.today()
    if start.year < FIRST_YEAR:
        raise ParameterError(f"as_of {shown!r} lies before {FIRST_YEAR}, before any date the data may hold; give a "
                             f"date from {FIRST_YEAR} to today ({today.isoformat()})")
    if start > today:
        raise ParameterError(f"as_of {shown!r} lies after today ({today.isoformat()}): what will be known then is "
                             "not known yet; give a date up to today (or none, for everything)")
    return end.isoformat()


def notebook_for(scope, notebooks_dir: Path) -> Path:
    return Path(notebooks_dir) / NOTEBOOKS["national" if scope.kind == "national" else "province"]


# The notebooks' parameters: the same names as the command line's (`nrmc build SCOPE --lang
# --as-of --data`) and the API's (`nrmc.Briefing(scope, lang, as_of, data_dir)`).
DECLARED = ("scope", "lang", "as_of", "data_dir")


def parameters_for(scope, *, lang: str, data_dir: Path | str | None = None, as_of: Any = None) -> dict:
    """Papermill parameters for a scope: `scope` (the slug, or "national"), lang, data_dir, as_of."""
    params: dict[str, Any] = {"scope": scope.slug}
    params["lang"] = lang
    if data_dir is not None:
        params["data_dir"] = str(data_dir)
    as_of = normalize_as_of(as_of)
    if as_of:
        params["as_of"] = as_of
    return params


def check_injected(declared: tuple[str, ...] = DECLARED) -> None:
    """Fail when papermill injected a parameter the notebook does not declare (papermill itself
    only warns, and a misspelt `-p scop hubei` would build the default scope).

    Papermill's injected cell is the last cell run whose source begins "# Parameters"; its
    assignments must all be declared parameters."""
    import ast
    import difflib

    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - outside IPython there is nothing injected
        return
    ip = get_ipython()
    if ip is None:
        return
    for src in reversed(ip.user_ns.get("In", [])):
        if not str(src).lstrip().startswith("# Parameters"):
            continue
        try:
            tree = ast.parse(src)
        except SyntaxError:
            return
        names = [t.id for node in tree.body if isinstance(node, (ast.Assign, ast.AnnAssign))
                 for t in (node.targets if isinstance(node, ast.Assign) else [node.target]) if isinstance(t, ast.Name)]
        unknown = [n for n in names if n not in declared]
        if unknown:
            hints = []
            for n in unknown:
                close = difflib.get_close_matches(n, declared, n=1)
                hints.append(f"{n!r}" + (f" (did you mean {close[0]!r}?)" if close else ""))
            raise ParameterError(f"unknown parameter {', '.join(hints)}: this notebook takes {', '.join(declared)}")
        return
