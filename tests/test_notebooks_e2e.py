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
    t = coverage.centers_by_province(ds).set_index("code").loc["340000"]
    nb = executed(reports, "anhui")
    assert meta_of(nb)["title"] == "安徽省国家区域医疗中心简报"
    text = html_text(reports / "anhui.html")
    assert f"安徽有{t['centers']}个已具名的国家区域医疗中心" in text or f"安徽省有{t['centers']}个已具名" in text
    assert f"每千万常住人口{t['per_10m']:.2f}个" in text and f"居第{t['rank']}位" in text
    assert f"来源称共{int(t['stated'])}个，具名{t['centers']}个" in text
    for name in ds.centers[ds.centers["province_code"] == "340000"]["name_zh"]:
        assert name in text


def test_guizhou_briefing_figures(reports, ds):
    text = html_text(reports / "guizhou.html")
    assert "4,200张" in text and "29,063万人次" in text and "疑似单位有误" in text
    n = int(((ds.metrics["subject_id"] == "520000") | ds.metrics["subject_id"].str.startswith("GZ-")).sum())
    assert f"以下{n}项数据" in text


def test_hubei_briefing_without_national_centre(reports, ds):
    text = html_text(reports / "hubei.html")
    assert "湖北省既无本地中心" in text or "尚无国家区域医疗中心" in text
    assert "十堰市太和医院" in text  # the provincial programme, for context


def test_tibet_briefing_is_still_useful(reports, ds):
    text = html_text(reports / "tibet.html")
    assert "尚无国家区域医疗中心" in text and "西部地区" in text
    west = coverage.region_peers(ds, "西藏")
    top = west.iloc[0]
    assert f"{top['name_zh_short']}{top['centers']}个" in text


def test_national_briefing_figures(reports, ds):
    comp = coverage.completeness(ds)
    text = html_text(reports / "national.html")
    assert f"来源具名{comp.named}个已获批的国家区域医疗中心" in text
    assert f"官方公布的总数为{comp.official_total}个" in text
    m = coverage.origin_host_matrix(ds)
    assert f"{m.sum(axis=1).idxmax()}的医院输出了{m.sum(axis=1).max()}个中心" in text
    assert "省级区域医疗中心" in text and "十堰市太和医院" in text


def test_a_misspelt_province_in_a_papermill_run_says_did_you_mean_first(tmp_path):
    """papermill notebooks/province.ipynb out.ipynb -p province 贵洲: the message, not a long traceback."""
    import papermill as pm
    from papermill.exceptions import PapermillExecutionError

    with pytest.raises(PapermillExecutionError) as info:
        pm.execute_notebook(str(ROOT / "notebooks" / "province.ipynb"), str(tmp_path / "out.ipynb"),
                            parameters={"province": "贵洲"}, progress_bar=False, kernel_name="python3")
    err = info.value
    assert err.ename == "UnknownProvinceError"
    assert err.traceback[0].startswith("UnknownProvinceError: Unknown province: '贵洲'.")
    assert err.traceback[1] == "Did you mean 贵州 (贵州省, guizhou)?"
    assert not [line for line in err.traceback if "Traceback" in line or 'File "' in line]
    shown = str(err)
    assert shown.index("Did you mean 贵州") < 200
