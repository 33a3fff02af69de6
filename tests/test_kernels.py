"""The warm kernel pool: a notebook never sees what the previous one left behind, and kernels are
handed out first come, first served (real Jupyter kernels: e2e)."""
from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from conftest import ROOT

pytestmark = pytest.mark.e2e


def _notebook(tmp_path: Path, name: str, *cells: str) -> Path:
    nb = {"cells": [{"cell_type": "code", "execution_count": None, "id": f"c{i}", "metadata": {}, "outputs": [],
                     "source": src} for i, src in enumerate(cells)],
          "metadata": {"kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
                       "language_info": {"name": "python"}},
          "nbformat": 4, "nbformat_minor": 5}
    path = tmp_path / name
    path.write_text(json.dumps(nb), encoding="utf-8")
    return path


def test_a_notebook_does_not_see_the_previous_ones_names_figures_or_settings(tmp_path):
    from nrmc.kernels import KernelPool, execute_notebook, prepare_notebook

    first = _notebook(tmp_path, "first.ipynb",
                      "import os, warnings, matplotlib, matplotlib.pyplot as plt\n"
                      "leak = 42\nfig = plt.figure()\nmatplotlib.rcParams['font.size'] = 31\n"
                      "warnings.simplefilter('error')\nos.chdir('/')")
    second = _notebook(tmp_path, "second.ipynb",
                       "import os, warnings, matplotlib, matplotlib.pyplot as plt\n"
                       "assert 'leak' not in globals() and 'fig' not in globals()\n"
                       "assert plt.get_fignums() == [], plt.get_fignums()\n"
                       "assert matplotlib.rcParams['font.size'] != 31\n"
                       f"assert os.getcwd() == {str(tmp_path)!r}, os.getcwd()\n"
                       "warnings.warn('only a warning')\nimport nrmc.sections  # warm: imported already\n")

    async def run():
        pool = KernelPool(1, cwd=tmp_path, data_dir=ROOT / "data")
        await pool.start()
        try:
            out = []
            for path in (first, second, second):
                out.append(await execute_notebook(pool, prepare_notebook(path, {}), tmp_path, 60))
            return out
        finally:
            await pool.close()

    results = asyncio.run(run())
    assert [r.error for r in results] == [None, None, None], [r.error for r in results]


def test_kernels_are_handed_out_in_the_order_asked_for(tmp_path):
    from nrmc.kernels import KernelPool

    async def run():
        pool = KernelPool(1, cwd=tmp_path, data_dir=ROOT / "data")
        await pool.start()
        try:
            k = await pool.acquire()
            order = []

            async def want(n):
                got = await pool.acquire()
                order.append(n)
                pool.release(got)

            waiters = [asyncio.ensure_future(want(n)) for n in range(4)]
            await asyncio.sleep(1.5)  # acquire polls every second: no waiter may lose its place…
            waiters.append(asyncio.ensure_future(want(4)))  # …to one that came later
            await asyncio.sleep(1.0)
            pool.release(k)
            await asyncio.gather(*waiters)
            return order
        finally:
            await pool.close()

    assert asyncio.run(run()) == [0, 1, 2, 3, 4]
