"""A briefing's figures as downloads: the annex tables as CSV (UTF-8 with BOM, so Excel reads the
Chinese) and as an Excel workbook, as statistical offices offer the data under their charts.

`annex_tables(ds, scope, lang)` returns the tables of a scope (a province in any form, or
'national'): every figure of the scope with its subject, measure, value as published (number, unit,
qualifier), as-of date at the source's precision, period, flag and reason, source (title, publisher,
kind, address) and quote; the scope's centres with their stages; the sources cited; and a short
'about' table (scope, date, licence). `write_downloads()` writes them. The figures are those of the
briefing's annex (`nrmc.performance.figures`): a province's own, its centres' and its provincial
centres'; the nation's for `national`.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from nrmc import dates, lifecycle, performance
from nrmc.coverage import province_centers
from nrmc.data import Dataset, records
from nrmc.labels import check_lang, fmt_breakdown, fmt_period, pick
from nrmc.regions import resolve_scope

__all__ = ["annex_tables", "write_downloads", "write_csv", "write_xlsx", "Downloads", "TABLE_NAMES"]

LICENCE = "CC BY 4.0 (https://creativecommons.org/licenses/by/4.0/)"
# table key → (中文, English): the sheet names and the CSV files' suffix (the key)
TABLE_NAMES = {"figures": ("数据", "Figures"), "centres": ("中心", "Centres"), "sources": ("来源", "Sources"),
               "about": ("说明", "About")}
SOURCE_KINDS = {"seed": ("种子文章", "seed article"), "reference": ("参考资料", "reference"),
                "official": ("官方发布", "official"), "state_media": ("中央媒体", "state media"),
                "media": ("媒体", "media"), "copy": ("转载", "copy on another host")}
BASES = {"stated": ("原文注明", "stated"), "publication": ("按来源发布日期", "source's publication date"),
         "about": ("约（推断）", "about (inferred)"), "not_after": ("不晚于", "not after"),
         "not_before": ("不早于", "not before"), "expected": ("预计", "expected")}
KINDS = {"centre": ("中心", "centre"), "province": ("省份（各中心合计）", "province (its centres combined)"),
         "national": ("全国", "national"), "provincial_centre": ("省级区域医疗中心", "provincial centre")}
QUALIFIERS = {"more_than": ("超过", "over"), "about": ("约", "about"), "at_least": ("至少", "at least"),
              "less_than": ("不足", "under"), "nearly": ("近", "nearly")}
FLAGS = {"suspect_unit": ("疑似单位有误", "suspect unit"), "inconsistent": ("与其他数据不一致", "inconsistent"),
         "ambiguous": ("口径不明", "unclear scope"), "doubtful_name": ("名称存疑", "doubtful name")}

# (column key, 中文 header, English header) of each table, in order
FIGURE_COLUMNS = [
    ("subject_id", "对象编号", "Subject id"), ("subject", "对象", "Subject"), ("subject_kind", "对象类型", "Subject kind"),
    ("metric", "指标代码", "Metric code"), ("measure", "指标", "Measure"), ("value", "数值（原文）", "Value (as published)"),
    ("unit", "单位（原文）", "Unit (as published)"), ("qualifier", "限定", "Qualifier"),
    ("value_text", "数值（文字）", "Value (in words)"), ("value_base", "数值（基本单位）", "Value (base unit)"),
    ("base_unit", "基本单位", "Base unit"), ("as_of", "截至（原文精度）", "As of (source's precision)"),
    ("as_of_basis", "日期依据", "Date basis"), ("period", "口径", "Period"), ("flag", "标记", "Flag"),
    ("flag_reason", "标记理由", "Flag reason"), ("source_id", "来源编号", "Source id"),
    ("source_title", "来源标题", "Source title"), ("source_publisher", "发布者", "Publisher"),
    ("source_date", "来源日期", "Source date"), ("source_kind", "来源类型", "Source kind"),
    ("source_url", "来源网址", "Source address"), ("quote", "原文", "Quote"),
]
CENTRE_COLUMNS = [
    ("center_id", "中心编号", "Centre id"), ("name_zh", "名称", "Name (Chinese)"), ("name_en", "英文名称", "Name (English)"),
    ("province", "省份", "Province"), ("city", "城市", "City"), ("specialty", "专科", "Specialty"),
    ("output_hospital", "输出医院", "Output hospital"), ("host_hospital", "依托医院", "Host hospital"),
    ("status", "状态", "Status"), ("stages", "阶段（日期）", "Stages (dates)"), ("first_reported", "最早见于", "First reported"),
    ("flag", "标记", "Flag"), ("flag_reason", "标记理由", "Flag reason"), ("source_ids", "来源编号", "Source ids"),
]
SOURCE_COLUMNS = [
    ("source_id", "来源编号", "Source id"), ("title", "标题", "Title"), ("publisher", "发布者", "Publisher"),
    ("date", "日期", "Date"), ("date_basis", "日期依据", "Date basis"), ("kind", "类型", "Kind"),
    ("url", "网址", "Address"), ("read_on", "读取日期", "Read on"),
]
ABOUT_COLUMNS = [("item", "项目", "Item"), ("value", "内容", "Value")]
# a text cell a spreadsheet would run as a formula (CSV injection): prefixed with ' in the CSV files
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
MAX_WIDTH, MIN_WIDTH = 60, 8


@dataclass(frozen=True)
class Downloads:
    """The files written for one briefing: one CSV per table and the workbook."""

    csv: dict[str, Path]
    xlsx: Path

    def paths(self) -> list[Path]:
        return [*self.csv.values(), self.xlsx]


def _t(pair: tuple[str, str], lang: str) -> str:
    return pick(pair, lang)


def _frame(rows: list[dict], columns: list[tuple[str, str, str]], lang: str) -> pd.DataFrame:
    """Rows keyed by column key → a frame with the headers of `lang`, in the columns' order."""
    df = pd.DataFrame(rows, columns=[c[0] for c in columns])
    return df.rename(columns={k: (zh if lang == "zh" else en) for k, zh, en in columns})


