"""Source citations of one briefing: numbered 1…n in the order the briefing first cites them, and
only the sources it cites appear in its source list."""
from __future__ import annotations

from collections.abc import Iterable

import pandas as pd
from markupsafe import Markup


def split_ids(ids: Iterable[str]) -> list[str]:
    """'S01;S02', 'S03' … → ['S01', 'S02', 'S03'] (order kept, duplicates dropped)."""
    out: list[str] = []
    for s in ids:
        for sid in str(s or "").split(";"):
            sid = sid.strip()
            if sid and sid not in out:
                out.append(sid)
    return out


class Citations:
    """`cite('S01;S05')` → Markup '<sup class="src">[1,2]</sup>', numbering on first use."""

    def __init__(self, sources: pd.DataFrame):
        self._known = set(sources["source_id"])
        self.numbers: dict[str, int] = {}

    def number(self, sid: str) -> int:
        if sid not in self._known:
            raise KeyError(f"unknown source id {sid!r}")
        if sid not in self.numbers:
            self.numbers[sid] = len(self.numbers) + 1
        return self.numbers[sid]

    def numbers_of(self, *ids: str) -> list[int]:
        return sorted({self.number(s) for s in split_ids(ids)})

    def refs(self, *ids: str) -> Markup:
        nums = self.numbers_of(*ids)
        if not nums:
            return Markup("")
        return Markup('<sup class="src">[{}]</sup>').format(",".join(map(str, nums)))

    def brackets(self, *ids: str) -> str:
        """'[1][3]' as plain text (for source lines under charts)."""
        return "".join(f"[{n}]" for n in self.numbers_of(*ids))

    def used(self) -> list[tuple[int, str]]:
        """(number, source id) of every cited source, by number."""
        return sorted((n, s) for s, n in self.numbers.items())
