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
import io
from dataclasses import fields, replace

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


def scope_dataset(ds: Dataset, code: str | None) -> Dataset:
    """The subset of `ds` the briefing of province `code` reads (`None` or '' = national: all)."""
    if not code:
        return ds
    c = ds.centers
    own = (c["province_code"] == code) | (c["output_province_code"] == code)
    others = c.loc[~own].copy()
    for col in c.columns:
        if col not in OTHER_CENTRE_COLUMNS and not col.startswith("_") and not col.endswith("_dt"):
            others[col] = ""
    for col in c.columns:  # parsed dates of blanked columns go too
        if col.endswith("_dt") and col[:-3] not in OTHER_CENTRE_COLUMNS:
            others[col] = pd.NaT
    centers = pd.concat([c.loc[own], others]).sort_index()
    own_ids = set(c.loc[c["province_code"] == code, "center_id"])
    shown_ids = set(c.loc[own, "center_id"])
    m = ds.metrics
    prc_ids = set(ds.provincial_centers.loc[ds.provincial_centers["province_code"] == code, "prc_id"])
    # the figures of centres its hospitals lead elsewhere too: the exports section prints them
    keep = (m["subject_id"].isin(shown_ids | prc_ids | {code})
            | (m["subject_id"] == "national")
            | (m["metric"].isin(STATUS_METRICS) & (m["breakdown"] == ""))
            | (m["metric"].isin(PEER_METRICS) & m["subject_id"].str.fullmatch(r"\d{6}")))
    hospitals_named = set(centers.loc[centers["center_id"].isin(shown_ids), ["output_hospital_zh", "host_hospital_zh",
                                                                            "host_hospital_zh_corrected"]].stack())
    return replace(
        ds,
        centers=centers,
        metrics=m.loc[keep],
        # the stages of the centres it shows: its own and those its hospitals lead elsewhere (an
        # exporter's briefing says how far those have got)
        stages=ds.stages.loc[ds.stages["center_id"].isin(shown_ids)],
        center_batches=ds.center_batches.loc[ds.center_batches["center_id"].isin(shown_ids)],
        hospitals=ds.hospitals.loc[ds.hospitals["name_zh"].isin(hospitals_named)],
        provincial_centers=ds.provincial_centers.loc[ds.provincial_centers["province_code"] == code],
        reference_date=ds.latest_date,  # ages are counted to the whole dataset's latest date
        reference_text=ds.latest_date_text,
    )


def dataset_digest(ds: Dataset) -> str:
    """A digest of a dataset's content: every table, every column, rows in file order."""
    h = hashlib.sha256()
    for f in fields(ds):
        value = getattr(ds, f.name)
        if not isinstance(value, pd.DataFrame):
            continue
        cols = sorted(col for col in value.columns if col != "_line" and not col.endswith("_dt"))
        buf = io.StringIO()
        value[cols].to_csv(buf, index=False, lineterminator="\n")
        h.update(f.name.encode() + b"\0" + buf.getvalue().encode() + b"\0")
    h.update(str(ds.as_of_date).encode())
    h.update(str(ds.reference_date).encode())
    h.update(ds.reference_text.encode())
    return h.hexdigest()


def scope_digest(ds: Dataset, code: str | None) -> str:
    """The digest of what the briefing of `code` (None: national) reads."""
    return dataset_digest(scope_dataset(ds, code))
