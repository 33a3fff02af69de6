"""End to end: real kernels, real nbconvert, real Chromium, real files (marked e2e; run by `make test`).

One module-scoped build of a province and the national overview from the stub notebooks (fast,
and able to fail, sleep or carry markup on request); the tests then look at what a reader gets
(HTML, PDF text and fonts, index) and at the behaviour users rely on (no-op rebuild, failure
isolation, interruption, timeouts, concurrent builds). The project's own notebooks are checked on
the shared session build (conftest.site).
"""
from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e

from conftest import ROOT as REPO
from conftest import STUBS, nrmc_cli, pdffonts, pdftext, temp_files

HEADLINE = "安徽省共有国家区域医疗中心"


def nrmc(*args, timeout=300, env=None):
    return nrmc_cli(*args, timeout=timeout, env=env)


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    root = tmp_path_factory.mktemp("e2e")
    data = root / "data"
    shutil.copytree(REPO / "data", data)
    out = root / "reports"
    r = nrmc("build", "皖", "national", "--out", out, "--data", data, "--notebooks", STUBS)
    assert r.returncode == 0, r.stdout + r.stderr
    return {"root": root, "data": data, "out": out, "result": r}


def test_outputs_are_written_for_both_languages_side_by_side(built):
    out = built["out"]
    for lang, folder in (("zh", out), ("en", out / "en")):
        for slug in ("anhui", "national"):
            assert (folder / f"{slug}.html").stat().st_size > 1000
            pdf = (folder / f"{slug}.pdf").read_bytes()
            assert pdf.startswith(b"%PDF") and b"%%EOF" in pdf[-1024:]
            nb = json.loads((folder / "notebooks" / f"{slug}.ipynb").read_text(encoding="utf-8"))
            assert nb["metadata"]["papermill"]["parameters"]["lang"] == lang
            st = json.loads((out / ".state" / lang / f"{slug}.json").read_text(encoding="utf-8"))
            assert st["status"] == "ok" and st["lang"] == lang
        assert (folder / "index.html").exists()
    assert 'lang="en"' in (out / "en" / "anhui.html").read_text(encoding="utf-8")
    assert not temp_files(out)
    assert "4 built, 0 skipped as unchanged, 0 failed" in built["result"].stdout
    # CI: plain progress lines, no progress bar
    assert "[1/4]" in built["result"].stderr and "\r" not in built["result"].stderr


def test_executed_notebooks_carry_papermills_metadata(built):
    nb = json.loads((built["out"] / "notebooks" / "anhui.ipynb").read_text(encoding="utf-8"))
    pm = nb["metadata"]["papermill"]
    assert pm["start_time"] and pm["end_time"] and pm["duration"] > 0
    assert pm["exception"] in (None, False)
    assert pm["parameters"]["scope"] == "anhui" and pm["input_path"].endswith("province.ipynb")
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    assert all(c["metadata"]["papermill"]["status"] == "completed" for c in code)
    assert all(c["metadata"]["papermill"]["duration"] is not None for c in code)
    assert all(c["metadata"]["execution"].get("iopub.status.idle") for c in code)


def test_the_briefings_meta_is_kept_in_the_state(built):
    st = json.loads((built["out"] / ".state" / "zh" / "national.json").read_text(encoding="utf-8"))
    assert st["report"]["meta"] == {"as_of": "2025-11-30", "title": "全国国家区域医疗中心建设概览"}


def test_html_is_a_clean_briefing(built):
    page = (built["out"] / "anhui.html").read_text(encoding="utf-8")
    assert "<title>安徽省国家区域医疗中心简报</title>" in page
    assert HEADLINE in page and "2025-11-30" in page
    assert '<nav class="contents"' in page
    assert "data:image/svg+xml;base64," in page
    for absent in ("svg_figure(", "resolve_scope(", "must not reach a report", "Traceback", "In&nbsp;[",
                   "<script", "application/vnd.nrmc.meta"):
        assert absent not in page, absent
    assert "http://" not in page.replace("http://www.w3.org", "") and "https://" not in page


def test_pdf_has_real_chinese_text_embedded_fonts_and_page_numbers(built):
    text = pdftext(built["out"] / "anhui.pdf")
    assert HEADLINE in text.replace(" ", "")
    assert "12" in text and "74,040" in text  # a figure from the headline and the last table row
    assert re.search(r"第\s*1\s*页，共\s*\d+\s*页", text)
    fonts = pdffonts(built["out"] / "anhui.pdf")
    assert fonts
    for row in fonts:
        emb = row[-5]  # columns: name type encoding emb sub uni object ID
        assert emb == "yes", row
    national = pdftext(built["out"] / "national.pdf").replace(" ", "")
    assert "全国共有国家区域医疗中心" in national and "125" in national


