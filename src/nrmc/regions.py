"""Province and scope lookup: every common way of naming a province resolves to one row.

Accepted forms, case- and space-insensitive: full name (安徽省), short name (安徽), one-character
abbreviation (皖), slug (anhui, inner-mongolia), English name (Anhui, Inner Mongolia), GB/T 2260
code (340000, also 34; never another code that merely starts with 34), ISO 3166-2 code (CN-AH,
AH), and aliases listed in provinces.csv.

This module reads provinces.csv with the csv module rather than pandas so that the command line
can resolve scopes (and decide that nothing needs rebuilding) without importing pandas.
"""
from __future__ import annotations

import csv
import difflib
import functools
import os
import unicodedata
from dataclasses import dataclass
from pathlib import Path

NATIONAL = "national"
_NATIONAL_FORMS = {"national", "nation", "china", "全国", "全國", "中国", "國家", "国家", "cn", "000000"}
MAX_QUERY_LEN = 64


class UnknownProvinceError(ValueError):
    """Raised for a name that is not a province (or `national` where scopes are accepted)."""

    def __init__(self, query: object, suggestion: str | None, valid: list[str], allow_national: bool):
        self.query = query
        self.suggestion = suggestion
        self.valid = valid
        shown = str(query)
        if len(shown) > 40:
            shown = shown[:40] + "…"
        what = "province or scope" if allow_national else "province"
        lines = [f"Unknown {what}: {shown!r}."]
        if suggestion:
            lines.append(f"Did you mean {suggestion}?")
        if valid:
            lines.append("Valid names: " + ", ".join(valid) + (", national" if allow_national else "") + ".")
        else:
            lines.append("The province table (provinces.csv) lists no provinces; run `nrmc validate`."
                         + (" Valid: national." if allow_national else ""))
        lines.append(
            "Each province may also be given by full name (安徽省), abbreviation (皖), slug (anhui), "
            "English name (Anhui), code (340000) or ISO code (CN-AH)."
        )
        super().__init__("\n".join(lines))

    def _render_traceback_(self) -> list[str]:
        """IPython (and so a papermill run) shows this instead of a traceback: the message first."""
        return f"{type(self).__name__}: {self}".splitlines()


@dataclass(frozen=True)
class Scope:
    """What one briefing is about: a province, or the national overview."""

    kind: str  # "province" | "national"
    slug: str
    code: str  # GB/T 2260 code, "" for national
    name_zh: str
    name_en: str

    @property
    def is_national(self) -> bool:
        return self.kind == NATIONAL


NATIONAL_SCOPE = Scope(kind=NATIONAL, slug=NATIONAL, code="", name_zh="全国", name_en="China (national)")


def default_data_dir() -> Path:
    """The data directory: $NRMC_DATA if set, else the dataset that comes with nrmc (the
    checkout's data/, or the copy inside an installed package: see nrmc.resources)."""
    from nrmc.resources import data_dir

    return data_dir()


def _norm(text: str) -> str:
    text = unicodedata.normalize("NFKC", str(text)).strip().casefold()
    return "".join(ch for ch in text if not ch.isspace() and ch not in "-_'’.")


class ProvinceTableError(OSError):
    """provinces.csv cannot be read at all (a directory, a device, broken CSV). An OSError, so that
    callers that report an unreadable file report this too; `nrmc validate` names the details."""


_FIELDS = ("code", "name_zh", "name_zh_short", "abbr_zh", "abbr_zh_alt", "name_en", "slug", "aliases", "iso")


