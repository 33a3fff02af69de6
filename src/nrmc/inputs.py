"""What each briefing reads: the part of the dataset a briefing is composed from.

A province's briefing is composed from `scope_dataset(ds, code)` — its own centres, stages, figures
and provincial centres in full, the centres its hospitals lead elsewhere with their figures and
stages (what the lead hospitals send: experts, technologies; how far those centres have got), and of
everything else
only what it prints about other provinces (counts for the map and ranks, the totals it compares
with, the national figures and milestones). Because the briefing cannot see anything outside this
subset, the digest of the subset (`scope_digest`) changes whenever the briefing's content can
change, and an edit elsewhere in the data leaves it — and the briefing — as they are. The
national overview reads everything.
"""
from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, fields, replace

import numpy as np
import pandas as pd

from nrmc.data import Dataset

# Columns of other provinces' centres that a province's briefing uses (map, ranks, region, the
# national count of each specialty, the citations of the map).
OTHER_CENTRE_COLUMNS = ("center_id", "province_code", "output_province_code", "status", "specialty",
                        "specialty_basis", "focus_specialties", "first_reported", "source_ids")
# Province totals a briefing compares with (the same list as the results it shows).
PEER_METRICS = ("new_technologies", "tech_province_firsts", "resident_experts", "expert_visits", "visiting_experts",
                "beds", "surgeries_level4", "national_key_specialties", "expert_studios", "outpatient_visits")
STATUS_METRICS = ("nrmc_count", "first_approval_batch")


@dataclass(frozen=True)
class ScopeRows:
    """Which rows of the dataset a province's briefing reads: `own` marks the centres it shows in
    full (in the province, or led by its hospitals), the others keep only OTHER_CENTRE_COLUMNS;
    `tables` holds a row mask for each table it reads in part (the others it reads whole)."""

    own: np.ndarray
    tables: dict[str, np.ndarray]
    reference_date: object
    reference_text: str


def _shared_metrics(ds: Dataset) -> np.ndarray:
    """The figures every province's briefing reads: national ones, each province's status, and the
    province totals it compares with."""
    def make(d: Dataset) -> np.ndarray:
        m = d.metrics
        return ((m["subject_id"] == "national")
                | (m["metric"].isin(STATUS_METRICS) & (m["breakdown"] == ""))
                | (m["metric"].isin(PEER_METRICS) & m["subject_id"].str.fullmatch(r"\d{6}"))).to_numpy(dtype=bool)

    return ds.derived("inputs.shared_metrics", make, "metrics")


def scope_rows(ds: Dataset, code: str) -> ScopeRows:
    """The rows of `ds` the briefing of province `code` reads (`scope_dataset` takes them)."""
    c = ds.centers
    own = ((c["province_code"] == code) | (c["output_province_code"] == code)).to_numpy(dtype=bool)
    shown_ids = set(c["center_id"].to_numpy()[own])
    pc = ds.provincial_centers
    in_province = (pc["province_code"] == code).to_numpy(dtype=bool)
    prc_ids = set(pc["prc_id"].to_numpy()[in_province])
    m = ds.metrics
    # the figures of centres its hospitals lead elsewhere too: the exports section prints them
    keep = m["subject_id"].isin(shown_ids | prc_ids | {code}).to_numpy(dtype=bool) | _shared_metrics(ds)
    named = set(c.loc[own, ["output_hospital_zh", "host_hospital_zh", "host_hospital_zh_corrected"]].stack())
    return ScopeRows(
        own=own,
        tables={
            "metrics": keep,
            # the stages of the centres it shows: its own and those its hospitals lead elsewhere (an
            # exporter's briefing says how far those have got)
            "stages": ds.stages["center_id"].isin(shown_ids).to_numpy(dtype=bool),
            "center_batches": ds.center_batches["center_id"].isin(shown_ids).to_numpy(dtype=bool),
            "hospitals": ds.hospitals["name_zh"].isin(named).to_numpy(dtype=bool),
            "provincial_centers": in_province,
        },
        reference_date=ds.latest_date,  # ages are counted to the whole dataset's latest date
        reference_text=ds.latest_date_text,
    )


def other_centres(c: pd.DataFrame) -> pd.DataFrame:
    """Centres as a province's briefing sees those it does not show: OTHER_CENTRE_COLUMNS only, the
    rest blank (and the parsed dates of blanked columns missing)."""
    c = c.copy()
    for col in c.columns:
        if col.endswith("_dt"):
            if col[:-3] not in OTHER_CENTRE_COLUMNS:
                c[col] = pd.NaT
        elif col not in OTHER_CENTRE_COLUMNS and not col.startswith("_"):
            c[col] = ""
    return c


def scope_dataset(ds: Dataset, code: str | None) -> Dataset:
    """The subset of `ds` the briefing of province `code` reads (`None` or '' = national: all)."""
    if not code:
        return ds
    rows = scope_rows(ds, code)
    c = ds.centers
    centers = pd.concat([c.loc[rows.own], other_centres(c.loc[~rows.own])]).sort_index()
    return replace(ds, centers=centers, **{name: getattr(ds, name).loc[mask] for name, mask in rows.tables.items()},
                   reference_date=rows.reference_date, reference_text=rows.reference_text)


def digest_columns(df: pd.DataFrame) -> list[str]:
    """The columns a digest covers: all but the line numbers and the parsed twins of dates."""
    return sorted(col for col in df.columns if col != "_line" and not col.endswith("_dt"))


def row_texts(df: pd.DataFrame) -> list[bytes]:
    """One text per row of `df`'s digest columns (the repr of its values: a changed value or type
    changes it), for digests of a table or of any selection of its rows."""
    cols = digest_columns(df)
    if not len(df):
        return []
    return [repr(r).encode() + b"\n" for r in df[cols].to_numpy(dtype=object).tolist()]


def table_text(name: str, df: pd.DataFrame, rows: Iterable[bytes]) -> bytes:
    return name.encode() + b"\0" + ",".join(digest_columns(df)).encode() + b"\n" + b"".join(rows) + b"\0"


def dataset_digest(ds: Dataset) -> str:
    """A digest of a dataset's content: every table, every column, rows in order."""
    h = hashlib.sha256()
    for f in fields(ds):
        value = getattr(ds, f.name)
        if isinstance(value, pd.DataFrame):
            h.update(table_text(f.name, value, row_texts(value)))
    h.update(str(ds.as_of_date).encode())
    h.update(str(ds.reference_date).encode())
    h.update(ds.reference_text.encode())
    return h.hexdigest()


def scope_digest(ds: Dataset, code: str | None) -> str:
    """The digest of what the briefing of `code` (None: national) reads."""
    return dataset_digest(scope_dataset(ds, code))