def test_pdf_is_a4(built):
    info = subprocess.run(["pdfinfo", str(built["out"] / "anhui.pdf")], capture_output=True, text=True).stdout
    m = re.search(r"Page size:\s+([\d.]+) x ([\d.]+) pts", info)
    assert m and abs(float(m.group(1)) - 595.3) < 2 and abs(float(m.group(2)) - 841.9) < 2


def test_front_pages_link_every_briefing_in_both_languages(built):
    out = built["out"]
    zh = (out / "index.html").read_text(encoding="utf-8")
    en = (out / "en" / "index.html").read_text(encoding="utf-8")
    for href in ("anhui.html", "national.pdf", "en/anhui.pdf"):
        assert f'href="{href}"' in zh, href
    for href in ("anhui.html", "national.pdf", "../anhui.pdf"):
        assert f'href="{href}"' in en, href
    assert "北京市" in zh and "Beijing" in en


def test_second_build_is_a_quick_no_op(built):
    out = built["out"]
    before = {p: p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file()}
    r = nrmc("build", "anhui", "national", "--out", out, "--data", built["data"], "--notebooks", STUBS)
    assert r.returncode == 0, r.stderr
    assert "0 built, 4 skipped as unchanged, 0 failed" in r.stdout
    after = {p: p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file()}
    assert after == before


def test_standalone_nbconvert_exporters(built, tmp_path):
    src = built["out"] / "notebooks" / "anhui.ipynb"
    jupyter = Path(sys.executable).with_name("jupyter")
    for fmt, ext in (("nrmc_html", "html"), ("nrmc_pdf", "pdf")):
        r = subprocess.run([str(jupyter), "nbconvert", "--to", fmt, "--output-dir", str(tmp_path), str(src)],
                           capture_output=True, text=True, timeout=180)
        assert r.returncode == 0, r.stderr
        assert (tmp_path / f"anhui.{ext}").exists()
    assert HEADLINE in pdftext(tmp_path / "anhui.pdf").replace(" ", "")


def test_failure_is_isolated_and_keeps_the_previous_report(built):
    out, data = built["out"], built["data"]
    good_html = (out / "anhui.html").read_bytes()
    good_pdf = (out / "anhui.pdf").read_bytes()
    (data / "FAIL_anhui").write_text("x")
    (data / "SUBTITLE").write_text("<script>alert('x')</script> & co", encoding="utf-8")
    try:
        r = nrmc("build", "anhui", "beijing", "--out", out, "--data", data, "--notebooks", STUBS)
    finally:
        (data / "FAIL_anhui").unlink()
    assert r.returncode == 1
    assert "2 built, 0 skipped as unchanged, 2 failed" in r.stdout
    assert "anhui (安徽省, zh) FAILED cell 2: RuntimeError: stub failure requested for anhui" in r.stdout
    assert "anhui (Anhui, en) FAILED cell 2: RuntimeError: stub failure requested for anhui" in r.stdout
    assert (out / "anhui.html").read_bytes() == good_html
    assert (out / "anhui.pdf").read_bytes() == good_pdf
    assert (out / "notebooks" / "anhui.failed.ipynb").exists()
    # the other scope was built, and the subtitle from the data is text, not markup
    page = (out / "beijing.html").read_text(encoding="utf-8")
    assert re.search(r"&lt;script&gt;alert\((&#39;|&#x27;|')x(&#39;|&#x27;|')\)&lt;/script&gt; &amp; co", page)
    assert "<script>alert" not in page
    assert "<script>alert('x')</script>" in pdftext(out / "beijing.pdf")  # shown as text in the PDF
    index = (out / "index.html").read_text(encoding="utf-8")
    assert "stub failure requested for anhui" in index
    assert 'href="anhui.html"' in index  # the previous report is kept, linked as out of date
    st = json.loads((out / ".state" / "zh" / "anhui.json").read_text(encoding="utf-8"))
    assert st["status"] == "failed" and st["outputs"]["html"]["digest"] != st["digest"]
    failed = json.loads((out / "notebooks" / "anhui.failed.ipynb").read_text(encoding="utf-8"))
    assert failed["metadata"]["papermill"]["exception"] is True  # as papermill would record it


