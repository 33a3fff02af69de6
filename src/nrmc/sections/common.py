"""Evidence rows and pieces that several sections build the same way."""
from __future__ import annotations

import pandas as pd
from markupsafe import Markup

from nrmc import charts, coverage, dates, i18n
from nrmc.data import records
from nrmc.context import ShortName, Suffixed
from nrmc.findings import Num, Row, When, centre_row, metric_row
from nrmc.labels import fmt_number
from nrmc.sections.base import render

POP_SOURCE = "R04"


def population_row(b, code: str | None) -> Row:
    """A province's (or China's: the 31 provinces' sum) year-end population, in 万人, as evidence."""
    year = b.nat.pop_year
    if code is None:
        value = b.nat.population
        what = ("31个省份年末常住人口合计", "year-end resident population of the 31 provinces")
    else:
        value = float(b.status.set_index("code").loc[code, "population"])
        name = b.status.set_index("code").loc[code]
        what = (f"{name['name_zh_short']}年末常住人口", f"year-end resident population of {name['name_en']}")
    return Row("population", f"provinces.csv pop_{year} {code or 'sum'}", POP_SOURCE, str(year), "stated", "",
               what[0], what[1], value, "万人")


def official_total_row(b) -> Row | None:
    """The latest official national total (milestones.csv) as evidence."""
    ms = b.ds.milestones[b.ds.milestones["projects_total"].notna()].sort_values("date_dt")
    if ms.empty:
        return None
    r = ms.iloc[-1]
    basis = b.sources[r["source_id"]]["date_basis"] or "stated"
    quote = r.get("quote", "") or r.get("event_zh", "") or ""
    return Row("milestone", f"milestones.csv line {int(r['_line'])}", r["source_id"], r["date"], basis if basis != "not_before" else "stated",
               quote, "官方公布的国家区域医疗中心项目总数", "official total of NRMC projects", float(r["projects_total"]), "个")


NAMED_COLUMNS = ("center_id", "name_zh", "name_en", "source_ids", "first_reported", "province_code",
                 "output_province_code")


def named_rows(b, centres: pd.DataFrame) -> list[Row]:
    """Each named centre as evidence: the earliest source naming it, at that source's date. A
    province's briefing quotes the names of its own centres (and those its hospitals lead); of
    the others it reads only that a source names them (nrmc.inputs: it never sees their names)."""
    src = b.sources
    out = []
    # only the columns read here and by centre_row: a row of all ~26 columns cost more than the rest
    cols = [c for c in NAMED_COLUMNS if c in centres.columns]
    for r in centres[cols].pipe(records):
        sid = r["source_ids"].split(";")[0]
        s = src[sid]
        row = centre_row(r, sid, r["first_reported"], s["date_basis"] or "stated")
        if not (b.national or b.code in (r["province_code"], r["output_province_code"])):
            row = Row(row.kind, row.ref, row.source_id, row.date, row.basis, "", i18n.label("zh", "annex.other_centre"),
                      i18n.label("en", "annex.other_centre"), subject=row.subject)
        out.append(row)
    return out


def stated_count_row(b, code: str) -> Row | None:
    """A source's stated number of centres for a province (the latest), as evidence."""
    m = b.ds.metrics
    m = m[(m["metric"] == coverage.COUNT_METRIC) & (m["subject_id"] == code) & (m["breakdown"] == "")]
    if m.empty:
        return None
    r = m.sort_values("as_of_dt").iloc[-1]
    return metric_from_metrics(b, r)


def metric_from_metrics(b, r) -> Row:
    """A raw metrics.csv row as evidence (labels from its definition, basis from its source)."""
    if "metric_labels" not in b._cache:  # code -> (label_zh, label_en), once per briefing
        defs = b.ds.metric_definitions
        b._cache["metric_labels"] = dict(zip(defs["code"], zip(defs["label_zh"], defs["label_en"])))
    sb = b.sources.get(r["source_id"], {}).get("date_basis")
    d = dict(r)
    d["label_zh"], d["label_en"] = b._cache["metric_labels"][r["metric"]]
    d["date_basis"] = dates.effective_basis(r["as_of_basis"], sb)
    return metric_row(d)


