"""A briefing's figures as downloads (issue 22, point 7): the annex tables as CSV (UTF-8 with BOM)
and as an Excel workbook, each figure with its source, date and quote, checked against data/."""
from __future__ import annotations

import csv
import io
import shutil

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

import nrmc
from conftest import ROOT
from nrmc.cli import main as cli_main
from nrmc.downloads import annex_tables, write_downloads

DATA = ROOT / "data"


def rows_of(file: str) -> list[dict]:
    with open(DATA / file, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def expected_figures(province_code: str | None) -> list[dict]:
    """metrics.csv rows of a province's briefing, read with the csv module (not through nrmc): the
    province's own, its centres' and its provincial centres'; the nation's for None."""
    if province_code is None:
        return [r for r in rows_of("metrics.csv") if r["subject_id"] == "national"]
    subjects = {province_code}
    subjects |= {r["center_id"] for r in rows_of("centers.csv") if r["province_code"] == province_code}
    subjects |= {r["prc_id"] for r in rows_of("provincial_centers.csv") if r["province_code"] == province_code}
    return [r for r in rows_of("metrics.csv") if r["subject_id"] in subjects]


def sheet_rows(ws) -> list[dict]:
    values = list(ws.iter_rows(values_only=True))
    return [dict(zip(values[0], r)) for r in values[1:]]


@pytest.fixture(scope="module")
def anhui(ds, tmp_path_factory):
    out = tmp_path_factory.mktemp("anhui")
    written = write_downloads(ds, "安徽", "zh", out)
    return written, load_workbook(written.xlsx)


def key(subject, metric, as_of, source, quote, value) -> tuple:
    return subject, metric, as_of, source, quote, float(value)


def test_excel_workbook_has_every_figure_with_its_date_and_quote(anhui):
    written, wb = anhui
    assert wb.sheetnames == ["数据", "中心", "来源", "说明"]
    got = sorted(key(r["对象编号"], r["指标代码"], r["截至（原文精度）"], r["来源编号"], r["原文"], r["数值（原文）"])
                 for r in sheet_rows(wb["数据"]))
    want = sorted(key(r["subject_id"], r["metric"], r["as_of"], r["source_id"], r["quote"], r["value"])
                  for r in expected_figures("340000"))
    assert got == want and len(got) > 50


def test_excel_cells_keep_their_types_and_the_sheets_are_laid_out(anhui):
    _, wb = anhui
    ws = wb["数据"]
    header = [c.value for c in ws[1]]
    value_col, as_of_col = header.index("数值（原文）") + 1, header.index("截至（原文精度）") + 1
    for row in ws.iter_rows(min_row=2):
        assert row[value_col - 1].data_type == "n"  # a number a spreadsheet can add up
        assert row[as_of_col - 1].data_type == "s"  # '2024-08' stays a month, never a made-up day
    for sheet in wb.worksheets:
        assert sheet.freeze_panes == "A2" and all(c.font.bold for c in sheet[1])
        widths = [sheet.column_dimensions[c.column_letter].width for c in sheet[1]]
        assert all(8 <= w <= 60 for w in widths), (sheet.title, widths)
    quote_w = ws.column_dimensions[ws.cell(1, header.index("原文") + 1).column_letter].width
    assert quote_w > ws.column_dimensions["A"].width  # long quotes get a wide column


def test_csv_files_have_a_bom_and_the_same_figures(anhui):
    written, wb = anhui
    raw = written.csv["figures"].read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # Excel reads UTF-8 Chinese only with the BOM
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert [(r["对象编号"], r["原文"]) for r in rows] == [(r["对象编号"], r["原文"]) for r in sheet_rows(wb["数据"])]
    # the value as published, character for character: 3.5, 141.33, 240.37 (never 3.5000000001 or 814.0)
    assert sorted((r["对象编号"], r["指标代码"], r["原文"], r["数值（原文）"], r["单位（原文）"]) for r in rows) == \
        sorted((r["subject_id"], r["metric"], r["quote"], r["value"], r["unit"]) for r in expected_figures("340000"))
    assert set(written.csv) == {"figures", "centres", "sources", "about"}


def test_centres_and_sources_sheets(anhui):
    _, wb = anhui
    centres = sheet_rows(wb["中心"])
    assert sorted(r["中心编号"] for r in centres) == sorted(
        r["center_id"] for r in rows_of("centers.csv") if r["province_code"] == "340000")
    ah01 = next(r for r in centres if r["中心编号"] == "AH-01")
    assert "开诊 2023年6月26日 [S01]" in ah01["阶段（日期）"]
    sources = {r["来源编号"]: r for r in sheet_rows(wb["来源"])}
    assert sources["S03"]["网址"] == "https://news.syxbgm.com/15772.html" and sources["S03"]["类型"] == "种子文章"


def test_national_download_and_english_headers(ds, tmp_path):
    t = annex_tables(ds, "national", "en")
    figs = t["figures"]
    assert sorted(figs["Quote"]) == sorted(r["quote"] for r in expected_figures(None))
    assert "Source kind" in figs.columns and set(figs["Subject"]) == {"China"}
    assert len(t["centres"]) == len(rows_of("centers.csv"))
    written = write_downloads(ds, "national", "en", tmp_path)
    assert load_workbook(written.xlsx).sheetnames == ["Figures", "Centres", "Sources", "About"]


def test_as_of_keeps_only_what_was_known(ds):
    figs = annex_tables(ds, "anhui", "en", as_of="2025-06")["figures"]
    assert len(figs) > 0 and (figs["As of (source's precision)"].str[:7] <= "2025-06").all()
    assert len(figs) < len(annex_tables(ds, "anhui", "en")["figures"])


def test_text_that_looks_like_a_formula_stays_text(tmp_path):
    d = tmp_path / "data"
    shutil.copytree(DATA, d)
    text = (d / "metrics.csv").read_text(encoding="utf-8").replace("累计开展三新项目205项", "=HYPERLINK(205项)")
    (d / "metrics.csv").write_text(text, encoding="utf-8")
    written = write_downloads(nrmc.load(d), "anhui", "zh", tmp_path / "out")
    ws = load_workbook(written.xlsx)["数据"]
    cells = [c for row in ws.iter_rows(min_row=2) for c in row if c.value == "=HYPERLINK(205项)"]
    assert len(cells) == 1 and cells[0].data_type == "s"
    assert "'=HYPERLINK(205项)" in written.csv["figures"].read_text(encoding="utf-8-sig")


def test_export_data_command(tmp_path):
    r = CliRunner().invoke(cli_main, ["export-data", "皖", "--out", str(tmp_path), "--data", str(DATA)])
    assert r.exit_code == 0, r.output
    assert (tmp_path / "anhui-data.xlsx").is_file() and (tmp_path / "anhui-data-figures.csv").is_file()
    r = CliRunner().invoke(cli_main, ["export-data", "atlantis", "--out", str(tmp_path)])
    assert r.exit_code == 2 and "atlantis" in r.output