def test_interrupted_build_leaves_no_partial_files(built):
    out, data = built["out"], built["data"]
    good = {p.name: p.read_bytes() for p in out.glob("*.pdf")}
    proc = subprocess.Popen([sys.executable, "-m", "nrmc", "build", "anhui", "national", "--force", "--out", str(out),
                             "--data", str(data), "--notebooks", str(STUBS)],
                            cwd=REPO, env={**os.environ, "CI": "true"}, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    time.sleep(4)  # kernels are starting or running
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode != 0
    assert not temp_files(out)
    for name, data_ in good.items():
        now = (out / name).read_bytes()
        assert now == data_ or (now.startswith(b"%PDF") and b"%%EOF" in now[-1024:])
    # no kernel left behind by this build
    time.sleep(0.5)
    ps = subprocess.run(["ps", "-eo", "pid,ppid,args"], capture_output=True, text=True).stdout
    assert not [line for line in ps.splitlines() if "ipykernel_launcher" in line and f" {proc.pid} " in line]


def test_two_builds_at_once_do_not_corrupt_each_other(built):
    out, data = built["out"], built["data"]
    args = [sys.executable, "-m", "nrmc", "build", "anhui", "--force", "--format", "html,pdf", "--out", str(out),
            "--data", str(data), "--notebooks", str(STUBS)]
    env = {**os.environ, "CI": "true"}
    procs = [subprocess.Popen(args, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(2)]
    results = [p.communicate(timeout=300) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], results
    assert any("waiting" in err for _, err in results)
    pdf = (out / "anhui.pdf").read_bytes()
    assert pdf.startswith(b"%PDF") and b"%%EOF" in pdf[-1024:]
    assert HEADLINE in pdftext(out / "anhui.pdf").replace(" ", "")
    assert not temp_files(out)


def test_a_slow_cell_is_reported_and_a_hanging_one_stops_at_the_timeout(built):
    out, data = built["out"], built["data"]
    args = ("build", "anhui", "--force", "--lang", "zh", "--format", "html", "--out", out, "--data", data,
            "--notebooks", STUBS)
    (data / "SLEEP_anhui").write_text("4")
    try:
        r = nrmc(*args, "--timeout", "8")
        assert r.returncode == 0, r.stdout + r.stderr
        assert "anhui (安徽省, zh): cell 3 has been running for 2s (stops at --timeout 8s)" in r.stderr
        (data / "SLEEP_anhui").write_text("60")
        r = nrmc(*args, "--timeout", "3")
    finally:
        (data / "SLEEP_anhui").unlink()
    assert r.returncode == 1
    assert "anhui (安徽省, zh) FAILED cell 3: TimeoutError: cell ran longer than 3s (--timeout)" in r.stdout


KERNEL_NOISE = ("ipc path", "Parent appears to have exited", "Traceback", "zmq", "DeadKernelError")


@pytest.mark.parametrize("after", [3.0, 8.0])
def test_ctrl_c_is_reported_as_interrupted(built, after):
    """Ctrl-C in a terminal reaches the whole process group (nrmc, the browser's driver…)."""
    out, data = built["out"], built["data"]
    failed_before = {p: p.stat().st_mtime_ns for p in out.rglob("*.failed.ipynb")}
    (data / "SLEEP_anhui").write_text("60")  # still running when Ctrl-C comes, however fast the machine
    try:
        proc = subprocess.Popen([sys.executable, "-m", "nrmc", "build", "anhui", "national", "--force", "--out",
                                 str(out), "--data", str(data), "--notebooks", str(STUBS)], cwd=REPO,
                                start_new_session=True, env={**os.environ, "CI": "true"}, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)
        time.sleep(after)
        os.killpg(proc.pid, signal.SIGINT)
        stdout, stderr = proc.communicate(timeout=120)
    finally:
        (data / "SLEEP_anhui").unlink()
    time.sleep(1)  # anything a kernel would still print
    assert proc.returncode == 130, stdout + stderr
    assert "interrupted" in stderr
    assert "FAILED" not in stdout + stderr
    for noise in KERNEL_NOISE:
        assert noise not in stdout + stderr, noise
    assert {p: p.stat().st_mtime_ns for p in out.rglob("*.failed.ipynb")} == failed_before  # none written
    assert not temp_files(out)


def test_no_kernel_noise_after_the_summary(built):
    r = nrmc("build", "anhui", "--force", "--lang", "zh", "--format", "html", "--out", built["out"],
             "--data", built["data"], "--notebooks", STUBS)
    assert r.returncode == 0, r.stderr
    for noise in KERNEL_NOISE:
        assert noise not in r.stdout + r.stderr, noise


def test_real_notebooks_build(site):
    """The project's own notebooks (the shared session build), HTML and PDF in both languages."""
    out = site["out"]
    for folder, slug, name in ((out, "anhui", "安徽"), (out, "national", "全国"), (out / "en", "anhui", "Anhui")):
        page = (folder / f"{slug}.html").read_text(encoding="utf-8")
        assert name in page and "Traceback" not in page and "<script" not in page
        text = pdftext(folder / f"{slug}.pdf").replace(" ", "")
        assert name in text
        assert all(row[-5] == "yes" for row in pdffonts(folder / f"{slug}.pdf"))
    assert not temp_files(out)