def rate(n: int | float, rows_n: list[Row], pop: Row, decimals: int = 2) -> Num:
    """Centres per 10 million residents, computed from a count (or a figure) and a population row."""
    value = float(n) / pop.value * 1000
    how_zh = f"{fmt_number(n)} ÷ {fmt_number(pop.value)}万人（{pop.date}年末）× 1000万"
    how_en = f"{fmt_number(n)} ÷ {fmt_number(pop.value * 10_000)} residents (end {pop.date}) × 10 million"
    return Num(value, "rate", tuple(rows_n) + (pop,), decimals=decimals, how_zh=how_zh, how_en=how_en)


def sources_line(b, ids, *, population: bool = False, limit: int = 3) -> str:
    """Sources under a chart, in words: publisher and date ('贵州日报，约2024年10月'), the first
    `limit` by citation, then how many more; each cited in the briefing's numbering too."""
    ids = list(dict.fromkeys(i for i in ids if i))
    for i in ids:
        b.cit.number(i)
    words = [b.source_words(i) for i in ids]
    if population:
        b.cit.number(POP_SOURCE)
        words.append(b.L("chart.population_source", year=b.nat.pop_year))
    # one source over the limit is named rather than counted ("and 1 more sources")
    shown = words[:limit + 1] if len(words) == limit + 1 else words[:limit]
    more = len(words) - len(shown)
    # inside a line a descriptive outlet is not a name: "…; compiled by Ding Siyue", "…; unnamed outlet (repost)"
    shown = [w if i == 0 or b.zh or not w.startswith(("Compiled by", "Unnamed outlet", "Hospital-directory"))
             else i18n.lower_first(w) for i, w in enumerate(shown)]
    text = b.L("chart.sources_sep").join(shown)
    if more > 0:
        text += b.L("chart.and_more", n=more)
    return b.L("chart.sources", list=text)


def figure_html(b, chart, title: str | Markup, source: str, note: str | Markup = "", flex: bool = True,
                cls: str = "") -> Markup:
    return render("figure.html.j2", chart=chart, title=title, source=source, note=note, flex=flex, cls=cls)


def national_map(b, highlight: str | None = None):
    """The tile map of all provinces by what the sources support (drawn the same in every briefing)."""
    from nrmc.sections.maps import national_map as _map

    return _map(b.status, b.lang, highlight=highlight)


def centre_name(b, c: dict, province: bool = False) -> str:
    """A centre's short name; with `province`, the province it is in ('Fudan Children's Anhui',
    'Jiangsu People's Chongqing', 'SYSU Cancer Center Gansu'; 'X in Hebei' where the short name
    does not carry its place) for a list of centres in several provinces."""
    name = b.centre(c, short=True)
    where = b.pname(c["province_code"])
    if province and not b.zh and where not in name:  # short names mostly carry their place already
        if isinstance(name, ShortName):  # still spelled out at its first use
            return Suffixed(name, b.L("centre_in", centre="", province=where))
        return b.L("centre_in", centre=name, province=where)
    return name


def stage_when(e) -> When:
    return When(e.date, e.basis, ())


def metric_row_of(r) -> Row:
    """A row of `performance.figures` (labels and effective date basis already there) as evidence."""
    return metric_row(r)


def milestone_row(b, r) -> Row:
    """A milestones.csv row (a national total or batch) as evidence."""
    return Row("milestone", f"milestones.csv line {int(r['_line'])}", r["source_id"], r["date"], r["date_basis"] or "stated",
               r.get("event_zh", "") or "", r.get("event_zh", "") or "", r.get("event_en", "") or "",
               float(r["projects_total"]) if r["projects_total"] == r["projects_total"] and r["projects_total"] is not None else None,
               "个")
