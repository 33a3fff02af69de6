"""nrmc.explore and the public API: the five questions of notebooks/explore.ipynb answered against
data/, read here with the csv module (never with the code under test), so that a wrong join or a
wrong filter gives a wrong number; edge cases (a disputed batch, an approximate opening date, a
planned project) on a copy of the minimal fixture with known answers; the API as a notebook user
meets it (dir(), tab completion, docstrings that run); Chinese labels in a matplotlib chart after
`nrmc.load()`; and the notebook itself, executed by nbclient (e2e).
"""
from __future__ import annotations

import calendar
import csv
import doctest
import inspect
import shutil
import subprocess
import sys
import textwrap
from collections import Counter, defaultdict
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

import nrmc
from conftest import MINIMAL, ROOT
from nrmc import explore

DATA = ROOT / "data"
NOTEBOOK = ROOT / "notebooks" / "explore.ipynb"


# ---------------------------------------------------------------------------------------------
# the data, read independently of nrmc
def rows(name: str, data: Path = DATA) -> list[dict]:
    with open(data / f"{name}.csv", encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


def end_of(text: str) -> date:
    """The last day of a partial ISO date's period ('2023' → 2023-12-31)."""
    parts = [int(x) for x in text.split("-")]
    if len(parts) == 1:
        return date(parts[0], 12, 31)
    if len(parts) == 2:
        return date(parts[0], parts[1], calendar.monthrange(parts[0], parts[1])[1])
    return date(*parts)


def approved(data: Path = DATA) -> list[dict]:
    return [c for c in rows("centers", data) if c["status"] != "planned"]


def provinces(data: Path = DATA) -> dict[str, dict]:
    return {p["code"]: p for p in rows("provinces", data)}


def planned_codes(data: Path = DATA) -> list[str]:
    return [s["code"] for s in rows("specialties", data) if s["plan_target"] == "true" or s["category"] == "tcm"]


def expected_openings(before: date, data: Path = DATA) -> dict[str, str]:
    """centre id → the earliest 开诊/正式运营 date known to be before `before`."""
    ids = {c["center_id"] for c in approved(data)}
    out: dict[str, tuple] = {}
    for s in rows("stages", data):
        if (s["center_id"] in ids and s["stage"] in ("open", "operating") and s["date_basis"] in ("stated", "not_after")
                and end_of(s["date"]) < before):
            key = tuple(int(x) for x in s["date"].split("-"))
            if s["center_id"] not in out or key < out[s["center_id"]][0]:
                out[s["center_id"]] = (key, s["date"])
    return {k: v[1] for k, v in out.items()}


@pytest.fixture(scope="module")
def ds():
    return nrmc.load(DATA)


@pytest.fixture(scope="module")
def mini(tmp_path_factory):
    """The minimal fixture, with batches (one agreed by two sources, one disputed), an opening
    dated only approximately, a centre whose opening is known as its formal operation (`operating`,
    no `open` row), and a stated focus on another specialty."""
    d = tmp_path_factory.mktemp("mini") / "data"
    shutil.copytree(MINIMAL, d)
    with open(d / "center_batches.csv", "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["center_id", "batch", "source_id", "quote", "flag", "note"])
        w.writerow(["AH-01", "1", "S01", "第一批", "", ""])
        w.writerow(["AH-01", "1", "S03", "首批", "", ""])
        w.writerow(["AH-02", "2", "S02", "第二批", "conflict", "S03 says 3"])
        w.writerow(["AH-02", "3", "S03", "第三批", "conflict", "S02 says 2"])
    with open(d / "centers.csv", encoding="utf-8", newline="") as f:
        centres = list(csv.DictReader(f))
    for c in centres:
        if c["center_id"] == "AH-02":
            c["focus_specialties"] = "oncology"  # a trauma centre that a source says focuses on oncology too
    with open(d / "centers.csv", "w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(centres[0]), lineterminator="\n")
        w.writeheader()
        w.writerows(centres)
    stages = (d / "stages.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    (d / "stages.csv").write_text("".join(x for x in stages if not x.startswith("AH-01,open,")), encoding="utf-8")
    with open(d / "stages.csv", "a", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["AH-02", "open", "2023-03", "about", "S01", "约2023年3月开诊", "", "", ""])
        w.writerow(["AH-01", "operating", "2023-05-01", "stated", "S01", "2023年5月1日正式运营", "", "", ""])
    return nrmc.load(d)


# ---------------------------------------------------------------------------------------------
# Question 1: which hospitals lead the most centres
def test_lead_hospitals_count_approved_centres_per_hospital_with_its_province(ds):
    t = explore.lead_hospitals(ds)
    prov = provinces()
    want = Counter((c["output_hospital_zh"], c["output_province_code"]) for c in approved())
    got = {(h, p): n for h, p, n in zip(t["lead_hospital"], t["lead_province_code"], t["centres"])}
    assert got == dict(want)
    assert t["centres"].tolist() == sorted(t["centres"], reverse=True)  # most first
    assert t.loc[0, "centres"] == max(want.values())
    for _, r in t.iterrows():
        assert r["lead_province"] == prov[r["lead_province_code"]]["name_zh_short"]
        mine = [c for c in approved() if c["output_hospital_zh"] == r["lead_hospital"]]
        assert r["elsewhere"] == sum(c["province_code"] != r["lead_province_code"] for c in mine)
        assert r["centre_ids"].split(";") == sorted(c["center_id"] for c in mine)
    # planned projects lead nothing: a hospital with only planned projects is absent
    only_planned = {c["output_hospital_zh"] for c in rows("centers") if c["status"] == "planned"} - {h for h, _ in want}
    assert not only_planned & set(t["lead_hospital"])


def test_lead_hospitals_in_english_use_the_hospitals_english_names(ds):
    en = explore.lead_hospitals(ds, lang="en")
    zh = explore.lead_hospitals(ds)
    names = {h["name_zh"]: h["name_en"] for h in rows("hospitals")}
    assert en["lead_hospital"].tolist() == [names[h] or h for h in zh["lead_hospital"]]
    prov = provinces()
    assert en["lead_province"].tolist() == [prov[c]["name_en"] for c in en["lead_province_code"]]


def test_lead_hospitals_on_the_minimal_data(mini):
    t = explore.lead_hospitals(mini, lang="en")
    assert t[["lead_hospital", "lead_province", "centres", "host_provinces"]].values.tolist() == [
        ["Test Cancer Hospital", "Beijing", 1, "Guizhou"],          # Beijing's code sorts first on a tie
        ["Test Children's Hospital", "Shanghai", 1, "Anhui"],
        ["Test Sixth Hospital", "Shanghai", 1, "Anhui"],
    ]  # 测试协和医院 leads only a planned project (GZ-02): not a centre


# ---------------------------------------------------------------------------------------------
# Question 2: which planned specialties have the fewest centres
def test_planned_specialties_nationally(ds):
    t = explore.planned_specialties(ds).set_index("specialty_code")
    codes = planned_codes()
    assert t.index.tolist() == codes  # the plan's twelve and TCM, in display order
    cs = approved()
    for code in codes:
        mine = [c for c in cs if c["specialty"] == code]
        assert t.loc[code, "centres"] == len(mine), code
        assert t.loc[code, "stated"] == sum(c["specialty_basis"] == "stated" for c in mine), code
        assert t.loc[code, "inferred"] == sum(c["specialty_basis"] == "inferred" for c in mine), code
        focus = [c for c in cs if code in c["focus_specialties"].split(";") and c["specialty"] != code]
        assert t.loc[code, "focus"] == len(focus), code
        assert t.loc[code, "provinces"] == len({c["province_code"] for c in mine}), code
    names = {s["code"]: s["name_zh"] for s in rows("specialties")}
    assert t["specialty"].tolist() == [names[c] for c in codes]
    fewest = min(t["centres"])
    assert set(t.index[t["centres"] == fewest]) == {c for c in codes if sum(x["specialty"] == c for x in cs) == fewest}


def test_planned_specialties_for_a_province_keep_the_stated_total_apart(ds):
    t = explore.planned_specialties(ds, "皖", lang="en").set_index("specialty_code")
    mine = [c for c in approved() if c["province_code"] == "340000"]
    stated = {}
    for m in rows("metrics"):
        if m["subject_id"] == "340000" and m["metric"] == "nrmc_count" and m["breakdown"].startswith("specialty="):
            stated[m["breakdown"].split("=", 1)[1]] = int(m["value"])
    for code in planned_codes():
        assert t.loc[code, "centres"] == sum(c["specialty"] == code for c in mine), code
        assert t.loc[code, "national_centres"] == sum(c["specialty"] == code for c in approved()), code
        assert t.loc[code, "focus"] == sum(code in c["focus_specialties"].split(";") and c["specialty"] != code
                                           for c in mine), code
        if code in stated:
            assert t.loc[code, "stated_total"] == stated[code], code
        else:
            assert pd.isna(t.loc[code, "stated_total"]), code
        has = t.loc[code, "centres"] > 0
        assert (t.loc[code, "status"] == "has") == has, code
        if not has and code in stated:
            assert t.loc[code, "status"] == "has_unnamed", code  # a source's count, no named centre


def test_planned_specialties_on_the_minimal_data(mini):
    cols = ["specialty_code", "centres", "stated", "inferred", "focus", "provinces"]
    assert explore.planned_specialties(mini)[cols].values.tolist() == [
        ["pediatrics", 1, 1, 0, 0, 1],
        ["trauma", 1, 0, 1, 0, 1],
        ["oncology", 1, 0, 1, 1, 1],  # GZ-01's own; AH-02's focus is counted apart
        ["tcm", 0, 0, 0, 0, 0],
    ]
    anhui = explore.planned_specialties(mini, "安徽").set_index("specialty_code")
    assert anhui.loc["oncology", ["centres", "focus", "stated_total", "status", "national_centres"]].tolist() == [
        0, 1, 1, "has_unnamed", 1]  # none named here; a source counts one; AH-02 focuses on it
    assert anhui.loc["tcm", ["centres", "status"]].tolist() == [0, "lacks"] and pd.isna(anhui.loc["tcm", "stated_total"])


# ---------------------------------------------------------------------------------------------
# Question 3: a province's centres with their latest figure, date and source
def expected_latest(subjects: set[str]) -> set[tuple]:
    """(subject, metric, breakdown, period, value, as_of, source) of the latest figure per subject
    and measure (metric, breakdown, period, base unit), ties kept."""
    groups = defaultdict(list)
    for m in rows("metrics"):
        if m["subject_id"] in subjects:
            base = m["unit"][1:] if m["unit"].startswith("万") and len(m["unit"]) > 1 else m["unit"]
            groups[(m["subject_id"], m["metric"], m["breakdown"], m["period"], base)].append(m)
    out = set()
    for g in groups.values():
        last = max(end_of(m["as_of"]) for m in g)
        out |= {(m["subject_id"], m["metric"], m["breakdown"], m["period"], float(m["value"]), m["as_of"], m["source_id"])
                for m in g if end_of(m["as_of"]) == last}
    return out


def test_a_provinces_centres_with_their_latest_figures(ds):
    code = "340000"
    centres = explore.centres(ds, province="安徽")
    ids = sorted(c["center_id"] for c in approved() if c["province_code"] == code)
    assert centres["centre_id"].tolist() == ids
    figs = explore.latest(ds, province="安徽")
    subjects = set(ids) | {code} | {p["prc_id"] for p in rows("provincial_centers") if p["province_code"] == code}
    got = {(r.subject_id, r.metric, r.breakdown if isinstance(r.breakdown, str) else "", r.period, r.value, r.as_of,
            r.source_id) for r in figs.itertuples()}
    assert got == expected_latest(subjects)
    src = {s["source_id"]: s for s in rows("sources")}
    assert figs["source_title"].tolist() == [src[s]["title"] for s in figs["source_id"]]
    assert figs["source_publisher"].tolist() == [src[s]["publisher"] for s in figs["source_id"]]
    assert figs["source_kind"].tolist() == [src[s]["kind"] for s in figs["source_id"]]
    # the notebook's join: every centre, with or without figures
    both = centres.merge(figs, left_on="centre_id", right_on="subject_id", how="left")
    per_centre = Counter(s for s, *_ in expected_latest(set(ids)))
    assert len(both) == sum(max(1, per_centre[i]) for i in ids)
    no_figure = [i for i in ids if per_centre[i] == 0]
    assert both.loc[both["centre_id"].isin(no_figure), "value"].isna().all()


def test_latest_keeps_the_newest_figure_and_counts_the_others(mini):
    t = explore.latest(mini, province="anhui")
    row = t[(t["subject_id"] == "AH-01") & (t["metric"] == "new_technologies")]
    assert row[["value", "as_of", "source_id", "n_figures"]].values.tolist() == [[453.0, "2025-11", "S01", 2]]
    assert "412" not in t["value"].astype(str).str.split(".").str[0].tolist()  # S03's older 412 is not the latest
    flagged = explore.latest(mini, province="guizhou")
    assert flagged.loc[flagged["metric"] == "outpatient_visits", "flag"].tolist() == ["suspect_unit"]


def test_figures_carry_every_row_with_names_and_sources(ds):
    f = explore.figures(ds, lang="en")
    raw = rows("metrics")
    assert len(f) == len(raw)
    key = Counter((m["subject_id"], m["metric"], m["breakdown"], float(m["value"]), m["unit"], m["as_of"], m["source_id"])
                  for m in raw)
    assert Counter((r.subject_id, r.metric, r.breakdown if isinstance(r.breakdown, str) else "", r.value, r.unit,
                    r.as_of, r.source_id) for r in f.itertuples()) == key
    names = {c["center_id"]: c["name_en"] or c["name_zh"] for c in rows("centers")}
    names |= {p["code"]: p["name_en"] for p in rows("provinces")} | {"national": "China"}
    names |= {p["prc_id"]: p["name_en"] or p["name_zh"] for p in rows("provincial_centers")}
    assert f["subject"].tolist() == [names[s] for s in f["subject_id"]]
    src = {s["source_id"]: s for s in rows("sources")}
    assert f["source_title"].tolist() == [src[s]["title_en"] or src[s]["title"] for s in f["source_id"]]
    labels = {d["code"]: d["label_en"] for d in rows("metric_definitions")}
    assert all(m.startswith(labels[c]) for m, c in zip(f["measure"], f["metric"]))
    assert f["flag"].notna().sum() == sum(bool(m["flag"]) for m in raw)


# ---------------------------------------------------------------------------------------------
# Question 4: centres per head by region
def pop_year(data: Path = DATA) -> int:
    latest = max([end_of(m["as_of"]) for m in rows("metrics", data)] + [end_of(c["first_reported"]) for c in rows("centers", data)])
    return max(y for y in (2022, 2023, 2024) if y <= latest.year)


def test_per_head_by_region_counts_named_centres_over_the_regions_population(ds):
    t = explore.per_head(ds, by="region")
    year = pop_year()
    prov = provinces()
    cs = approved()
    assert set(t["pop_year"]) == {year}
    regions = sorted({p["region"] for p in prov.values()})
    assert sorted(n.removesuffix("地区") for n in t["name"]) == regions
    for _, r in t.iterrows():
        region = r["name"].removesuffix("地区")
        codes = {c for c, p in prov.items() if p["region"] == region}
        named = sum(c["province_code"] in codes for c in cs)
        pop = sum(int(prov[c][f"pop_{year}"]) for c in codes)
        assert r["centres"] == named and r["population"] == pop and r["provinces"] == len(codes)
        assert r["per_10m"] == pytest.approx(named / pop * 1000)
    assert t["per_10m"].tolist() == sorted(t["per_10m"], reverse=True)
    en = explore.per_head(ds, by="region", lang="en")
    assert {n.removesuffix(" region") for n in en["name"]} == {p["region_en"] for p in prov.values()}


def test_per_head_national_benchmarks_are_labelled(ds):
    t = explore.per_head(ds, by="national").set_index("basis")
    year = pop_year()
    pop = sum(int(p[f"pop_{year}"]) for p in provinces().values())
    totals = [m for m in rows("milestones") if m["projects_total"]]
    last = max(totals, key=lambda m: end_of(m["date"]))
    assert t.loc["official_total", "centres"] == int(last["projects_total"])
    assert t.loc["official_total", "source_id"] == last["source_id"] and t.loc["official_total", "as_of"] == last["date"]
    assert last["date"] in t.loc["official_total", "label"]
    assert t.loc["named", "centres"] == len(approved())
    assert t.loc["named", "per_10m"] == pytest.approx(len(approved()) / pop * 1000)
    assert t.loc["official_total", "per_10m"] == pytest.approx(int(last["projects_total"]) / pop * 1000)
    # the regions' named centres add up to the nation's: no centre lost or counted twice by the join
    assert explore.per_head(ds, by="region")["centres"].sum() == t.loc["named", "centres"]


def test_per_head_by_province_never_reads_unknown_as_zero(ds):
    t = explore.per_head(ds, by="province").set_index("province_code")
    assert len(t) == 31
    cs = approved()
    stated = {m["subject_id"]: int(m["value"]) for m in rows("metrics")
              if m["metric"] == "nrmc_count" and not m["breakdown"] and m["subject_id"].isdigit()}
    for code, r in t.iterrows():
        named = sum(c["province_code"] == code for c in cs)
        assert r["named"] == named
        if code in stated and stated[code] >= named:
            assert (r["centres"], r["basis"]) == (stated[code], "stated")
        elif named:
            assert (r["centres"], r["basis"]) == (named, "named")
        else:
            assert pd.isna(r["centres"]) and pd.isna(r["per_10m"]) and pd.isna(r["rank"])  # not 0
    with pytest.raises(ValueError, match="by must be"):
        explore.per_head(ds, by="city")


# ---------------------------------------------------------------------------------------------
# Question 5: which centres opened before a date
@pytest.mark.parametrize("when", ["2023-01-01", "2023-07-01", "2024-01-01", "2025", "2100"])
def test_opened_before(ds, when):
    parts = [int(x) for x in when.split("-")] + [1, 1]
    want = expected_openings(date(*parts[:3]))
    t = explore.opened_before(when, ds)
    assert dict(zip(t["centre_id"], t["opened"])) == want
    assert set(t["opened_stage"]) <= {"open", "operating"}


def test_trial_operation_is_not_an_opening(ds):
    trial_only = {s["center_id"] for s in rows("stages") if s["stage"] == "trial"} - {
        s["center_id"] for s in rows("stages") if s["stage"] in ("open", "operating")}
    assert trial_only  # the data has centres in trial operation only (仁济安徽)
    assert not trial_only & set(explore.opened_before("2100", ds)["centre_id"])


def test_opened_before_honours_the_precision_of_dates(mini):
    assert explore.opened_before("2023-05-01", mini).empty              # trial 2022-12-28 is no opening
    assert explore.opened_before("2023-05-02", mini)["centre_id"].tolist() == ["AH-01"]  # operating 2023-05-01
    assert explore.opened_before("2023-12-31", mini)["centre_id"].tolist() == ["AH-01"]  # GZ-01: by the end of 2023
    t = explore.opened_before(2024, mini)
    assert t[["centre_id", "opened", "opened_basis"]].values.tolist() == [
        ["AH-01", "2023-05-01", "stated"], ["GZ-01", "2023", "not_after"]]  # AH-02's 'about 2023-03' is not proof
    with pytest.raises(ValueError, match="not a date"):
        explore.opened_before("2023-02-30", mini)


# ---------------------------------------------------------------------------------------------
# centres(): the joins
def test_centres_join_names_regions_specialties_and_lead_hospitals(ds):
    t = explore.centres(ds).set_index("centre_id")
    prov = provinces()
    spec = {s["code"]: s for s in rows("specialties")}
    cities = {c["name_zh"]: c["name_en"] for c in rows("cities")}
    cs = approved()
    assert sorted(t.index) == sorted(c["center_id"] for c in cs)
    en = explore.centres(ds, "en").set_index("centre_id")
    for c in cs:
        r, e = t.loc[c["center_id"]], en.loc[c["center_id"]]
        p, lead = prov[c["province_code"]], prov[c["output_province_code"]]
        assert (r["province_zh"], r["province_en"], r["region"], e["region"]) == (
            p["name_zh_short"], p["name_en"], p["region"], p["region_en"])
        assert (r["specialty"], e["specialty"]) == (spec[c["specialty"]]["name_zh"], spec[c["specialty"]]["name_en"])
        assert (r["lead_hospital"], r["lead_province"], e["lead_province"]) == (
            c["output_hospital_zh"], lead["name_zh_short"], lead["name_en"])
        assert (r["centre"], e["centre"]) == (c["name_zh"], c["name_en"] or c["name_zh"])
        if c["city_zh"]:
            assert (r["city"], e["city"]) == (c["city_zh"], cities[c["city_zh"]])
        else:
            assert pd.isna(r["city"]) and pd.isna(e["city"])


PROGRESS = {"agreement": 0, "approved": 1, "plaque": 1, "listed": 1, "under_construction": 2, "built": 3, "trial": 4,
            "open": 5, "operating": 6}


def test_centres_current_stage_is_the_furthest_reached(ds):
    t = explore.centres(ds).set_index("centre_id")
    events = defaultdict(list)
    for s in rows("stages"):
        if s["stage"] in PROGRESS:
            events[s["center_id"]].append(s)
    for cid, r in t.iterrows():
        ev = events.get(cid)
        if not ev:
            assert pd.isna(r["stage_code"])
            continue
        best = max(PROGRESS[e["stage"]] for e in ev)
        top = [e for e in ev if PROGRESS[e["stage"]] == best]
        assert PROGRESS[r["stage_code"]] == best, cid
        assert r["stage_date"] in {e["date"] for e in top}, cid
    assert set(t.loc[t["stage_code"] == "trial", "stage"]) <= {"试运行/过渡期运营"}


def test_centres_batch_is_never_picked_from_a_dispute(mini):
    t = explore.centres(mini).set_index("centre_id")
    assert t.loc["AH-01", "batch"] == 1 and not t.loc["AH-01", "batch_conflict"]
    assert t.loc["AH-01", "batch_sources"] == "S01;S03"
    assert pd.isna(t.loc["AH-02", "batch"]) and t.loc["AH-02", "batch_conflict"]  # 2 or 3: not chosen
    assert pd.isna(t.loc["GZ-01", "batch"]) and not t.loc["GZ-01", "batch_conflict"]  # no source states it
    assert "GZ-02" not in t.index  # planned: not an approved centre
    assert explore.centres(mini, include_planned=True).set_index("centre_id").loc["GZ-02", "status"] == "planned"


def test_centres_batch_against_the_data(ds):
    t = explore.centres(ds).set_index("centre_id")
    stated = defaultdict(set)
    for b in rows("center_batches"):
        stated[b["center_id"]].add(int(b["batch"]))
    for cid, r in t.iterrows():
        if len(stated.get(cid, ())) == 1:
            assert r["batch"] == next(iter(stated[cid])), cid
        else:
            assert pd.isna(r["batch"]), cid


def test_lang_is_checked(ds):
    with pytest.raises(ValueError, match="lang"):
        explore.centres(ds, lang="fr")


# ---------------------------------------------------------------------------------------------
# the API as a notebook user meets it
def test_dir_nrmc_is_the_public_api_and_everything_in_it_resolves():
    assert "load" in dir(nrmc) and "explore" in dir(nrmc)
    public = [n for n in dir(nrmc) if not n.startswith("_")]
    assert public == sorted(n for n in nrmc.__all__ if not n.startswith("_"))
    for name in nrmc.__all__:
        assert getattr(nrmc, name) is not None, name
    assert nrmc.load is explore.load


MODULES = ("explore", "coverage", "performance", "specialty")


@pytest.mark.parametrize("name", MODULES)
def test_modules_show_their_api_not_their_imports(name):
    mod = getattr(nrmc, name)
    assert sorted(n for n in dir(mod) if not n.startswith("_")) == sorted(mod.__all__)
    assert not {"np", "pd", "dataclass", "annotations", "Dataset"} & set(dir(mod))
    defined = {n for n, v in vars(mod).items() if not n.startswith("_")
               and (inspect.isfunction(v) or inspect.isclass(v)) and v.__module__ == mod.__name__}
    assert defined <= set(mod.__all__), f"public but not in {name}.__all__: {sorted(defined - set(mod.__all__))}"
    for n in mod.__all__:
        assert getattr(mod, n).__doc__, f"{name}.{n} has no docstring"


def test_tab_completion_in_ipython():
    from IPython.core.completer import provisionalcompleter
    from IPython.core.interactiveshell import InteractiveShell

    ip = InteractiveShell.instance()
    try:
        ip.run_cell("import nrmc; from nrmc import explore")
        for jedi in (True, False):
            ip.Completer.use_jedi = jedi

            def complete(text: str) -> set[str]:
                with provisionalcompleter():
                    return {c.text.lstrip(".") for c in ip.Completer.completions(text, len(text))}

            assert "load" in complete("nrmc.lo"), jedi
            top = complete("nrmc.")
            assert {"load", "explore", "Briefing", "sections"} <= top and not {"importlib", "annotations"} & top, jedi
            assert complete("explore.") == set(explore.__all__), jedi
            assert complete("nrmc.coverage.n") == {"national_count"}, jedi  # not `np`
    finally:
        InteractiveShell.clear_instance()


def test_docstring_examples_run():
    finder = doctest.DocTestFinder()
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    tests = [t for t in finder.find(explore) if t.examples]
    assert {t.name.rsplit(".", 1)[-1] for t in tests} >= {"load", "centres", "figures", "latest", "per_head",
                                                          "planned_specialties", "lead_hospitals", "opened_before"}
    for t in tests:
        runner.run(t)
    assert runner.summarize(verbose=False).failed == 0


# ---------------------------------------------------------------------------------------------
# Chinese labels in a chart of one's own, after nrmc.load()
CHART = textwrap.dedent("""
    import json, sys, warnings
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib import font_manager

    def draw():
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            fig, ax = plt.subplots()
            ax.barh(["中部地区", "西部地区"], [0.75, 0.60])
            title = ax.set_title("各地区国家区域医疗中心")
            fig.canvas.draw()
        return {"missing": [str(w.message) for w in caught if "missing from font" in str(w.message)],
                "path": font_manager.findfont(title.get_fontproperties()),
                "family": list(matplotlib.rcParams["font.family"])}

    out = {}
    if sys.argv[1] == "load":
        out["before"] = draw()  # the control: matplotlib's default font has no Chinese
        import nrmc
        nrmc.load(sys.argv[2])
    else:
        from nrmc import charts
    out["after"] = draw()
    print(json.dumps(out))
""")


def draw(mode: str) -> dict:
    import json

    r = subprocess.run([sys.executable, "-c", CHART, mode, str(MINIMAL)], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("mode", ["load", "charts"])
def test_a_chart_with_chinese_labels_uses_the_cjk_font(mode):
    """A chart of one's own, drawn after `nrmc.load()` (or after `from nrmc import charts`), in a
    fresh interpreter: no glyph missing, the title drawn with the CJK font."""
    from nrmc import fonts

    font = fonts.cjk_font()
    got = draw(mode)
    if mode == "load":
        assert got["before"]["missing"] and got["before"]["path"] != font.path  # the boxes the test would see
    assert got["after"]["missing"] == []
    assert got["after"]["path"] == font.path and got["after"]["family"][0] == font.family


def test_load_without_a_cjk_font_warns_and_still_loads(monkeypatch):
    from nrmc import fonts

    def missing(bold=False):
        raise fonts.MissingCJKFontError(f"No CJK font. Install it: {fonts.INSTALL_HINT}")

    monkeypatch.setattr(fonts, "cjk_font", missing)
    monkeypatch.setattr(explore, "_font_done", False)
    with pytest.warns(UserWarning, match="empty boxes.*apt-get install fonts-noto-cjk"):
        ds = nrmc.load(MINIMAL)
    assert len(ds.centers) == 4


# ---------------------------------------------------------------------------------------------
# the notebook, executed as a user would run it
REPORT = """
import json as _json, pandas as _pd
print("NRMC-ANSWERS " + _json.dumps({n: v.to_dict(orient="list") for n, v in Out.items() if isinstance(v, _pd.DataFrame)},
                                    default=str, ensure_ascii=False))
"""


@pytest.mark.e2e
def test_explore_notebook_runs_and_answers_the_five_questions():
    import json

    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(NOTEBOOK, as_version=4)
    assert nb.metadata["kernelspec"]["name"] == "python3"
    assert all(not c.get("outputs") and c.get("execution_count") is None for c in nb.cells if c.cell_type == "code")
    nb.cells.append(nbformat.v4.new_code_cell(REPORT))  # the test's own last cell: every table the cells showed
    NotebookClient(nb, timeout=600, kernel_name="python3",
                   resources={"metadata": {"path": str(NOTEBOOK.parent)}}).execute()
    outputs = [o for c in nb.cells for o in c.get("outputs", [])]
    assert not [o for o in outputs if o.output_type == "error"]
    stderr = "".join(o.text for o in outputs if o.output_type == "stream" and o.name == "stderr")
    assert "missing from font" not in stderr and "findfont" not in stderr, stderr
    report = next(o.text for o in nb.cells[-1].outputs if o.output_type == "stream" and "NRMC-ANSWERS" in o.text)
    tables = json.loads(report.split("NRMC-ANSWERS ", 1)[1])
    cells = {c.get("id"): c for c in nb.cells}

    def shown(cell_id: str) -> dict:
        return tables[str(cells[cell_id].execution_count)]

    q1 = shown("q1-lead-hospitals")
    want = Counter(c["output_hospital_zh"] for c in approved())
    assert q1["centres"] == sorted(want.values(), reverse=True)[:len(q1["centres"])] and len(q1["centres"]) == min(10, len(want))
    assert all(want[h] == n for h, n in zip(q1["lead_hospital"], q1["centres"]))

    q2 = shown("q2-planned-specialties")
    counts = {c: sum(x["specialty"] == c for x in approved()) for c in planned_codes()}
    assert q2["centres"] == sorted(q2["centres"]) and dict(zip(q2["specialty_code"], q2["centres"])) == counts

    q3 = shown("q3-province-latest")
    ids = sorted(c["center_id"] for c in approved() if c["province_code"] == "340000")
    per_centre = Counter(s for s, *_ in expected_latest(set(ids)))
    assert len(q3["centre_id"]) == sum(max(1, per_centre[i]) for i in ids) and sorted(set(q3["centre_id"])) == ids
    assert all(t for t, v in zip(q3["source_title"], q3["value"]) if v not in (None, "nan", "<NA>"))

    q4 = shown("q4-chart")
    prov = provinces()
    for name, n in zip(q4["name"], q4["centres"]):
        codes = {c for c, p in prov.items() if f"{p['region']}地区" == name}
        assert codes and n == sum(c["province_code"] in codes for c in approved()), name
    assert any("image/png" in o.data for o in cells["q4-chart"].outputs if o.output_type == "display_data")
    national = shown("q4-per-head")
    assert dict(zip(national["basis"], national["centres"]))["named"] == len(approved())

    q5 = shown("q5-opened-before")
    assert dict(zip(q5["centre_id"], q5["opened"])) == expected_openings(date(2024, 1, 1))
