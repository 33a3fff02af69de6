"""The real notebooks, executed by papermill through `nrmc build` (the shared session build in
conftest.site), print the dataset's figures.

Anhui (stated 9, named 7), Guizhou (flagged figures), Hubei (no centre, provincial-centre
context), Tibet (no centre at all) and the national overview. Figures are compared with the
package's own functions on the same data, never with numbers typed into the test.
"""
from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

from conftest import E2E_SCOPES, RAW_MISSING, ROOT, html_text
from nrmc import coverage
from nrmc.render import META_MIME

pytestmark = pytest.mark.e2e
SCOPES = E2E_SCOPES


@pytest.fixture(scope="module")
def reports(site):
    """The shared session build (conftest.site)."""
    return site["out"]


def executed(out: Path, slug: str) -> nbformat.NotebookNode:
    nbs = [out / "notebooks" / f"{slug}.ipynb"]
    assert nbs, f"executed notebook for {slug} not found under {out}"
    return nbformat.read(nbs[0], as_version=4)


def meta_of(nb) -> dict:
    for cell in nb.cells:
        for o in cell.get("outputs", []):
            if META_MIME in o.get("data", {}):
                return o["data"][META_MIME]
    raise AssertionError("no title metadata output")


@pytest.mark.parametrize("slug", SCOPES)
def test_no_error_and_no_raw_missing_values(reports, slug):
    nb = executed(reports, slug)
    assert not [o for c in nb.cells for o in c.get("outputs", []) if o.get("output_type") == "error"]
    text = html_text(reports / f"{slug}.html")
    assert not RAW_MISSING.findall(text), RAW_MISSING.findall(text)[:5]
    assert "import " not in text and "ProvinceBriefing" not in text  # no code in the report


def test_anhui_briefing_figures(reports, ds):
    st = coverage.province_status(ds).set_index("code").loc["340000"]
    nb = executed(reports, "anhui")
    meta = meta_of(nb)
    assert meta["title"] == "安徽省国家区域医疗中心简报" and meta["centres_text"] == f"{int(st['count'])}（具名{st['named']}）"
    text = html_text(reports / "anhui.html")
    assert f"据来源，安徽共有国家区域医疗中心{int(st['count'])}个" in text and f"其中{st['named']}个有名称" in text
    assert f"每千万人{st['per_10m']:.2f}个" in text and f"第{int(st['rank'])}位" in text
    for name in ds.centers[ds.centers["province_code"] == "340000"]["name_zh"]:
        assert name in text


def test_guizhou_briefing_figures(reports, ds):
    text = html_text(reports / "guizhou.html")
    assert "4,200张" in text and "29,063万人次" in text and "疑似单位有误" in text
    assert "贵州5个中心合计" in text


def test_hubei_briefing_is_told_what_is_known(reports, ds):
    text = html_text(reports / "hubei.html")
    assert "湖北于第5批" in text and "首次获批" in text and "≥1" in text
    assert "尚无" not in text and "既无" not in text
    assert "十堰市太和医院" in text and "另一项目" in text  # the provincial programme, in its own box


def test_tibet_briefing_is_still_useful(reports, ds):
    text = html_text(reports / "tibet.html")
    assert "来源未提及西藏的国家区域医疗中心" in text and "不等于没有" in text and "西部地区" in text
    west = coverage.province_status(ds)
    west = west[(west["region"] == "西部") & (west["code"] != "540000")]
    assert f"具名{int(west['named'].sum())}个" in text


def test_national_briefing_figures(reports, ds):
    n = coverage.national_count(ds)
    text = html_text(reports / "national.html")
    assert f"官方公布的国家区域医疗中心共{n.official_total}个" in text
    assert f"本简报的来源具名其中{n.named}个" in text and f"{n.provinces_known}/31" in text
    m = coverage.origin_host_matrix(ds)
    assert f"{m.sum(axis=1).idxmax()}的医院是{m.sum(axis=1).max()}个具名中心的输出医院" in text
    assert "省级区域医疗中心" in text and "十堰市太和医院" in text
