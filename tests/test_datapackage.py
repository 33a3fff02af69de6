"""data/ is a Frictionless data package (issue 22, point 7): datapackage.json is generated from the
schema the loader enforces (nrmc.data.TABLES), never drifts from it, and the frictionless library
validates the data against it, offline."""
from __future__ import annotations

import ast
import csv
import json
import shutil
import socket

import pytest
from click.testing import CliRunner

from conftest import ROOT
from nrmc import datapackage as dp
from nrmc.cli import main as cli_main
from nrmc.data import TABLES

DATA = ROOT / "data"


@pytest.fixture(autouse=True)
def csv_field_limit_kept():
    """frictionless raises the csv module's field size limit for the whole process when it is
    imported; the loader's own limit (and its message for an over-long cell) must not change for
    the tests that run after these in the same process."""
    limit = csv.field_size_limit()
    yield
    csv.field_size_limit(limit)


@pytest.fixture
def offline(monkeypatch):
    """Any attempt to open a network connection fails the test."""
    def refuse(*args, **kwargs):
        raise AssertionError(f"network access attempted: {args}")
    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


def frictionless_report(path):
    import frictionless

    return frictionless.validate(str(path))


def errors_of(report) -> list[tuple[str, str, str]]:
    """(resource, field name, error type) of every error in a frictionless report."""
    out = []
    for task in report.tasks:
        for e in task.errors:
            out.append((task.name, getattr(e, "field_name", None), e.type))
    return out


def test_committed_datapackage_is_what_the_generator_makes():
    """Edit TABLES or sources.csv, and this fails until `nrmc datapackage` is run."""
    committed = (DATA / dp.FILE_NAME).read_text(encoding="utf-8")
    assert committed == dp.render(DATA), "data/datapackage.json is out of date: run `nrmc datapackage`"


def test_frictionless_validates_the_package_offline(offline):
    report = frictionless_report(DATA / dp.FILE_NAME)
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])
    assert {t.name for t in report.tasks} == set(TABLES)


def test_every_column_and_its_rules_come_from_tables():
    desc = json.loads((DATA / dp.FILE_NAME).read_text(encoding="utf-8"))
    res = {r["name"]: r for r in desc["resources"]}
    assert list(res) == list(TABLES)
    for table, spec in TABLES.items():
        fields = {f["name"]: f for f in res[table]["schema"]["fields"]}
        assert list(fields) == list(spec), table
        for name, col in spec.items():
            cons = fields[name].get("constraints", {})
            assert cons.get("required", False) == col.required, (table, name)
            assert cons.get("unique", False) == col.unique, (table, name)
            if col.kind.startswith("enum:"):
                assert cons["enum"] == col.kind[5:].split("|")
    prov = {f["name"]: f for f in res["provinces"]["schema"]["fields"]}
    assert prov["pop_2024"]["type"] == "integer" and prov["pop_2024"]["constraints"]["minimum"] == 1
    assert prov["pop_2024"]["constraints"]["maximum"] == 20_000
    assert prov["area_km2"]["constraints"]["exclusiveMinimum"] == 0
    assert res["centers"]["schema"]["primaryKey"] == ["center_id"]
    assert desc["licenses"][0]["name"] == "CC-BY-4.0"
    assert set(dp.DESCRIPTIONS) == set(TABLES)  # a new table gets its one-line description
    with open(DATA / "sources.csv", encoding="utf-8", newline="") as f:
        ids = [r["source_id"] for r in csv.DictReader(f)]
    assert [s["title"].split(":")[0] for s in desc["sources"]] == ids


