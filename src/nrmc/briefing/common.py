"""Pieces that the province and national briefings (and the front page) compute the same way."""
from __future__ import annotations

import pandas as pd

from nrmc import charts
from nrmc.labels import fmt_number


def tile_label(row: dict, lang: str) -> str:
    if lang == "zh":
        return row["name_zh_short"]
    return row["name_en"]


def map_tiles(status: pd.DataFrame, provinces: pd.DataFrame, lang: str) -> pd.DataFrame:
    """The national tile map's data: every province by what the sources support (count shaded,
    known-but-unnumbered hatched, exporter, not in the sources)."""
    prov = provinces.set_index("code")
    rows = []
    for r in status.to_dict("records"):
        p = prov.loc[r["code"]].to_dict()
        p["name_zh_short"] = r["name_zh_short"]
        kind = {"host": "count", "known": "known", "exporter": "exporter", "unknown": "unknown"}[r["role"]]
        if kind == "count":
            text = fmt_number(r["count"])
        elif kind == "known":
            text = "≥1"
        else:
            text = "—"
        rows.append({"code": r["code"], "label": tile_label(p, lang), "tile_row": r["tile_row"], "tile_col": r["tile_col"],
                     "value": r["count"] if kind == "count" else float("nan"), "value_text": text, "kind": kind})
    return pd.DataFrame(rows)


def map_legend(lang: str) -> tuple[str, dict[str, str]]:
    zh = lang == "zh"
    title = "国家区域医疗中心数（按来源）" if zh else "National regional medical centres (by the sources)"
    labels = {
        "count": "有数量：来源所称总数或具名数" if zh else "number: stated total or named centres",
        "known": "有中心，数量未知（如第五批首次获批）" if zh else "has centres, number unknown (e.g. first approved in batch 5)",
        "exporter": "来源未提及本地中心；其医院支援外省" if zh else "no local centre in the sources; its hospitals lead centres elsewhere",
        "unknown": "来源未提及（不等于没有）" if zh else "not in the sources (not the same as none)",
    }
    return title, labels


def national_map(status: pd.DataFrame, provinces: pd.DataFrame, lang: str, highlight: str | None = None,
                 links: dict[str, str] | None = None):
    title, labels = map_legend(lang)
    return charts.tile_map(map_tiles(status, provinces, lang), lang=lang, legend_title=title, legend_labels=labels,
                           highlight=highlight, links=links)