def _figure_rows(ds: Dataset, figs: pd.DataFrame, lang: str) -> list[dict]:
    defs = ds.metric_definitions.set_index("code")
    src = ds.sources.set_index("source_id")
    sp = {r["code"]: (r["name_zh"], r["name_en"]) for r in ds.specialties.pipe(records)}
    cities = dict(zip(ds.cities["name_zh"], ds.cities["name_en"]))
    zh = lang == "zh"
    rows = []
    for r in figs.pipe(records):
        s = src.loc[r["source_id"]]
        label = r["label_zh" if zh else "label_en"]
        if r["breakdown"]:
            part = fmt_breakdown(r["breakdown"], lang, sp, cities)
            label += f"（{part}）" if zh else f" ({part})"
        rows.append({
            "subject_id": r["subject_id"], "subject": r["name_zh" if zh else "name_en"],
            "subject_kind": _t(KINDS[r["kind"]], lang), "metric": r["metric"], "measure": label,
            "value": float(r["value"]), "unit": r["unit"],
            "qualifier": _t(QUALIFIERS[r["qualifier"]], lang) if r["qualifier"] else "",
            "value_text": r["display_zh" if zh else "display_en"], "value_base": float(r["value_base"]),
            "base_unit": r["base_unit"] if zh else (defs.loc[r["metric"], "unit_en"] or r["base_unit"]),
            "as_of": r["as_of"], "as_of_basis": _t(BASES[r["date_basis"]], lang) if r["date_basis"] in BASES else r["date_basis"],
            "period": fmt_period(r["period"], lang), "flag": _t(FLAGS[r["flag"]], lang) if r["flag"] else "",
            "flag_reason": r["flag_reason_zh" if zh else "flag_reason_en"], "source_id": r["source_id"],
            "source_title": s["title"] if zh or not s["title_en"] else s["title_en"],
            "source_publisher": s["publisher"] if zh or not s["publisher_en"] else s["publisher_en"],
            "source_date": s["date"], "source_kind": _t(SOURCE_KINDS[s["kind"]], lang), "source_url": s["url"],
            "quote": r["quote"],
        })
    return rows


def _centres(ds: Dataset, code: str | None) -> pd.DataFrame:
    if code:
        return province_centers(ds, code)
    c = ds.centers.sort_values(["province_code", "center_id"])
    return c.reset_index(drop=True)