def _loader_foreign_keys() -> set[tuple[str, str, str, str]]:
    """The single-valued foreign keys nrmc.data._cross_checks checks: its `check_fk(table, col, var,
    ...)` calls whose `var = ids(ref_table, ref_col)`, read from the source (not a copy of the list)."""
    tree = ast.parse((ROOT / "src" / "nrmc" / "data.py").read_text(encoding="utf-8"))
    fn = next(n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef) and n.name == "_cross_checks")
    refs, loops, out = {}, {}, set()
    for node in ast.walk(fn):
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Call) and getattr(node.value.func, "id", "") == "ids":
            refs[node.targets[0].id] = tuple(a.value for a in node.value.args)
        if isinstance(node, ast.For) and isinstance(node.target, ast.Name) and isinstance(node.iter, ast.Tuple):
            for inner in ast.walk(node):  # for col in ("a", "b"): check_fk(…, col, …)
                loops[id(inner)] = [e.value for e in node.iter.elts if isinstance(e, ast.Constant)]
    for node in ast.walk(fn):
        if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "check_fk":
            many = any(k.arg == "many" and k.value.value for k in node.keywords)
            var = node.args[2]
            if many or not isinstance(var, ast.Name) or var.id not in refs:
                continue
            col = node.args[1]
            for c in ([col.value] if isinstance(col, ast.Constant) else loops[id(node)]):
                out.add((node.args[0].value, c, *refs[var.id]))
    return out


def test_foreign_keys_are_the_ones_the_loader_checks():
    declared = {(t, c, rt, rc) for (t, c), (rt, rc) in dp.FOREIGN_KEYS.items()}
    assert declared == _loader_foreign_keys()


@pytest.fixture
def package_copy(tmp_path):
    d = tmp_path / "data"
    shutil.copytree(DATA, d)
    return d


def set_cell(path, row: int, column: str, value: str) -> None:
    with open(path, encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))
    rows[row][rows[0].index(column)] = value
    with open(path, "w", encoding="utf-8", newline="") as f:
        csv.writer(f, lineterminator="\n").writerows(rows)


FAULTS = [  # (file, data row, column, value, the error frictionless must report)
    ("stages.csv", 1, "center_id", "AH-99", "foreign-key"),  # no such centre
    ("centers.csv", 1, "specialty", "astrology", "foreign-key"),
    ("centers.csv", 2, "status", "rumoured", "constraint-error"),  # enum
    ("metrics.csv", 1, "as_of", "2024-8", "constraint-error"),  # not a partial ISO date
    ("metrics.csv", 2, "source_id", "", "constraint-error"),  # required
    ("metrics.csv", 3, "value", "many", "type-error"),
    ("sources.csv", 1, "url", "javascript:alert(1)", "constraint-error"),
    ("provinces.csv", 1, "area_km2", "0", "constraint-error"),  # > 0
]


def test_the_package_refuses_what_nrmc_validate_refuses(package_copy, offline):
    """One fault of each kind in a copy (one validation: a few seconds): each is reported."""
    for file, row, column, value, _ in FAULTS:
        set_cell(package_copy / file, row, column, value)
    report = frictionless_report(package_copy / dp.FILE_NAME)
    found = errors_of(report)
    for file, _, column, _, error in FAULTS:
        table = file[:-4]
        assert (table, column, error) in found or (error == "foreign-key" and (table, None, error) in found), \
            (file, column, found)
    assert len([e for e in found if e[2] == "foreign-key"]) == 2


def test_nrmc_datapackage_writes_and_checks(package_copy):
    path = package_copy / dp.FILE_NAME
    path.write_text("{}", encoding="utf-8")
    r = CliRunner().invoke(cli_main, ["datapackage", "--data", str(package_copy), "--check"])
    assert r.exit_code == 1 and "out of date" in r.output
    r = CliRunner().invoke(cli_main, ["datapackage", "--data", str(package_copy)])
    assert r.exit_code == 0 and path.read_text(encoding="utf-8") == dp.render(package_copy)
    r = CliRunner().invoke(cli_main, ["datapackage", "--data", str(package_copy), "--check"])
    assert r.exit_code == 0 and "up to date" in r.output


def test_the_descriptor_rebuilds_no_briefing():
    """No briefing reads datapackage.json: rewriting it (after a sources.csv edit) changes no digest."""
    from nrmc.digests import ignored_data_file

    assert ignored_data_file(dp.FILE_NAME) and not ignored_data_file("metrics.csv")