@functools.lru_cache(maxsize=8)
def _read(path: str, mtime_ns: int) -> tuple[tuple[dict, ...], dict[str, str]]:
    # Tolerant on purpose: a lookup must not crash on a damaged table (a missing column, a stray
    # byte); it finds what it can, and validation (nrmc.data) reports the damage with its line.
    if not os.path.isfile(path):
        raise ProvinceTableError(f"{path} is not a regular file; run `nrmc validate`")
    try:
        with open(path, encoding="utf-8-sig", errors="replace", newline="") as f:
            raw = tuple(csv.DictReader(f))
    except csv.Error as err:
        raise ProvinceTableError(f"{path} is not valid CSV ({err}); run `nrmc validate`") from None
    rows = tuple({k: str(r.get(k) or "").strip() for k in _FIELDS} | {k: v for k, v in r.items() if isinstance(k, str)
                                                                      and k not in _FIELDS}
                 for r in raw if str(r.get("code") or "").strip())
    index: dict[str, str] = {}
    for row in rows:
        code = row["code"]
        forms = {
            row["name_zh"], row["name_zh_short"], row["abbr_zh"], row["abbr_zh_alt"], row["name_en"],
            row["slug"], row["iso"], row["iso"].split("-")[-1], code, code[:2],
        }
        forms.update(a for a in row["aliases"].split(";"))
        for form in forms:
            if form:
                index.setdefault(_norm(form), code)
    return rows, index


def _table(data_dir: str | os.PathLike | None) -> tuple[tuple[dict, ...], dict[str, str]]:
    path = Path(data_dir) if data_dir is not None else default_data_dir()
    path = path / "provinces.csv"
    return _read(str(path), path.stat().st_mtime_ns)


def provinces(data_dir: str | os.PathLike | None = None) -> list[dict]:
    """The province rows (as dicts of strings), in GB/T 2260 code order."""
    rows, _ = _table(data_dir)
    return sorted((dict(r) for r in rows), key=lambda r: r["code"])


def _suggest(query: str, rows: tuple[dict, ...], index: dict[str, str]) -> str | None:
    q = _norm(query)
    if not q:
        return None
    best, best_score = None, 0.0
    for form, code in index.items():
        if len(form) < 2 and not q.isascii():
            continue
        score = difflib.SequenceMatcher(None, q, form).ratio()
        if score > best_score:
            best, best_score = code, score
    if best is None or best_score < 0.45:
        return None
    row = next(r for r in rows if r["code"] == best)
    return f"{row['name_zh_short']} ({row['name_zh']}, {row['slug']})"


def resolve_province(name: object, data_dir: str | os.PathLike | None = None) -> dict:
    """Return the provinces.csv row (a dict of strings) that `name` designates.

    >>> resolve_province("皖")["code"]
    '340000'
    """
    return _resolve(name, data_dir, allow_national=False)  # type: ignore[return-value]


def _resolve(name: object, data_dir, allow_national: bool):
    rows, index = _table(data_dir)
    valid = [r["name_zh_short"] for r in sorted(rows, key=lambda r: r["code"])]
    if isinstance(name, bool) or not isinstance(name, (str, int)):
        raise UnknownProvinceError(name, None, valid, allow_national)
    text = str(name)
    key = _norm(text)
    if len(text) > MAX_QUERY_LEN or not key:
        raise UnknownProvinceError(name, None, valid, allow_national)
    if allow_national and key in _NATIONAL_FORMS:
        return NATIONAL
    # exact forms only: a code is one of provinces.csv's 6-digit codes or its 2-digit prefix (34);
    # 349999 or 341100 (a prefecture) is not Anhui
    code = index.get(key)
    if code is None:
        raise UnknownProvinceError(name, _suggest(text, rows, index), valid, allow_national)
    return next(dict(r) for r in rows if r["code"] == code)


def resolve_scope(name: object, data_dir: str | os.PathLike | None = None) -> Scope:
    """A province in any accepted form, or `national` (全国), as a Scope."""
    row = _resolve(name, data_dir, allow_national=True)
    if row == NATIONAL:
        return NATIONAL_SCOPE
    return Scope(kind="province", slug=row["slug"], code=row["code"], name_zh=row["name_zh"], name_en=row["name_en"])


def all_scopes(data_dir: str | os.PathLike | None = None) -> list[Scope]:
    """The 31 provinces in code order, then the national overview."""
    return [resolve_scope(r["code"], data_dir) for r in provinces(data_dir)] + [NATIONAL_SCOPE]
