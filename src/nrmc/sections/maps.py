"""The tile map of all 31 provinces by what the sources support, drawn the same way in every
briefing and on the front page: a number shaded (a stated total or the named centres), hatched
when a source says a province has centres but not how many, outlined for an exporter, blank when
the sources do not mention it (which is not the same as none)."""
from __future__ import annotations

import pandas as pd

from nrmc import charts, i18n
from nrmc.data import records
from nrmc.labels import fmt_number

__all__ = ["map_tiles", "national_map"]

KINDS = {"host": "count", "known": "known", "exporter": "exporter", "unknown": "unknown"}


def map_tiles(status: pd.DataFrame, lang: str) -> pd.DataFrame:
    """One row per province: its label in `lang`, tile position, value (the count) and kind."""
    rows = []
    for r in status.pipe(records):
        kind = KINDS[r["role"]]
        text = fmt_number(r["count"]) if kind == "count" else ("≥1" if kind == "known" else "—")
        rows.append({"code": r["code"], "label": r["name_zh_short"] if lang == "zh" else r["name_en"],
                     # the ISO 3166-2 code ("HL"): shown instead of a name that would break inside a word
                     "short": r["iso"].removeprefix("CN-") if isinstance(r.get("iso"), str) else "",
                     "tile_row": r["tile_row"], "tile_col": r["tile_col"],
                     "value": r["count"] if kind == "count" else float("nan"), "value_text": text, "kind": kind})
    return pd.DataFrame(rows)


def national_map(status: pd.DataFrame, lang: str, highlight: str | None = None, links: dict[str, str] | None = None):
    L = i18n.labels(lang)["map"]
    legend = {k: L[k] for k in ("count", "known", "exporter", "unknown")}
    return charts.tile_map(map_tiles(status, lang), lang=lang, legend_title=L["title"], legend_labels=legend,
                           highlight=highlight, links=links)
