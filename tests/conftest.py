from __future__ import annotations

import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).resolve().parent / "fixtures"
MINIMAL = FIXTURES / "data_minimal"
BAD = FIXTURES / "bad_data"


@pytest.fixture(scope="session")
def ds():
    """The real dataset."""
    import nrmc

    return nrmc.load(ROOT / "data")


def overlay(fault: str, dest: Path) -> Path:
    """A copy of the minimal dataset with the files of tests/fixtures/bad_data/<fault>/ over it."""
    shutil.copytree(MINIMAL, dest)
    for f in (BAD / fault).iterdir():
        shutil.copy(f, dest / f.name)
    return dest


@pytest.fixture
def bad_data(tmp_path):
    return lambda fault: overlay(fault, tmp_path / fault)