def _centre_rows(ds: Dataset, centres: pd.DataFrame, lang: str) -> list[dict]:
    zh = lang == "zh"
    prov = ds.provinces.set_index("code")
    sp = ds.specialties.set_index("code")
    hosp = ds.hospitals.set_index("name_zh")
    cities = dict(zip(ds.cities["name_zh"], ds.cities["name_en"]))
    stages = ds.stages.assign(_k=ds.stages["date"].map(dates.sort_key)).sort_values(["center_id", "_k"])

    def hospital(name: str) -> str:
        if zh or not name or name not in hosp.index:
            return name
        return hosp.loc[name, "name_en"] or name

    rows = []
    for r in centres.pipe(records):
        own = stages[stages["center_id"] == r["center_id"]]
        events = "; ".join(f"{(s['label_zh'] if zh else s['label_en']) or lifecycle.label(s['stage'], lang)} "
                           f"{dates.qualified(s['date'], s['date_basis'], lang)} [{s['source_id']}]"
                           for s in own.pipe(records))
        host = r["host_hospital_zh_corrected"] or r["host_hospital_zh"]
        rows.append({
            "center_id": r["center_id"], "name_zh": r["name_zh_corrected"] or r["name_zh"], "name_en": r["name_en"],
            "province": prov.loc[r["province_code"], "name_zh" if zh else "name_en"],
            "city": r["city_zh"] if zh else cities.get(r["city_zh"], r["city_zh"]),
            "specialty": sp.loc[r["specialty"], "name_zh" if zh else "name_en"],
            "output_hospital": hospital(r["output_hospital_zh"]), "host_hospital": hospital(host),
            "status": (("已获批", "approved") if r["status"] == "approved" else ("规划中（未获批）", "planned (not approved)"))[0 if zh else 1],
            "stages": events, "first_reported": r["first_reported"],
            "flag": _t(FLAGS[r["flag"]], lang) if r["flag"] else "",
            "flag_reason": r["flag_reason_zh" if zh else "flag_reason_en"], "source_ids": r["source_ids"],
        })
    return rows


def _source_rows(ds: Dataset, ids: list[str], lang: str) -> list[dict]:
    zh = lang == "zh"
    s = ds.sources.set_index("source_id")
    rows = []
    for sid in ids:
        r = s.loc[sid]
        rows.append({"source_id": sid, "title": r["title"] if zh or not r["title_en"] else r["title_en"],
                     "publisher": r["publisher"] if zh or not r["publisher_en"] else r["publisher_en"],
                     "date": r["date"], "date_basis": _t(BASES[r["date_basis"]], lang) if r["date_basis"] in BASES else "",
                     "kind": _t(SOURCE_KINDS[r["kind"]], lang), "url": r["url"], "read_on": r["read_on"]})
    return rows


def _cited(ds: Dataset, figs: pd.DataFrame, centres: pd.DataFrame) -> list[str]:
    """The sources the tables cite, in sources.csv order."""
    used = set(figs["source_id"]) | {i for ids in centres["source_ids"] for i in ids.split(";") if i}
    used |= set(ds.stages.loc[ds.stages["center_id"].isin(centres["center_id"]), "source_id"])
    return [sid for sid in ds.sources["source_id"] if sid in used]


def annex_tables(ds: Dataset, scope: object, lang: str = "zh", as_of=None) -> dict[str, pd.DataFrame]:
    """The annex tables of `scope`'s briefing (a province in any form, or 'national'), in `lang`:
    'figures', 'centres', 'sources', 'about'. Headers are in `lang`; ids, values, units and quotes
    are as published. `as_of`: only what was known by then (as `nrmc build --as-of`)."""
    check_lang(lang)
    sc = resolve_scope(scope, ds.data_dir)
    ds = ds.as_of(as_of)
    code = sc.code or None
    figs = performance.figures(ds, code)
    centres = _centres(ds, code)
    zh = lang == "zh"
    tables = {
        "figures": _frame(_figure_rows(ds, figs, lang), FIGURE_COLUMNS, lang),
        "centres": _frame(_centre_rows(ds, centres, lang), CENTRE_COLUMNS, lang),
        "sources": _frame(_source_rows(ds, _cited(ds, figs, centres), lang), SOURCE_COLUMNS, lang),
    }
    name = sc.name_zh if zh else sc.name_en
    about = [
        (("范围", "Scope"), name),
        (("数据截至", "Data known by"), ds.as_of_date.date().isoformat() if ds.as_of_date is not None else
         ds.latest_date.date().isoformat()),
        (("数据条数", "Figures"), str(len(figs))),
        (("说明", "Note"), pick(("数值、单位和原文均按来源原样保留；存疑数据已标记并说明理由；空白表示来源未提供，不表示0。",
                                 "Values, units and quotes are as the sources publish them; doubtful figures are flagged "
                                 "with their reasons; an empty cell means the sources do not say, never 0."), lang)),
        (("许可", "Licence"), LICENCE),
    ]
    tables["about"] = _frame([{"item": _t(k, lang), "value": v} for k, v in about], ABOUT_COLUMNS, lang)
    return tables


