"""`nrmc preview`: serving with a reload script injected only into served pages, watching, rebuilding
on a data change and reloading the open page in a real browser, bad data shown on the page while
the last good briefing stays on disk, and a clean stop on Ctrl-C or SIGTERM.

The first tests need no kernel or browser; the ones marked e2e run the real command and drive
Chromium (Playwright with the system's /usr/bin/chromium).
"""
from __future__ import annotations

import asyncio
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from conftest import ROOT

from nrmc import preview as pv


# ---------------------------------------------------------------------------------------------
# Without kernel or browser
# ---------------------------------------------------------------------------------------------

def test_the_reload_script_and_notices_go_into_the_served_page_only():
    page = '<!DOCTYPE html><html><head></head><body class="nrmc-briefing"><p>x</p></body></html>'
    notice = pv.notice_html("Problems <here>", ["metrics.csv, line 3, column 'value': '<b>9x</b>' is not a number"])
    served = pv.inject(page, "abc", notice)
    assert served.index("<body") < served.index('id="nrmc-preview-notice"') < served.index("<p>x</p>")
    assert served.index("<p>x</p>") < served.index("EventSource") < served.index("</body>")
    assert "&lt;b&gt;9x&lt;/b&gt;" in served and "<b>9x</b>" not in served and "Problems &lt;here&gt;" in served
    assert pv.inject("<p>no body</p>", "abc").startswith("<p>no body</p><script data-nrmc-preview nonce=")


def test_the_served_page_allows_only_the_preview_script():
    """A briefing allows no script; the served copy allows the reload script by a fresh nonce (and
    its connection back), so a script that came from the data still cannot run."""
    import re

    page = ('<html><head><meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
            'script-src \'none\'; style-src \'unsafe-inline\'"></head><body><p>x</p></body></html>')
    a, b = pv.inject(page, "abc"), pv.inject(page, "abc")
    nonce = re.search(r'<script data-nrmc-preview nonce="([^"]+)">', a).group(1)
    assert f"script-src 'nonce-{nonce}'; connect-src 'self'" in a and "script-src 'none'" not in a
    assert nonce not in b  # drawn for each response


def test_changes_are_classified_by_where_they_happen(tmp_path):
    data = tmp_path / "data"
    shutil.copytree(ROOT / "data", data)
    p = pv.Preview(["anhui"], tmp_path / "reports", data, ROOT / "notebooks", langs=("zh",))
    assert p.classify([str(data / "metrics.csv")]) == "refresh"
    assert p.classify([str(ROOT / "notebooks" / "province.ipynb")]) == "refresh"
    assert p.classify([str(pv.PACKAGE_DIR / "charts" / "tilemap.py"), str(data / "metrics.csv")]) == "restart"
    assert p.classify([str(pv.PACKAGE_DIR / "charts" / "__pycache__" / "tilemap.cpython-311.pyc")]) is None
    assert p.classify([str(data / ".nrmc-tmp.1.2.metrics.csv")]) is None
    assert p.classify([str(tmp_path / "elsewhere.txt")]) is None
    assert list(p.by_url) == ["/anhui.html"]


def test_the_server_serves_the_output_folder_and_nothing_outside_it(tmp_path):
    from aiohttp import web
    from aiohttp.test_utils import TestClient, TestServer

    data = tmp_path / "data"
    shutil.copytree(ROOT / "data", data)
    out = tmp_path / "reports"
    (out / ".state").mkdir(parents=True)
    (out / ".state" / "secret.json").write_text("{}")
    (out / "index.html").write_text("<html><body>front</body></html>", encoding="utf-8")
    (out / "anhui.pdf").write_bytes(b"%PDF-1.4")
    (tmp_path / "outside.html").write_text("<html><body>outside</body></html>", encoding="utf-8")
    p = pv.Preview(["anhui"], out, data, ROOT / "notebooks", langs=("zh",))
    p.problems = ["metrics.csv, line 9, column 'value': 'x' is not a number"]

    async def run():
        app = web.Application()
        app.router.add_get("/{path:.*}", p.handle)
        async with TestClient(TestServer(app)) as client:
            front = await (await client.get("/")).text()
            building = await client.get("/anhui.html")  # not built yet: a page that reloads when it is
            pdf = await client.get("/anhui.pdf")
            codes = [(await client.get(u)).status for u in ("/.state/secret.json", "/../outside.html",
                                                           "/%2e%2e/outside.html", "/hubei.html")]
            return front, building.status, await building.text(), pdf.status, await pdf.read(), codes

    front, status, building, pdf_status, pdf, codes = asyncio.run(run())
    assert "front" in front and "EventSource" in front and "metrics.csv, line 9, column" in front
    assert status == 200 and "Building" in building and "EventSource" in building
    assert pdf_status == 200 and pdf == b"%PDF-1.4"
    assert codes == [404, 404, 404, 404]
    assert "EventSource" not in (out / "index.html").read_text(encoding="utf-8")  # nothing written to disk


# ---------------------------------------------------------------------------------------------
# The real command in a real browser
# ---------------------------------------------------------------------------------------------

