"""The lifecycle of centres on a time line: one row per centre, its phases (approved, trial, open)
tiling the time from its first event to the briefing's date, expected openings and dates known
only as bounds drawn dashed."""
from __future__ import annotations

import math
from typing import Any, Mapping, Sequence

from matplotlib.lines import Line2D
from matplotlib.patches import Rectangle

from nrmc.charts.axes import _label_column, _year_ticks
from nrmc.charts.cache import _get, draws
from nrmc.charts.frame import _Entry, _Frame, _legend_below, _new_fig
from nrmc.charts.params import _date, _sep, _year
from nrmc.charts.style import DARK, LIGHT, MID, PAD, W_PT
from nrmc.charts.svg import Chart, _finish
from nrmc.charts.text import LINESPACING, _box, _clean, _tw

# A row per centre, drawn as phases that tile the time line, so that nothing overlaps however close
# two events are: a thin line once approved (or listed, or an agreement signed), a light bar in
# trial or transitional operation, a dark bar once open; a dashed box for an expected opening; and
# a dashed start where a date is known only as "by" (or "about") it. The legend has at most four
# entries; the stage words and dates themselves belong in the table beside the chart.
PHASES = ("approved", "trial", "open")  # drawn phases, in the order a centre goes through them
STAGE_PHASE = {"agreement": "approved", "approved": "approved", "plaque": "approved", "listed": "approved",
               "under_construction": "approved", "built": "approved", "trial": "trial", "open": "open",
               "operating": "open"}
EXPECTED_STAGES = ("expected_open",)
LEGEND_KEYS = ("approved", "trial", "open", "dashed")
LEGEND_TEXT = {"zh": {"approved": "获批、签约或列入清单", "trial": "试运行或过渡期运营", "open": "开诊或正式运营",
                      "dashed": "虚线：预计，或只知“不晚于”（约）某日"},
               "en": {"approved": "approved, agreed or listed", "trial": "trial or transitional operation",
                      "open": "open or in full operation", "dashed": "dashed: expected, or a date that is only an upper bound (or approximate)"}}
PHASE_H = {"approved": 1.4, "trial": 6.0, "open": 8.0}  # pt: line width, bar heights
PHASE_FACE = {"approved": "#8c8c8c", "trial": LIGHT, "open": DARK}
PHASE_EDGE = {"approved": "#8c8c8c", "trial": MID, "open": DARK}
DASH = (0, (2.0, 1.4))
FUZZY_PT = 7.0     # pt: length of a dashed start
LC_ROW_MIN = 15.0  # pt: height of a row


def lifecycle(rows: Sequence[Any], *, lang: str, end: Any, stage_labels: Mapping[str, str] | None = None,
              stage_order: Sequence[str] | None = None, basis_labels: Mapping[str, str] | None = None,
              alt: str | None = None) -> Chart:
    """One row per centre (or group of centres), first row on top: from its first event to `end`,
    the phase it is in (approved: thin line; trial: light bar; open: dark bar), an expected opening
    as a dashed box, a date known only as "by"/"about" as a dashed start. `rows`: [{"label": str,
    "events": [(date, stage, basis), ...]}] (or (label, events) pairs); basis one of stated,
    not_after, about, expected. The legend (at most four entries, only those drawn) says
    `stage_labels[k]` for k in approved, trial, open and `basis_labels["dashed"]` for the dashes
    when given, else the default words of `lang`. `stage_order` is accepted and ignored."""
    norm = []
    for r in rows:
        label, events = (r["label"], r["events"]) if isinstance(r, Mapping) else (r[0], r[1])
        evs = []
        for d, stage, basis in events:
            basis = _clean(basis) or "stated"
            if basis not in ("stated", "not_after", "about", "expected"):
                raise ValueError(f"lifecycle: unknown basis {basis!r}")
            stage = _clean(stage)
            if stage not in STAGE_PHASE and stage not in EXPECTED_STAGES:
                raise ValueError(f"lifecycle: unknown stage {stage!r}")
            evs.append([_date(d), stage, basis])
        evs.sort()
        norm.append({"label": _clean(label), "events": evs})
    default = LEGEND_TEXT["zh" if lang == "zh" else "en"]
    given = {**(stage_labels or {}), **(basis_labels or {})}
    legend = {k: _clean(given.get(k) or default[k]) for k in LEGEND_KEYS}
    params = {"rows": norm, "lang": lang, "end": _date(end), "legend": legend}
    key, base = _get("lifecycle", params)
    if alt is None:
        zh = lang == "zh"
        sl = {k: _clean(v) for k, v in (stage_labels or {}).items()}
        alt = _sep(zh).join(
            r["label"] + ("：" if zh else ": ") + ("，" if zh else ", ").join(
                f"{sl.get(s, s)} {BASIS_MARK.get(b, '')}{d}" for d, s, b in r["events"]) for r in norm)
    return _finish(base, key, alt)


BASIS_MARK = {"not_after": "≤", "about": "≈", "expected": "~"}