def _csv_safe(value):
    """A text cell that a spreadsheet would run as a formula, made plain text with a leading '."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def write_csv(tables: dict[str, pd.DataFrame], out_dir: Path, stem: str) -> dict[str, Path]:
    """One `<stem>-<table>.csv` per table: UTF-8 with a byte-order mark (Excel then reads the
    Chinese), comma separated, a header row."""
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {}
    for key, df in tables.items():
        path = out_dir / f"{stem}-{key}.csv"
        safe = df.apply(lambda col: col if pd.api.types.is_numeric_dtype(col) else col.map(_csv_safe))
        # numbers as published: 3.81, 1413300 (never 1.0 or 1413300.0000000002)
        safe.to_csv(path, index=False, encoding="utf-8-sig", lineterminator="\n", float_format="%.15g")
        paths[key] = path
    return paths


def _width(value) -> int:
    """Columns a cell takes on screen: a Chinese character counts two."""
    text = "" if value is None or (isinstance(value, float) and pd.isna(value)) else str(value)
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def write_xlsx(tables: dict[str, pd.DataFrame], path: Path, lang: str = "zh") -> Path:
    """An Excel workbook with one sheet per table: the header row bold and frozen, each column
    as wide as its content (within bounds), long text wrapped; text is never read as a formula."""
    from openpyxl import Workbook

    wb = Workbook()
    wb.remove(wb.active)
    for key, df in tables.items():
        _fill_sheet(wb.create_sheet(_t(TABLE_NAMES[key], lang)), df)
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path


def _fill_sheet(ws, df: pd.DataFrame) -> None:
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    ws.append(list(df.columns))
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for row in df.itertuples(index=False):
        ws.append([None if (isinstance(v, float) and pd.isna(v)) or v == "" else v for v in row])
    for i, header in enumerate(df.columns, start=1):
        cells = [c for (c,) in ws.iter_rows(min_row=2, min_col=i, max_col=i)]
        for cell in cells:
            if isinstance(cell.value, str):
                cell.data_type = "s"  # '=1+1' in a quote stays text
        widest = max([_width(header)] + [_width(v) for v in df.iloc[:, i - 1]])
        ws.column_dimensions[get_column_letter(i)].width = max(MIN_WIDTH, min(MAX_WIDTH, widest + 2))
        if widest > MAX_WIDTH:
            for cell in cells:
                cell.alignment = Alignment(wrap_text=True, vertical="top")
    ws.freeze_panes = "A2"


def file_stem(scope: object, ds: Dataset) -> str:
    """'anhui-data', 'national-data': the files' common name (the briefing's slug)."""
    return re.sub(r"[^a-z0-9-]", "", resolve_scope(scope, ds.data_dir).slug) + "-data"


def write_downloads(ds: Dataset, scope: object, lang: str, out_dir: Path, as_of=None) -> Downloads:
    """Write `scope`'s annex tables into `out_dir`: `<slug>-data-<table>.csv` for each table and
    `<slug>-data.xlsx`. Returns the paths."""
    tables = annex_tables(ds, scope, lang, as_of)
    stem = file_stem(scope, ds)
    out_dir = Path(out_dir)
    csvs = write_csv(tables, out_dir, stem)
    xlsx = write_xlsx(tables, out_dir / f"{stem}.xlsx", lang)
    return Downloads(csvs, xlsx)


def download_bytes(ds: Dataset, scope: object, lang: str, as_of=None) -> dict[str, bytes]:
    """The briefing's downloads as the build writes them beside its HTML: 'xlsx' (every annex
    table, a sheet each) and 'csv' (the figures, one row each with source, date and quote)."""
    import tempfile

    tables = annex_tables(ds, scope, lang, as_of)
    with tempfile.TemporaryDirectory() as tmp:
        xlsx = write_xlsx(tables, Path(tmp) / "data.xlsx", lang).read_bytes()
        csvs = write_csv({"figures": tables["figures"]}, Path(tmp), "data")
        return {"xlsx": xlsx, "csv": Path(csvs["figures"]).read_bytes()}