class Running:
    """`nrmc preview` in a subprocess, its output collected line by line."""

    def __init__(self, *args, cwd=ROOT):
        self.proc = subprocess.Popen([sys.executable, "-m", "nrmc", "preview", *map(str, args)], cwd=cwd,
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, bufsize=1,
                                     env={**os.environ, "CI": "true", "NRMC_TRACE": "1"})
        self.lines: list[str] = []
        self._cond = threading.Condition()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.proc.stdout:
            with self._cond:
                self.lines.append(line)
                self._cond.notify_all()

    def wait_for(self, pattern: str, timeout: float = 300, start: int = 0) -> re.Match:
        end = time.monotonic() + timeout
        with self._cond:
            while True:
                for line in self.lines[start:]:
                    m = re.search(pattern, line)
                    if m:
                        return m
                left = end - time.monotonic()
                if left <= 0 or self.proc.poll() is not None and not self._more():
                    raise AssertionError(f"no line matching {pattern!r}:\n{self.text}")
                self._cond.wait(min(left, 1.0))

    def _more(self) -> bool:
        time.sleep(0.2)
        return False

    @property
    def text(self) -> str:
        return "".join(self.lines)

    def stop(self, sig=signal.SIGINT, timeout: float = 60) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            raise

    def descendants(self) -> list[int]:
        import psutil

        try:
            return [c.pid for c in psutil.Process(self.proc.pid).children(recursive=True)]
        except psutil.Error:
            return []


def _alive(pids) -> list[int]:
    import psutil

    out = []
    for pid in pids:
        try:
            if psutil.Process(pid).status() != psutil.STATUS_ZOMBIE:
                out.append(pid)
        except psutil.Error:
            pass
    return out


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


@pytest.mark.e2e
def test_preview_rebuilds_on_a_data_change_and_shows_bad_data_in_the_page(tmp_path):
    from playwright.sync_api import sync_playwright

    from nrmc.export import CHROMIUM_ARGS

    data, out = tmp_path / "data", tmp_path / "reports"
    shutil.copytree(ROOT / "data", data)
    run = Running("anhui", "--lang", "zh", "--data", data, "--out", out, "--port", 0, "--no-pdf")
    try:
        url = run.wait_for(r"Serving (http://\S+)").group(1)
        run.wait_for(r"anhui \(zh\) rebuilt")
        marker = "（预览测试）"
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS, headless=True)
            page = browser.new_page()
            page.goto(url)
            assert "安徽" in page.inner_text("h1")
            assert "EventSource" in page.content()
            disk = (out / "anhui.html").read_text(encoding="utf-8")
            assert "EventSource" not in disk and "nrmc-preview" not in disk

            # a saved edit: the open page reloads with the new content
            n = len(run.lines)
            with page.expect_event("load", timeout=120_000):
                _edit(data / "centers.csv", "复旦大学附属儿科医院安徽医院,", f"复旦大学附属儿科医院安徽医院{marker},")
            run.wait_for(r"anhui \(zh\) rebuilt", start=n)
            page.wait_for_function("m => document.body.innerText.includes(m)", arg=marker, timeout=60_000)
            assert marker in (out / "anhui.html").read_text(encoding="utf-8")

            # bad data: the problems on the page, the last good briefing on disk
            with page.expect_event("load", timeout=120_000):
                _edit(data / "metrics.csv", "340000,nrmc_count,,9,", "340000,nrmc_count,,nine,")
            notice = page.inner_text("#nrmc-preview-notice")
            assert "metrics.csv" in notice and "line 2" in notice and "'value'" in notice and "nine" in notice
            assert marker in page.inner_text("main")  # the last good briefing, below the notice
            disk = (out / "anhui.html").read_text(encoding="utf-8")
            assert marker in disk and "nrmc-preview-notice" not in disk

            # fixed: rebuilt (the data changed back) and the notice is gone
            with page.expect_event("load", timeout=120_000):
                _edit(data / "metrics.csv", "340000,nrmc_count,,nine,", "340000,nrmc_count,,9,")
            page.wait_for_function("() => !document.getElementById('nrmc-preview-notice')", timeout=60_000)
            browser.close()
        kids = run.descendants()
        assert kids  # the kernels
    finally:
        code = run.stop(signal.SIGINT)
    assert code in (0, 130), run.text
    assert "stopped" in run.text and "Traceback" not in run.text
    time.sleep(1.0)
    assert _alive(kids) == []  # kernels closed


@pytest.mark.e2e
def test_preview_stops_cleanly_on_sigterm_and_prints_pdfs_in_the_background(tmp_path):
    data, out = tmp_path / "data", tmp_path / "reports"
    shutil.copytree(ROOT / "data", data)
    run = Running("tibet", "--lang", "en", "--data", data, "--out", out, "--port", 0)
    try:
        run.wait_for(r"tibet \(en\) rebuilt")
        deadline = time.monotonic() + 120
        while not (out / "en" / "tibet.pdf").exists() and time.monotonic() < deadline:
            time.sleep(0.5)
        assert (out / "en" / "tibet.pdf").read_bytes()[:5] == b"%PDF-"
        kids = run.descendants()
    finally:
        code = run.stop(signal.SIGTERM)
    assert code in (0, 130), run.text
    assert "stopped" in run.text and "Traceback" not in run.text
    time.sleep(1.0)
    assert _alive(kids) == []  # kernels and browser closed