def lifecycle_segments(events: Sequence[Sequence[str]], end: str) -> tuple[list[dict], list[dict]]:
    """The pieces of a row: phases that tile the time from the first event to `end` (a phase
    never goes back: a later "listed" does not undo an opening), each with `start`, `stop` (years),
    `phase` and `exact` (False when the event that starts it has a "by"/"about" date); and the
    expected openings after the last phase began, each with `start` and `stop`."""
    reached = [(_year(d), STAGE_PHASE[s], b) for d, s, b in events if s in STAGE_PHASE]
    x_end = _year(end)
    segs: list[dict] = []
    best = -1
    for x, phase, basis in reached:
        k = PHASES.index(phase)
        if k <= best:
            continue  # no progress: the phase already reached goes on
        best = k
        if segs and x <= segs[-1]["start"]:
            segs[-1].update(phase=phase, exact=segs[-1]["exact"] and basis == "stated")  # same day: the further phase
            continue
        if segs:
            segs[-1]["stop"] = x
        segs.append({"start": x, "stop": max(x, x_end), "phase": phase, "exact": basis == "stated"})
    expected = []
    last = segs[-1]["start"] if segs else None
    for d, s, b in events:
        if s in EXPECTED_STAGES and best < PHASES.index("open"):
            x = _year(d)
            start = max(x_end, last if last is not None else x_end)
            if x > start:
                expected.append({"start": start, "stop": x})
            else:  # expected by a date already past: the dashed box marks the date itself
                expected.append({"start": x, "stop": x})
    return segs, expected


def _lifecycle_legend(legend: Mapping[str, str], phases: set, dashed: bool) -> list[_Entry]:
    """At most four entries: the phases drawn, then the dashes if any are drawn."""
    out = []
    for ph in PHASES:
        if ph not in phases:
            continue
        if ph == "approved":
            out.append(_Entry("line", dict(color=PHASE_FACE[ph], linewidth=PHASE_H[ph]), legend[ph]))
        else:
            out.append(_Entry("patch", dict(facecolor=PHASE_FACE[ph], edgecolor=PHASE_EDGE[ph], linewidth=0.6), legend[ph]))
    if dashed:
        out.append(_Entry("patch", dict(facecolor="white", edgecolor=DARK, linewidth=0.9, linestyle=DASH), legend["dashed"]))
    return out


@draws("lifecycle")
def _draw_lifecycle(p: dict):
    fig = _new_fig()
    frame = _Frame(fig)
    rows = p["rows"]
    end = p["end"]
    x_end = _year(end)
    pieces = [lifecycle_segments(r["events"], end) for r in rows]
    starts = [s["start"] for segs, exp in pieces for s in segs + exp]
    stops = [s["stop"] for segs, exp in pieces for s in segs + exp] + [x_end]
    x0 = math.floor(min(starts + [x_end]) - 0.15)
    x1 = max(stops) + 0.2
    wrapped, label_w = _label_column([r["label"] for r in rows])
    left = PAD + label_w + 4.0
    avail = W_PT - PAD - left
    ticks = _year_ticks(x0, x1, avail)
    rm = max(0.0, _tw(str(ticks[-1])) / 2 - (x1 - ticks[-1]) / (x1 - x0) * avail) if ticks else 0.0
    A = avail - rm - 1.0
    u = A / (x1 - x0)  # points per year
    row_h = [max(LC_ROW_MIN, _box(w)[1] + 5.0) for w in wrapped]
    total = sum(row_h)
    ax = frame.add(left, PAD + 2.0, A, total, frameless=False)
    centers, y = [], 0.0
    for h in row_h:
        centers.append(y + h / 2)
        y += h
    ax.set_ylim(total, 0)
    ax.set_xlim(x0, x1)
    ax.set_yticks(centers, wrapped)
    for lab in ax.get_yticklabels():
        lab.set_linespacing(LINESPACING)
        lab.set_parse_math(False)
    ax.tick_params(axis="y", length=0, pad=4.0)
    ax.set_xticks(ticks, [str(t) for t in ticks])
    ax.grid(axis="x", color="#e9e9e9", linewidth=0.6)
    ax.set_axisbelow(True)
    for side in ("left", "right", "top"):
        ax.spines[side].set_visible(False)
    fuzzy = FUZZY_PT / u  # years
    phases: set = set()
    dashed = False
    for yc, (segs, exp) in zip(centers, pieces):
        for sg in segs:
            ph = sg["phase"]
            phases.add(ph)
            a, b = sg["start"], sg["stop"]
            cut = a if sg["exact"] else min(b, a + fuzzy)  # a dashed start where the date is a bound
            dashed = dashed or not sg["exact"]
            if ph == "approved":
                if cut > a:
                    ax.add_line(Line2D([a, cut], [yc, yc], color=PHASE_FACE[ph], linewidth=PHASE_H[ph], linestyle=DASH,
                                       solid_capstyle="butt", dash_capstyle="butt", zorder=3))
                if b > cut:
                    ax.add_line(Line2D([cut, b], [yc, yc], color=PHASE_FACE[ph], linewidth=PHASE_H[ph],
                                       solid_capstyle="butt", zorder=3))
                continue
            h = PHASE_H[ph]
            if cut > a:
                ax.add_patch(Rectangle((a, yc - h / 2), cut - a, h, facecolor="white", edgecolor=PHASE_EDGE[ph],
                                       linewidth=0.9, linestyle=DASH, zorder=3))
            if b > cut:
                ax.add_patch(Rectangle((cut, yc - h / 2), b - cut, h, facecolor=PHASE_FACE[ph], edgecolor=PHASE_EDGE[ph],
                                       linewidth=0.6, zorder=3))
        for e in exp:
            dashed = True
            h = PHASE_H["open"]
            w = max(e["stop"] - e["start"], 2.0 / u)
            ax.add_patch(Rectangle((e["start"], yc - h / 2), w, h, facecolor="none", edgecolor=DARK, linewidth=0.9,
                                   linestyle=DASH, zorder=4))
    below = 3.0 + 2.0 + _box("0")[1]
    top = PAD + 2.0 + total + below
    lh = _legend_below(frame, _lifecycle_legend(p["legend"], phases, dashed), top + 5.0)
    frame.finish(top + (5.0 + lh if lh else 0.0) + PAD)
    return fig, frame, {}
