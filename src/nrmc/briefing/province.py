"""The briefing of one province.

Four kinds of province, one structure (what the sources support, never more):
- host: a source names its centres or states their number (安徽: 9 stated, 7 named);
- known: a source says it has centres but neither names nor counts them (湖北: first approved in
  the fifth batch);
- exporter: no local centre in the sources, but its hospitals lead centres elsewhere (上海);
- unknown: nothing in the sources (西藏) — which is not the same as none.
"""
from __future__ import annotations

import functools

import numpy as np
import pandas as pd
from markupsafe import Markup, escape

from nrmc import charts, coverage, dates, inputs, lifecycle, performance
from nrmc.briefing.base import BASELINE_METRIC, OUTFLOW_METRIC, Briefing
from nrmc.briefing.common import national_map
from nrmc.labels import fmt_number, fmt_value
from nrmc.render import Section, table

# Results a reader looks for first, in this order (province totals, then centres); the province
# totals of other provinces the briefing compares with are part of what it reads (nrmc.inputs).
RESULT_METRICS = inputs.PEER_METRICS
FLOW_METRICS = ("out_of_province_patients", "out_of_province_patients_growth", "outflow_decline_rank")
CORE = performance.CORE_METRICS
SMALL = 5  # fewer centres than this: no share-based statements


class ProvinceBriefing(Briefing):
    """The briefing of one province.

    >>> b = ProvinceBriefing("安徽")          # any name form: 安徽省, 皖, anhui, 340000, CN-AH
    >>> b.summary()                           # displays in Jupyter
    """

    kind = "province"
    parts = ("summary", "analysis", "annex")

    def __init__(self, province: object, lang: str = "zh", as_of=None, data_dir: str | None = None, ds=None,
                 full: bool = False):
        from nrmc.regions import resolve_province

        code = resolve_province(province, ds.data_dir if ds is not None else (data_dir or None))["code"]
        super().__init__(lang=lang, as_of=as_of, data_dir=data_dir, ds=ds, code=code, full=full)
        self.code = code
        self.prow = self.ds.provinces.set_index("code").loc[self.code]
        self.st = self.status.set_index("code").loc[self.code]
        self.role = self.st["role"]
        self.name = self.pname(self.code, full=True)
        self.short = self.pname(self.code)
        self.centres = coverage.province_centers(self.ds, self.code)
        self.approved = self.centres[self.centres["status"] != "planned"].reset_index(drop=True)
        self.planned_centres = self.centres[self.centres["status"] == "planned"].reset_index(drop=True)
        figs = performance.figures(self.ds, self.code)
        self.figs = figs[figs["kind"].isin(["province", "centre"])].reset_index(drop=True)
        self.prc_figs = figs[figs["kind"] == "provincial_centre"].reset_index(drop=True)
        self.nat_figs = performance.figures(self.ds, None)
        self.planned = coverage.planned_specialties(self.ds, self.code)
        self.origins = coverage.output_origins(self.ds, self.code)
        self.exported = coverage.as_origin(self.ds, self.code)
        self.cities = coverage.city_spread(self.ds, self.code)
        self.facts = self._facts()

    # =========================================================================================
    # facts: what the prose and the tests use
    # =========================================================================================
    def _facts(self) -> dict:
        st, nat = self.st, self.nat
        ps = self.planned
        count = None if pd.isna(st["count"]) else int(st["count"])
        return {
            "code": self.code,
            "role": self.role,
            "named": int(st["named"]),
            "stated": None if pd.isna(st["stated"]) else int(st["stated"]),
            "stated_as_of": None if pd.isna(st["stated"]) else st["stated_as_of"],
            "stated_source": None if pd.isna(st["stated"]) else st["stated_source"],
            "first_batch": None if pd.isna(st["first_batch"]) else int(st["first_batch"]),
            "count": count,
            "count_basis": st["count_basis"],
            "per_10m": None if pd.isna(st["per_10m"]) else float(st["per_10m"]),
            "per_10m_named": None if pd.isna(st["per_10m_named"]) else float(st["per_10m_named"]),
            "rank": None if pd.isna(st["rank"]) else int(st["rank"]),
            "n_ranked": int(st["n_ranked"]),
            "exported": int(st["exported"]),
            "population": float(st["population"]),
            "pop_year": self.pop_year,
            "national_per_10m": nat.per_10m_official,
            # the national rate on the same basis as the province's count: a stated total is set
            # against the official total, a count of named centres against the named ones
            "compare_per_10m": nat.per_10m_official if st["count_basis"] == "stated" else nat.per_10m_named,
            "compare_basis": "official" if st["count_basis"] == "stated" else "named",
            "national_per_10m_named": nat.per_10m_named,
            "official_total": nat.official_total,
            "official_date": nat.official_date,
            "national_named": nat.named,
            "provinces_known": nat.provinces_known,
            "planned_present": int(ps["status"].isin(["has", "has_unnamed", "has_focus"]).sum()),
            "planned_total": len(ps),
            "figures": len(self.figs),
            "flagged": int((self.figs["flag"] != "").sum()),
        }

    def _rate(self, v) -> str:
        return "—" if v is None or pd.isna(v) else f"{v:.2f}"

    # =========================================================================================
    # composition
    # =========================================================================================
    def _compose(self) -> dict[str, Section]:
        parts: dict[str, Section] = {}
        parts["summary"] = self.render_part("summary", self._summary_pages())
        parts["analysis"] = self.render_part("analysis", self.analysis_pages(
            [self._coverage_pages() + self._specialty_pages(), self._performance_pages(), self._timeline_pages()]))
        parts["annex"] = self.render_part("annex", self._annex_pages())
        f = self.facts
        title = self.T(f"{self.name}国家区域医疗中心简报", f"National Regional Medical Centres: {self.name} briefing")
        window = self.window_text()
        self._meta = {
            "title": title, "scope": self.name, "slug": self.prow["slug"], "code": self.code, "kind": "province",
            "lang": self.lang, "as_of": window, "window": window,
            "window_first": self.window.first if self.window else None,
            "window_last": self.window.last if self.window else None,
            "pop_year": self.pop_year, "role": self.role,
            "centres_text": self._count_text(), "named": f["named"], "stated": f["stated"], "count": f["count"],
            "first_batch": f["first_batch"], "exported": f["exported"],
        }
        return parts

    # =========================================================================================
    # words used in several places
    # =========================================================================================
    def _count_text(self) -> str:
        """'9（具名7）' / '9 (7 named)'; '≥1' for a known province; '—' when unknown."""
        f = self.facts
        if f["count"] is None:
            return "≥1" if self.role == "known" else "—"
        if f["count_basis"] == "stated" and f["stated"] != f["named"]:
            return self.T(f"{f['count']}（具名{f['named']}）", f"{f['count']} ({f['named']} named)")
        return str(f["count"])

    def _count_phrase(self) -> str:
        """How the count is known, in a clause."""
        f = self.facts
        if f["count_basis"] == "stated":
            when = self.date(f["stated_as_of"], self._basis_of(f["stated_source"], f["stated_as_of"]))
            if f["stated"] != f["named"]:
                return self.T(f"来源所称（{when}），其中{f['named']}个有名称", f"as a source states ({when}); {f['named']} of them named")
            return self.T(f"来源所称（{when}），均有名称", f"as a source states ({when}); all named")
        return self.T("来源具名的中心数", "centres named in the sources")

    def _basis_of(self, source_id: str, as_of: str) -> str:
        m = self.ds.metrics
        row = m[(m["source_id"] == source_id) & (m["as_of"] == as_of)]
        b = row["as_of_basis"].iloc[0] if len(row) else "stated"
        sb = self.ds.sources.set_index("source_id").loc[source_id, "date_basis"]
        return dates.effective_basis(b, sb)

    def _versus(self) -> str:
        """'高于全国的0.53个（均按来源具名的中心计）' — the national rate on the province's own basis."""
        f = self.facts
        if f["compare_per_10m"] is None:  # milestones without an official total: nothing to set it against
            return self.T("来源未给出全国官方总数，无从比较", "with no official national total in the sources to compare it with")
        rel = self._rel(f["per_10m"], f["compare_per_10m"])
        if f["compare_basis"] == "named":
            return self.T(f"{rel}全国的{self._rate(f['compare_per_10m'])}个（均按来源具名的中心计）",
                          f"{rel} China's {self._rate(f['compare_per_10m'])} (both on centres named in the sources)")
        return self.T(f"{rel}全国的{self._rate(f['compare_per_10m'])}个（按{self._official()}计）",
                      f"{rel} China's {self._rate(f['compare_per_10m'])} (on {self._official()})")

    def _rel(self, a: float, b: float) -> str:
        if a > b:
            return self.T("高于", "above")
        if a < b:
            return self.T("低于", "below")
        return self.T("等于", "equal to")

    def _official(self) -> str:
        f = self.facts
        return self.T(f"{self.date(f['official_date'], record=False)}官方公布的总数{f['official_total']}个",
                      f"the official total of {f['official_total']} on {self.date(f['official_date'], record=False)}")

    # =========================================================================================
    # summary (two pages)
    # =========================================================================================
    def _summary_pages(self) -> list[dict]:
        p1 = {"kind": "summary", "classes": ["summary-1"], "id": "summary",
              "heading": self.T("摘要", "Summary"), "heading_id": "summary-heading", "blocks": []}
        p2 = {"kind": "summary", "classes": ["summary-2"], "id": "summary-2", "heading": None, "blocks": []}
        b1, b2 = p1["blocks"], p2["blocks"]
        b1.append(self.p(self._bottom_line(), "bottom-line"))
        b1.append({"type": "tiles", "items": self._tiles()})
        b1.extend(self._centres_list())
        b1.append(self._per_head_figure())
        b2.append(self.h3(self.T("已公布的成效（注明日期）", "Published results, with their dates")))
        b2.append({"type": "block", "title": None, "items": self._results(), "cls": "results"})
        b2.append(self._flows_block())
        cities = self._cities_block()
        if cities:
            b2.append(cities)
        prc = self._provincial_programme_box()
        if prc:
            b2.append(prc)
        b2.append({"type": "box", "title": self.T("阅读须知", "Before you read"), "items": self._caveats(), "cls": "box caveats"})
        b2.append(self._map_figure())
        return [p1, p2]

    # ---- bottom line ---------------------------------------------------------------------------
    def _bottom_line(self) -> Markup:
        f = self.facts
        cite = self.cit.refs
        if self.role == "host":
            refs = cite(*(self._naming_sources(self.approved) + ([f["stated_source"]] if f["stated_source"] else [])))
            if f["count_basis"] == "stated":
                when = self.date(f["stated_as_of"], self._basis_of(f["stated_source"], f["stated_as_of"]))
                named = (self.T(f"，其中{f['named']}个有名称", f", {f['named']} of them named") if f["stated"] != f["named"]
                         else self.T("，均有名称", ", all named"))
                head = self.T(f"据来源，{self.short}共有国家区域医疗中心{f['count']}个（{when}）{named}",
                              f"By the sources, {self.short} has {self.n_en(f['count'], 'national regional medical centre')} ({when}){named}")
            else:
                head = self.T(f"来源具名{self.short}的国家区域医疗中心{f['count']}个", f"The sources name {self.n_en(f['count'], 'national regional medical centre')} in {self.short}")
            rate = Markup(self.T("；按常住人口计，每千万人{}个，{}", "; that is {} per 10 million residents, {}")).format(
                self._rate(f['per_10m']), self._versus()) + (
                (cite(self.nat.official_source) if self.nat.official_source else Markup(""))
                if f["compare_basis"] == "official"  # the official total's report
                else cite(*dict.fromkeys(self._naming_sources(self.ds.counted_centers))))  # the lists that name the 75
            top = self._top_result()
            tail = Markup("")
            if top is not None:
                tail = Markup(self.T("；已公布成效中，{}{}（{}）", "; together they report {} ({})")).format(
                    *((self.subject(top), self.amount(top), self.fig_date(top)) if self.zh else (self.amount(top), self.fig_date(top)))) + cite(top["source_id"])
            if f["exported"]:
                tail += Markup(self.T("；来源具名的外省中心中，还有{1}个的输出医院在{0}", "; hospitals of {} also lead {} named by the sources in other provinces")).format(
                    self.short, f["exported"] if self.zh else self.n_en(f["exported"], "centre")) + cite(*self._naming_sources(self.exported))
            return Markup("{}{}{}{}{}").format(head, refs, rate, tail, self.stop())
        if self.role == "known":
            fb = self._first_batch_row()
            s = Markup(self.T("{}于第{}批（{}）首次获批国家区域医疗中心{}，但来源未列出其名称和数量",
                              "{} had its first national regional medical centre(s) approved in batch {} ({}){}, but the sources give neither their names nor their number")).format(
                self.short, f["first_batch"], self.fig_date(fb), cite(fb["source_id"]))
            if f["exported"]:
                s += Markup(self.T("；来源具名的外省中心中，有{1}个的输出医院在{0}", "; hospitals of {} lead {} named by the sources in other provinces")).format(
                    self.short, f["exported"] if self.zh else self.n_en(f["exported"], "centre")) + cite(*self.exported["source_ids"])
            return s + self.stop()
        if self.role == "exporter":
            s = Markup(self.T("{}在本项目中是输出地：来源具名的{}个中心中，有{}个的输出医院在{}，分布在{}个省份",
                              "{} is a source of expertise in this programme: of the {} centres named in the sources, {} are led by its hospitals, in {} provinces")).format(
                self.short, f["national_named"], f["exported"], self.short if self.zh else self.exported["province_code"].nunique(),
                self.exported["province_code"].nunique()) if self.zh else Markup(
                "{} is a source of expertise in this programme: of the {} centres named in the sources, {} {} led by its hospitals, in {}").format(
                self.short, f["national_named"], f["exported"], "is" if f["exported"] == 1 else "are",
                self.n_en(self.exported["province_code"].nunique(), "province"))
            s += self.cit.refs(*self.exported["source_ids"])
            s += Markup(self.T("；来源未提及{}本地的国家区域医疗中心（这不等于没有）", "; the sources mention no centre in {} itself (which is not the same as none)")).format(self.short)
            return s + self.stop()
        region = self.region_name(self.code)
        peers = self.status[(self.status["region"] == self.prow["region"]) & (self.status["code"] != self.code)]
        n = int(peers["named"].sum())
        k = int(peers["known"].sum())
        silent = peers[~peers["known"]]["name_zh_short" if self.zh else "name_en"].tolist()
        s = Markup(self.T("本简报的来源未提及{}的国家区域医疗中心（这不等于没有）；同属{}的其他{}个省份中，按来源{}个有中心，具名{}个",
                          "The sources of this briefing mention no national regional medical centre in {} (which is not the same as none); in {}, the sources say {} of the other {} provinces have centres, {} of them named")).format(
            *((self.short, region, len(peers), k, n) if self.zh else (self.short, region, k, len(peers), n)))
        if silent:
            s += Markup(self.T("；{}本地的中心来源亦未提及", "; they do not mention any in {} either")).format(self.join(silent))
        ids = self._naming_sources(self.ds.counted_centers[self.ds.counted_centers["province_code"].isin(peers["code"])]) + \
            peers["first_batch_source"].dropna().tolist()
        return s + self.cit.refs(*ids) + self.stop()

    def _first_batch_row(self):
        m = self.ds.metrics
        fb = performance.figures(self.ds, self.code)
        r = fb[fb["metric"] == "first_approval_batch"].sort_values("as_of_dt").iloc[-1]
        return r

    # ---- tiles -------------------------------------------------------------------------------------
    def _tiles(self) -> list[dict]:
        f = self.facts
        T = self.T
        tiles = []
        if self.role == "host":
            note = T(f"具名{f['named']}个", f"{f['named']} named") if f["count_basis"] == "stated" and f["stated"] != f["named"] \
                else T("均有名称", "all named") if f["count_basis"] == "stated" else T("来源具名", "named in the sources")
            tiles.append({"value": str(f["count"]), "label": T("国家区域医疗中心", self.noun_en(f["count"], "national regional medical centre")),
                          "note": note})
            rank = T(f"{f['n_ranked']}个有数量的省份中第{f['rank']}位", f"rank {f['rank']} of {f['n_ranked']} provinces with a number")
            named_rate = "" if f["count_basis"] != "stated" or f["stated"] == f["named"] else \
                T(f"；按具名计{self._rate(f['per_10m_named'])}", f"; {self._rate(f['per_10m_named'])} on named centres")
            tiles.append({"value": self._rate(f["per_10m"]), "label": T("每千万常住人口中心数", "centres per 10 million residents"),
                          "note": T(f"全国{self._rate(f['national_per_10m'])}（官方总数）、{self._rate(f['national_per_10m_named'])}（具名）；{rank}{named_rate}",
                                    f"China {self._rate(f['national_per_10m'])} (official total), {self._rate(f['national_per_10m_named'])} (named); {rank}{named_rate}")})
        elif self.role == "known":
            tiles.append({"value": "≥1", "label": T("国家区域医疗中心", "national regional medical centres"),
                          "note": T(f"第{f['first_batch']}批首次获批；名称与数量来源未列", f"first approved in batch {f['first_batch']}; names and number not in the sources")})
            tiles.append({"value": "—", "label": T("每千万常住人口中心数", "centres per 10 million residents"),
                          "note": T("数量未知，无法计算", "number unknown, so no rate")})
        else:
            tiles.append({"value": "—", "label": T("本地国家区域医疗中心", "centres in the province"),
                          "note": T("来源未提及（不等于没有）", "not in the sources (not the same as none)")})
        if f["exported"] or self.role in ("exporter", "known"):
            tiles.append({"value": str(f["exported"]) if f["exported"] else "—",
                          "label": T(f"来源具名的外省中心中，输出医院在{self.short}的", f"named {self.noun_en(len(self.exported), 'centre')} elsewhere led by hospitals of {self.short}"),
                          "note": T(f"分布在{self.exported['province_code'].nunique()}个省份", f"in {self.n_en(self.exported['province_code'].nunique(), 'province')}")
                          if f["exported"] else T("来源未提及", "none in the sources")})
        if self.role == "host":
            if f["planned_present"]:
                tiles.append({"value": f"{f['planned_present']}/{f['planned_total']}",
                              "label": T("规划重点专科（含中医）有中心", "planned specialties (incl. TCM) present"),
                              "note": self._planned_note()})
            else:  # e.g. a women's and children's centre: its specialty is not one of the 13
                own = self.join(dict.fromkeys(self.specialty_name(c) for c in self.approved["specialty"]))
                whose = self.noun_en(len(self.approved), "centre's", "centres'")
                tiles.append({"value": "—", "label": T("规划重点专科（含中医）", "planned specialties (incl. TCM)"),
                              "note": T(f"具名中心的专科（{own}，推断）不在规划的13个之列", f"the named {whose} specialty ({own}, inferred) is not one of the 13")})
        if self.role == "unknown":
            peers = self.status[(self.status["region"] == self.prow["region"])]
            tiles.append({"value": str(int(peers["named"].sum())), "label": T(f"{self.region_name(self.code)}具名中心", f"named centres in {self.region_name(self.code)}"),
                          "note": T(f"{int(peers['known'].sum())}个省份有中心", f"{int(peers['known'].sum())} provinces have centres")})
        tiles.append({"value": str(f["official_total"]) if f["official_total"] else "—",
                      "label": T("全国官方公布中心总数", "centres in China, official total"),
                      "note": T(f"{self.date(f['official_date'], record=False)}；来源具名{f['national_named']}个",
                                f"{self.date(f['official_date'], record=False)}; {f['national_named']} named in the sources")})
        self.cit.refs(self.nat.official_source)
        return tiles[:4] if len(tiles) > 4 else tiles

    def _planned_note(self) -> str:
        ps = self.planned
        parts = []
        for status, zh, en in (("has_unnamed", "来源所称但未具名", "stated, not named"),
                               ("has_focus", "为重点病种", "as a stated focus")):
            n = int((ps["status"] == status).sum())
            if n:
                parts.append(self.T(f"{n}个{zh}", f"{n} {en}"))
        inferred = self.approved[self.approved["specialty_basis"] == "inferred"]
        if len(inferred):
            parts.append(self.T(f"{len(inferred)}个中心的专科系推断", self.n_en(len(inferred), "centre's", "centres'") + " specialty inferred"))
        return self.T("；".join(parts), "; ".join(parts)) if parts else self.T("专科均为来源明示", "all specialties stated")

    # ---- centres list ---------------------------------------------------------------------------
    def _centres_list(self) -> list[dict]:
        T = self.T
        out: list[dict] = []
        if len(self.approved):
            rows = []
            self.record_sources(self.approved["source_ids"])
            for r in self.approved.to_dict("records"):
                life = self.life[r["center_id"]]
                age = life.age_months(self.ref_date)
                cur = life.current
                stage = cur.text(self.lang, short=True) if cur else "—"
                if cur:
                    self.date(cur.date, cur.basis)
                name = self.centre(r, short=True)
                if r["flag"]:
                    name += Markup('<br><span class="muted">{}</span>').format(T("名称存疑，见附录", "name doubtful, see annex"))
                spec = self.specialty_name(r["specialty"]) + ("" if r["specialty_basis"] == "stated" else "*")
                rows.append({
                    T("中心", "Centre"): name,
                    T("城市", "City"): self.city(r) or "—",
                    T("专科", "Specialty"): spec,
                    T("输出医院", "Output hospital"): f"{self.hospital(r['output_hospital_zh'], short=True)}"
                                                    + T(f"（{self.pname(r['output_province_code'])}）", f" ({self.pname(r['output_province_code'])})"),
                    T("阶段", "Stage"): stage,
                    T("运行时长", "Operating for"): dates.duration(age, self.lang) if age is not None else "—",
                    T("来源", "Source"): self.cit.refs(*life.sources(), r["source_ids"]),
                })
            f = self.facts
            caption = T(f"{self.short}的国家区域医疗中心（具名{f['named']}个）", f"Centres in {self.short} ({f['named']} named)")
            age_col = T("运行时长", "Operating for")
            notes = []
            if all(r[age_col] == "—" for r in rows):  # no centre's start of operation is known exactly
                for r in rows:
                    del r[age_col]
            else:
                notes.append(T(f"运行时长：自试运行或开诊起，算至{self.date(self.ref_date.isoformat(), record=False)}；来源只给出“不晚于”某日的，不计时长。",
                               f"Operating for: since trial operation or opening, to {self.date(self.ref_date.isoformat(), record=False)}; none where the sources only say “by” a date."))
            if (self.approved["specialty_basis"] == "inferred").any():
                notes.append(T("专科带*的，系据输出医院或项目名称推断，来源未明示。", "Specialty*: inferred from the output hospital or the project's name, not stated by a source."))
            if f["count_basis"] == "stated" and f["stated"] > f["named"]:
                unnamed = self.planned[self.planned["status"] == "has_unnamed"]["name_zh" if self.zh else "name_en"].tolist()
                notes.append(T(f"另有{f['stated'] - f['named']}个中心来源未列名称，本简报不作推测" + (f"；来源列出的专科中，{self.join(unnamed)}没有具名中心，可能与之对应" if unnamed else "") + "。",
                               f"{f['stated'] - f['named']} more centres are not named in the sources and are not guessed at" + (f"; of the specialties the source lists, {self.join(unnamed)} have no named centre and may be theirs" if unnamed else "") + "."))
            for r in self.planned_centres.to_dict("records"):
                life = self.life[r["center_id"]]
                notes.append(Markup(T("规划中、未获批，不计入：{}（{}）", "Planned, not approved, not counted: {} ({})")).format(
                    self.centre(r), "；".join(e.text(self.lang) for e in life.events) if self.zh else "; ".join(e.text(self.lang) for e in life.events))
                    + self.cit.refs(*life.sources()))
            note = Markup("<br>").join(Markup(escape(n)) if not isinstance(n, Markup) else n for n in notes)
            out.append(self.html(table(pd.DataFrame(rows), caption, nowrap=[T("运行时长", "Operating for"), T("来源", "Source")],
                                       note=note, cls="data centres")))
        elif self.role == "known":
            fb = self._first_batch_row()
            nat = self.nat_figs
            b5 = nat[(nat["metric"] == "batch_projects") & (nat["breakdown"] == "batch=5")]
            items = [Markup(T("来源：{}的首批国家区域医疗中心于第{}批获批（{}）", "The sources say {}'s first national regional medical centres were approved in batch {} ({})")).format(
                self.short, self.facts["first_batch"], self.fig_date(fb)) + self.cit.refs(fb["source_id"])]
            if len(b5):
                r = b5.iloc[0]
                items.append(Markup(T("第五批共{}，分布在20个省份；来源未说明第五批各项目的名称", "Batch 5 had {} in 20 provinces; the sources do not say which projects they were")).format(
                    self.value(r)) + self.cit.refs(r["source_id"]))
            items.append(T("因此本简报不列中心名称，人均数与排名显示为“—”。", "So this briefing lists no centre names, and per-head rates and ranks show “—”."))
            out.append({"type": "block", "title": T("已知情况", "What is known"), "items": items, "cls": "block known"})
        if len(self.exported) and self.role in ("exporter", "known", "unknown"):
            out.extend(self._exported_list(limit=6))
        return out

    def _exported_list(self, limit: int | None = None) -> list[dict]:
        T = self.T
        ex = self.exported.copy()
        ex["_n"] = ex.groupby("province_code")["center_id"].transform("size")
        ex = ex.sort_values(["_n", "province_code", "center_id"], ascending=[False, True, True])
        shown = ex if limit is None or len(ex) <= limit else ex.head(limit)
        rows = []
        self.record_sources(ex["source_ids"])
        for r in shown.to_dict("records"):
            rows.append({T("所在省份", "Province"): self.pname(r["province_code"]),
                         T("中心", "Centre"): self.centre(r, short=True),
                         T("输出医院", "Output hospital"): self.hospital(r["output_hospital_zh"], short=True),
                         T("专科", "Specialty"): self.specialty_name(r["specialty"]) + ("" if r["specialty_basis"] == "stated" else "*")
                         + (T(f"（来源所述重点：{self.join(self.specialty_name(c) for c in r['focus_specialties'].split(';'))}）",
                              f" (stated focus: {self.join(self.specialty_name(c) for c in r['focus_specialties'].split(';'))})") if r["focus_specialties"] else ""),
                         T("来源", "Source"): self.cit.refs(r["source_ids"])})
        note = None
        note = T("专科带*的，系推断，来源未明示。", "Specialty*: inferred, not stated by a source.")
        if len(shown) < len(ex):
            note = T(f"共{len(ex)}个，此处列出{len(shown)}个；全部见附录。", f"{len(ex)} in all, {len(shown)} shown; all in the annex.") + " " + note
        cap = T(f"{self.short}的医院作为输出医院的外省中心（{len(ex)}个）", f"Centres in other provinces led by hospitals of {self.short} ({len(ex)})")
        return [self.html(table(pd.DataFrame(rows), cap, nowrap=[T("来源", "Source")], note=note, cls="data exported"))]

    # ---- the map (summary page 1) ----------------------------------------------------------------
    def _map_figure(self) -> dict:
        chart = national_map(self.status, self.ds.provinces, self.lang, highlight=self.code)
        known = self.nat.provinces_known
        title = self.T(f"按来源，{known}个省份有国家区域医疗中心；{self.short}以粗框标出",
                       f"By the sources, {known} provinces have national regional medical centres; {self.short} outlined")
        ids = self._naming_sources(self.ds.counted_centers) + self.status["stated_source"].dropna().tolist() + \
            self.status["first_batch_source"].dropna().tolist()
        self.cit.refs(*ids)
        return self.figure(chart, title, self.source_line(*ids, tiles=True))

    # ---- results -----------------------------------------------------------------------------------
    def _usable(self) -> pd.DataFrame:
        f = self.figs
        return f[(f["flag"] == "") & (f["breakdown"] == "") & (f["theme"] != "coverage") & (f["theme"] != "provincial")
                 & (f["period"].isin(["cumulative", "snapshot"]) | f["period"].str.fullmatch(r"\d{4}(/\d{4})?"))]

    def _top_result(self):
        u = self._usable()
        prov = u[(u["kind"] == "province") & (u["period"] == "cumulative")]
        for m in RESULT_METRICS:
            x = prov[prov["metric"] == m]
            if len(x):
                return x.sort_values("as_of_dt").iloc[-1]
        return None

    def _results(self) -> list:
        """3–5 dated results: province totals (with a peer on the same basis), trends of a centre
        reported twice, and centres' own figures."""
        T = self.T
        u = self._usable()
        items: list = []
        used_metrics: set = set()
        prov = u[u["kind"] == "province"]
        for m in RESULT_METRICS:
            x = prov[prov["metric"] == m]
            if x.empty or len(items) >= 3:
                continue
            # the cumulative figure first (the basis of peer comparisons), then the latest
            r = x.assign(_c=x["period"] == "cumulative").sort_values(["_c", "as_of_dt"]).iloc[-1]
            line = Markup("<strong>{}</strong>：{}（{}，{}，{}）").format(self.metric_label(r), self.value(r), self.subject(r),
                                                                    self.period(r["period"]), self.fig_date(r)) if self.zh else \
                Markup("<strong>{}</strong>: {} ({}, {}, {})").format(self.metric_label(r), self.value(r), self.subject(r),
                                                                   self.period(r["period"]), self.fig_date(r))
            line += self.cit.refs(r["source_id"])
            peers = performance.peers(self.ds, self.code, m, r["period"], r["base_unit"])
            if len(peers):
                pr = performance.figures(self.ds, None)  # names of peers come from the provinces table
                bits = []
                for p in peers.head(2).to_dict("records"):
                    pst = self.status.set_index("code").loc[p["subject_id"]]
                    n = "" if pd.isna(pst["count"]) else (f"{int(pst['count'])}个中心合计" if self.zh else f"{int(pst['count'])} centres combined")
                    val = fmt_value(p["value"], p["unit"], p["qualifier"], self.lang)
                    sb = self.ds.sources.set_index("source_id").loc[p["source_id"], "date_basis"]
                    when = self.date(p["as_of"], dates.effective_basis(p["as_of_basis"], sb), record=p["subject_id"] == self.code)
                    bits.append(Markup("{}{} {}（{}）" if self.zh else "{} ({}) {} ({})").format(
                        self.pname(p["subject_id"]), n, val, when) + self.cit.refs(p["source_id"]))
                line += Markup(T("；同一指标的其他省份（措辞、日期不同）：", "; the same measure elsewhere (wording and dates differ): ")) + Markup(T("；", "; ")).join(bits)
            items.append(line)
            used_metrics.add(m)
        for g in performance.trends(self.figs[self.figs["kind"] == "centre"]):
            if len(items) >= 4:
                break
            first, last = g.iloc[0], g.iloc[-1]
            row = self.ds.centers.set_index("center_id").loc[first["subject_id"]]
            if self.zh:  # the two reports may word it differently: quote them
                steps = Markup(" → ").join(Markup("{}（{}，原话“{}”）").format(self.value(r), self.fig_date(r), r["quote"])
                                           for r in g.to_dict("records"))
            else:
                steps = Markup(" → ").join(Markup("{} ({})").format(self.value(r), self.fig_date(r)) for r in g.to_dict("records")) + \
                    Markup(" (two reports, which may word it differently)")
            label = self.metric_label(first)
            items.append(Markup("<strong>{}</strong>{}{}{}".format("{}", "：" if self.zh else ": ", "{}", "{}")).format(
                Markup("{}，{}" if self.zh else "{}, {}").format(self.centre_text(row), label if self.zh else label[0].lower() + label[1:]),
                steps, self.cit.refs(*g["source_id"])))
        if len(items) < 3:
            cen = u[(u["kind"] == "centre") & (u["period"] == "cumulative")]
            for m in RESULT_METRICS:
                if len(items) >= 5:
                    break
                x = cen[cen["metric"] == m]
                if x.empty or m in used_metrics:
                    continue
                latest = x.sort_values("as_of_dt").groupby("subject_id").tail(1).sort_values("value_base", ascending=False)
                bits = []
                for r in latest.head(3).to_dict("records"):
                    row = self.ds.centers.set_index("center_id").loc[r["subject_id"]]
                    bits.append(Markup("{} {}（{}）" if self.zh else "{} {} ({})").format(self.centre_text(row), self.value(r), self.fig_date(r))
                                + self.cit.refs(r["source_id"]))
                more = len(latest) - 3
                tail = Markup(T("等{}个中心", " and {} more")).format(len(latest) if self.zh else more) if more > 0 else Markup("")
                items.append(Markup("<strong>{}</strong>{}").format(self.metric_label(latest.iloc[0]), "：" if self.zh else ": ")
                             + Markup(T("；", "; ")).join(bits) + tail)
                used_metrics.add(m)
        if not items:
            if self.role == "host":
                items.append(T(f"来源未提供{self.short}各中心的成效数据。", f"The sources give no results for the centres of {self.short}."))
            else:
                items.append(T(f"来源未提供{self.short}的国家区域医疗中心成效数据。", f"The sources give no results for centres in {self.short}."))
        return items

    # ---- patient flows -----------------------------------------------------------------------------
    def _flows_block(self) -> dict:
        T = self.T
        nat = self.nat_figs
        items = []
        base = nat[nat["metric"] == BASELINE_METRIC]
        dec = nat[nat["metric"] == OUTFLOW_METRIC]
        if len(base):
            r = base.iloc[0]
            items.append(Markup(T("建设前：{}的出院患者在区域外就医（{}，试点工作方案）", "Before the programme: {} of discharged patients were treated outside their region ({}, pilot plan)")).format(
                self.value(r), self.fig_date(r, record=False)) + self.cit.refs(r["source_id"]))
        if len(dec):
            r = dec.iloc[0]
            items.append(Markup(T("全国：国家卫生健康委称，跨区域就医较建设前减少{}（{}）", "China: the NHC says patients leaving their region fell by {} against before construction ({})")).format(
                self.value(r), self.fig_date(r, record=False)) + self.cit.refs(r["source_id"]))
        own = self.figs[self.figs["metric"].isin(FLOW_METRICS)]
        if len(own):
            bits = []
            for r in own.to_dict("records"):
                flag = T("（存疑，见附录）", " (flagged, see annex)") if r["flag"] else ""
                bits.append(Markup("{}：{}{}（{}）{}" if self.zh else "{} — {}: {} ({}){}").format(
                    self.subject(r), self.metric_label(r), "" if self.zh else self.value(r), self.fig_date(r), flag).replace(
                    "：" + self.metric_label(r) + "（", "：" + self.metric_label(r) + self.value(r) + "（") + self.cit.refs(r["source_id"]))
            items.append(Markup(T("本省来源：", "Sources on {}: ")).format(self.short) + Markup(T("；", "; ")).join(bits))
        else:
            items.append(T(f"本省来源未给出患者流出或流入的数据。", f"The sources give no figure on patients leaving or coming to {self.short}."))
        return {"type": "block", "title": T("患者跨区域就医", "Patients treated outside their region"), "items": items, "cls": "block flows"}

    # ---- cities ----------------------------------------------------------------------------------
    def _cities_block(self) -> dict | None:
        T = self.T
        c = self.cities
        if c.empty and not len(self.approved):
            return None
        items = []
        stated = c[c["stated"].notna()]
        if len(stated):
            src = stated["stated_source"].iloc[0]
            parts = [T(f"{r['city_zh']}{int(r['stated'])}个", f"{r['city_en']} {int(r['stated'])}") for r in stated.to_dict("records")]
            items.append(Markup(T("来源所称：{}", "As a source states: {}")).format(self.join(parts)) + self.cit.refs(src))
        named = c[c["named"] > 0]
        n_unknown = len(self.approved) - int(named["named"].sum())
        if len(named):
            parts = []
            for r in named.to_dict("records"):
                inf = int(r["named_inferred"])
                extra = T(f"（其中{inf}个按依托医院所在地推断）", f" ({inf} inferred from the host hospital)") if inf else ""
                parts.append(T(f"{r['city_zh']}{int(r['named'])}个{extra}", f"{r['city_en']} {int(r['named'])}{extra}"))
            tail = T(f"；另{n_unknown}个所在城市来源未详", f"; {n_unknown} more in cities the sources do not give") if n_unknown > 0 else ""
            items.append(T("具名中心所在城市：", "Cities of the named centres: ") + self.join(parts) + tail)
        elif len(self.approved):
            items.append(T("具名中心所在城市来源未详。", "The sources do not give the cities of the named centres."))
        if not items:
            return None
        return {"type": "block", "title": T("在哪些城市", "Which cities"), "items": items, "cls": "block cities"}

    def _provincial_programme_box(self) -> dict | None:
        pc = self.ds.provincial_centers[self.ds.provincial_centers["province_code"] == self.code]
        if pc.empty:
            return None
        T = self.T
        items = []
        for r in pc.to_dict("records"):
            figs = self.prc_figs[self.prc_figs["subject_id"] == r["prc_id"]]
            bits = [Markup("{} {}").format(self.metric_label(f), self.value(f)) for f in figs.to_dict("records")]
            name = r["name_zh"] if self.zh else Markup("{} {}").format(r["name_en"], self.gloss(r["name_zh"]))
            role = r["role_zh"] if self.zh else r["role_en"]
            items.append(Markup("{}（{}）{}{}" if self.zh else "{} ({}){}{}").format(
                name, role, (Markup("：") if self.zh else Markup(": ")) + Markup(T("，", ", ")).join(bits) if bits else "",
                self.cit.refs(r["source_ids"], *figs["source_id"])))
        for f in self.prc_figs[self.prc_figs["subject_id"] == self.code].to_dict("records"):
            items.append(Markup("{}：{}" if self.zh else "{}: {}").format(self.metric_label(f), self.value(f)) + self.cit.refs(f["source_id"]))
        prov_level = self.figs[(self.figs["kind"] == "province") & (self.figs["theme"] == "provincial")]
        for f in prov_level.to_dict("records"):
            items.append(Markup("{}：{}（{}）" if self.zh else "{}: {} ({})").format(self.metric_label(f), self.value(f), self.fig_date(f))
                         + self.cit.refs(f["source_id"]))
        return {"type": "box", "cls": "box other-programme",
                "title": T("另一项目：省级区域医疗中心（不属于国家区域医疗中心）", "Another programme: provincial regional medical centres (not NRMCs)"),
                "items": items}

    # ---- caveats -----------------------------------------------------------------------------------
    def _caveats(self) -> list:
        T = self.T
        f = self.facts
        out = []
        if self.role == "host" and f["count_basis"] == "stated" and f["stated"] != f["named"]:
            out.append(T(f"清单完整度：来源称{self.short}有{f['stated']}个中心，具名{f['named']}个；未具名的不作推测。",
                         f"Completeness: a source says {self.short} has {f['stated']} centres and {f['named']} are named; the others are not guessed at."))
        elif self.role == "host" and f["count_basis"] == "stated":  # Guizhou: S05 states 5 and names all 5
            when = self.date(f["stated_as_of"], record=False)
            out.append(T(f"清单完整度：来源称{self.short}共有{f['stated']}个中心（{when}），均已具名；之后获批的中心可能未列入。",
                         f"Completeness: a source says {self.short} had {f['stated']} centres ({when}) and all are named; later approvals may be missing."))
        elif self.role == "host":
            out.append(T(f"清单完整度：来源具名{self.short}的中心{f['named']}个，但未给出{self.short}的总数；之后获批的中心可能未列入。",
                         f"Completeness: the sources name {self.n_en(f['named'], 'centre')} in {self.short} but give no total for it; later approvals may be missing."))
        if f["official_total"] is None:
            out.append(T(f"全国：来源未给出官方公布的总数，来源具名{f['national_named']}个。",
                         f"China: the sources give no official total; {f['national_named']} are named in them."))
        else:
            out.append(T(f"全国：官方公布总数{f['official_total']}个（{self.date(f['official_date'], record=False)}），来源具名{f['national_named']}个；多数具名中心来自2023年1月12日的清单。",
                         f"China: official total {f['official_total']} ({self.date(f['official_date'], record=False)}), {f['national_named']} named in the sources, most from a list of 12 Jan 2023."))
        inferred = int((self.approved["specialty_basis"] == "inferred").sum()) if len(self.approved) else 0
        if inferred:
            n_app = len(self.approved)
            out.append(T("专科：唯一的具名中心，其专科系据输出医院或项目名称推断，来源未明示。" if n_app == 1 else
                         f"专科：{n_app}个具名中心的专科均系据输出医院或项目名称推断，来源未明示。" if inferred == n_app else
                         f"专科：{n_app}个具名中心中{inferred}个的专科系据输出医院或项目名称推断，来源未明示。",
                         f"Specialty: for {'the named centre' if len(self.approved) == 1 else ('both named centres' if len(self.approved) == 2 else f'all {len(self.approved)} named centres') if inferred == len(self.approved) else f'{inferred} of the {len(self.approved)} named centres'}"
                         " it is inferred from the output hospital or the project's name; no source states it."))
        if f["flagged"]:
            out.append(T(f"存疑数据：{f['flagged']}项按原文保留并标注（见附录）。", f"Flagged figures: {f['flagged']}, kept as published and marked (see annex)."))
        out.append(Markup(T("数据时间：本简报所列数据的日期见各处标注；来源未印日期的，日期为推断并注明“约”或“不早于”。",
                            "Dates: every figure carries its date; where a source prints no date, the date is inferred and marked “about” or “on or after”.")))
        return out

    # ---- per head (summary page 2) ------------------------------------------------------------------
    def _per_head_figure(self) -> dict:
        T = self.T
        f = self.facts
        reg = self.status[self.status["region"] == self.prow["region"]].copy()
        reg = reg.sort_values(["per_10m", "code"], ascending=[False, True], na_position="last")
        labels, values, texts, hl, hatched = [], [], [], [], []
        for r in reg.to_dict("records"):
            labels.append(r["name_zh_short"] if self.zh else r["name_en"])
            values.append(r["per_10m"])
            if pd.isna(r["per_10m"]):
                texts.append(T("— 有中心，数量未知", "— has centres, number unknown") if r["role"] == "known" else
                             T("— 来源未提及", "— not in the sources"))
            elif r["count_basis"] == "stated" and r["stated"] != r["named"] and not pd.isna(r["per_10m_named"]):
                texts.append(T(f"{r['per_10m']:.2f}（具名计{r['per_10m_named']:.2f}）", f"{r['per_10m']:.2f} ({r['per_10m_named']:.2f} named)"))
            elif r["count_basis"] == "stated" and r["stated"] != r["named"]:  # a stated total, none of it named
                texts.append(T(f"{r['per_10m']:.2f}（无具名）", f"{r['per_10m']:.2f} (none named)"))
            else:
                texts.append(f"{r['per_10m']:.2f}")
            hl.append(r["code"] == self.code)
            hatched.append(r["count_basis"] == "stated")
        ref = []
        if f["national_per_10m"]:
            ref.append((T("全国（官方总数）", "China (official total)"), f["national_per_10m"]))
        ref.append((T("全国（仅具名）", "China (named only)"), f["national_per_10m_named"]))
        legend = [("solid", T("来源具名的中心数", "named centres")), ("hatched", T("来源所称总数", "total stated by a source"))]
        chart = charts.hbar(labels, values, value_texts=texts, xlabel=T("每千万常住人口的中心数（个）", "Centres per 10 million residents"),
                            highlight=hl, hatched=hatched, legend=legend, reference=ref)
        region = self.region_name(self.code)
        if f["per_10m"] is not None:
            title = T(f"{self.short}每千万常住人口{self._rate(f['per_10m'])}个中心，{self._versus()}；图为{region}各省",
                      f"{self.short}: {self._rate(f['per_10m'])} centres per 10 million residents, {self._versus()}; {region} shown")
        else:
            title = T(f"{self.short}的中心数未知，无法按人口比较；图为{region}各省", f"{self.short}'s number of centres is unknown, so no per-head rate; {region} shown")
        ids = reg["stated_source"].dropna().tolist() + self._naming_sources(
            self.ds.counted_centers[self.ds.counted_centers["province_code"].isin(reg["code"])]) + [self.nat.official_source]
        note = T("国家官方总数为全国合计，各省数量多来自2023年1月12日的清单，日期不同；按人口的比较只说明来源所列的数量。",
                 "China's rate uses the official total; most provinces' numbers come from the list of 12 Jan 2023, so the dates differ; the comparison shows only what the sources list.")
        return self.figure(chart, title, self.source_line(*ids, population=True), note=note)

    # =========================================================================================
    # analysis
    # =========================================================================================
    def _coverage_pages(self) -> list[dict]:
        """Coverage and where the output hospitals come from (hosts), or the province's role."""
        T = self.T
        blocks: list[dict] = []
        if self.role == "host" and len(self.origins):  # a stated total without a named centre has no origins
            o = self.origins
            oh = self._origin_hospitals()
            doubtful = set(self.approved.loc[self.approved["flag"] != "", "output_province_code"])
            parts = []
            for r in o.to_dict("records"):
                hs = self.join(self.hospital(h, short=True) for h, x in oh.iterrows() if x["prov"] == r["origin_code"])
                parts.append(T(f"{r['origin_zh']}{r['centers']}个（{hs}）", f"{r['origin_en']} {r['centers']} ({hs})"))
            s = T(f"{self.short}具名中心的输出医院来自：{self.join(parts)}。", f"The output hospitals of {self.short}'s named centres are in {self.join(parts)}.")
            same = o[o["origin_code"] == self.code]
            if len(same) and self.code not in doubtful:
                s += T(f"其中{int(same['centers'].iloc[0])}个的输出医院在本省。", f" {int(same['centers'].iloc[0])} {'is' if int(same['centers'].iloc[0]) == 1 else 'are'} led by hospitals of the province itself.")
            if doubtful:
                s += T("其中一个中心的名称来源原文存疑，其输出医院照原文列出（见附录）。", " One centre's published name is doubtful; its output hospital is listed as published (see the annex).")
            blocks.append(self.p(s))
            chart = charts.hbar(o["origin_zh" if self.zh else "origin_en"].tolist(), o["centers"].astype(float).tolist(),
                                value_texts=[str(int(v)) for v in o["centers"]], xlabel=T("中心数（个）", "Centres"))
            blocks.append(self.figure(chart, self._most(o, len(oh)), self.source_line(*self._naming_sources(self.approved)), flex=False))
            heading = T("覆盖：中心从哪里来", "Coverage: where the centres come from")
        elif len(self.exported):
            ex = self.exported
            by = ex.groupby("output_hospital_zh").size().sort_values(ascending=False)
            chart = charts.hbar([self.hospital(h, short=True) for h in by.index], by.astype(float).tolist(),
                                value_texts=[str(int(v)) for v in by], xlabel=T("外省中心数（个）", "Centres in other provinces"))
            title = T(f"{self.short}的{len(by)}家医院作为输出医院，支援外省{len(ex)}个中心", f"{self.n_en(len(by), 'hospital')} of {self.short} {'leads' if len(by) == 1 else 'lead'} {self.n_en(len(ex), 'centre')} in other provinces")
            blocks.append(self.p(T(f"按来源，{self.short}的医院是{len(ex)}个外省中心的输出医院，分布在{ex['province_code'].nunique()}个省份：",
                                   f"By the sources, hospitals of {self.short} lead {self.n_en(len(ex), 'centre')} in {self.n_en(ex['province_code'].nunique(), 'other province')}: ")
                                 + self.join(T(f"{self.pname(c)}{n}个", f"{self.pname(c)} {n}") for c, n in ex.groupby("province_code").size().sort_values(ascending=False).items())
                                 + self.stop()))
            blocks.append(self.figure(chart, title, self.source_line(*ex["source_ids"]), flex=False))
            heading = T("作为输出地", "As a source of expertise")
        else:
            peers = self.status[(self.status["region"] == self.prow["region"]) & (self.status["code"] != self.code)]
            c = self.ds.counted_centers[self.ds.counted_centers["province_code"].isin(peers["code"])]
            heading = T("所在地区的中心", "Centres in the region")
            if c.empty:
                blocks.append(self.p(T("同一地区的其他省份在来源中也没有具名中心。", "No centre is named in the other provinces of the region either.")))
            else:
                by = c.groupby("specialty").size().sort_values(ascending=False)
                inferred = c[c["specialty_basis"] == "inferred"].groupby("specialty").size()
                every = int(inferred.sum()) == len(c)  # then the title says so and each bar needs no note
                texts = [str(int(v)) if every or not inferred.get(k, 0) else
                         T(f"{int(v)}（均系推断）", f"{int(v)} (all inferred)") if inferred[k] == v else
                         T(f"{int(v)}（推断{int(inferred[k])}）", f"{int(v)} ({int(inferred[k])} inferred)") for k, v in by.items()]
                chart = charts.hbar([self.specialty_name(s) for s in by.index], by.astype(float).tolist(),
                                    value_texts=texts, xlabel=T("中心数（个）", "Centres"),
                                    hatched=(hat := [inferred.get(k, 0) * 2 > v for k, v in by.items()]),
                                    legend=[x for x, used in ((("solid", T("多数为来源明示", "mostly stated")), not all(hat)),
                                                              (("hatched", T("据输出医院或项目名称推断", "inferred from the output hospital or project name") if every else
                                                               T("多数据输出医院或项目名称推断", "mostly inferred from the output hospital or project name")), any(hat)))
                                            if used])
                n_inf = int(inferred.sum())
                how = (T("专科均为推断", "every specialty inferred") if n_inf == len(c) else
                       T(f"其中{n_inf}个的专科系推断", f"{n_inf} of them inferred") if n_inf else T("专科均为来源明示", "every specialty stated"))
                title = T(f"{self.region_name(self.code)}其他省份具名的{len(c)}个中心，按专科（{how}）",
                          f"The {len(c)} centres named in the rest of {self.region_name(self.code)}, by specialty ({how})")
                blocks.append(self.p(T(f"{self.region_name(self.code)}其他省份的具名中心：", f"Named centres in the rest of {self.region_name(self.code)}: ")
                                     + self.join(T(f"{self.pname(k)}{v}个", f"{self.pname(k)} {v}") for k, v in c.groupby("province_code").size().sort_values(ascending=False).items())
                                     + self.stop()))
                blocks.append(self.figure(chart, title, self.source_line(*c["source_ids"]), flex=False))
        return [{"kind": "analysis", "classes": [], "id": "coverage", "heading": heading, "heading_id": "coverage-heading", "blocks": blocks}]

    @functools.cached_property
    def _origin_hospitals_df(self) -> pd.DataFrame:
        a = self.approved
        g = a.groupby("output_hospital_zh").agg(n=("center_id", "size"), prov=("output_province_code", "first"))
        return g.sort_values(["n", "prov"], ascending=[False, True])

    def _origin_hospitals(self) -> pd.DataFrame:
        return self._origin_hospitals_df

    def _most(self, o: pd.DataFrame, n_hospitals: int) -> str:
        """The origins chart's title: where the output hospitals are, naming every province that
        shares the top count, and no "most" when there is one province or all are tied."""
        T = self.T
        top = o[o["centers"] == o["centers"].max()]
        names = self.join(top["origin_zh" if self.zh else "origin_en"])
        head = T(f"{self.short}具名中心的{n_hospitals}家输出医院", f"The {n_hospitals} output hospitals of {self.short}'s named centres")
        if n_hospitals == 1:
            return T(f"{self.short}具名中心的输出医院在{names}", f"The output hospital of {self.short}'s named "
                     f"{self.noun_en(int(o['centers'].sum()), 'centre')} is in {names}")
        if len(o) == 1:
            return T(f"{head}均在{names}", f"{head} are all in {names}")
        if len(top) == len(o):
            return T(f"{head}来自{len(o)}个省份，各{int(top['centers'].iloc[0])}个", f"{head} are in {len(o)} provinces, {int(top['centers'].iloc[0])} each")
        if len(top) > 1:
            return T(f"{head}来自{len(o)}个省份，{names}并列最多（各{int(top['centers'].iloc[0])}个）",
                     f"{head} are in {len(o)} provinces; {names} lead {int(top['centers'].iloc[0])} each")
        return T(f"{head}来自{len(o)}个省份，{names}最多（{int(top['centers'].iloc[0])}个）",
                 f"{head} are in {len(o)} provinces, most in {names} ({int(top['centers'].iloc[0])})")

    def _naming_sources(self, centres: pd.DataFrame) -> list[str]:
        """The source that names each centre (the first of its sources): what a count rests on."""
        return [str(s).split(";")[0] for s in centres["source_ids"]]

    def _specialty_pages(self) -> list[dict]:
        T = self.T
        ps = self.planned
        labels, values, texts, hatched, hl = [], [], [], [], []
        status_text = {"has": T("有", "present"), "has_unnamed": T("来源所称，未具名", "stated, not named"),
                       "has_focus": T("来源所述重点病种", "a stated focus"), "lacks": T("无具名中心", "no named centre")}
        for r in ps.to_dict("records"):
            labels.append((r["name_zh"] if self.zh else r["name_en"]) + (T("（中医类）", " (TCM)") if r["category"] == "tcm" else ""))
            if r["status"] == "has":
                v = float(r["province_count"])
            elif r["status"] == "has_unnamed":
                v = float(r["stated_count"])
            elif r["status"] == "has_focus":
                v = float(r["focus_count"])
            else:
                v = float("nan")
            values.append(v)
            nat = T(f"全国具名{r['national_count']}", f"China {r['national_count']} named")
            if r["national_focus"] and not r["national_count"]:  # e.g. orthopedics: only GZ-02's stated focus
                nat = T(f"全国{r['national_focus']}个以之为重点", f"China: {r['national_focus']} as a focus")
            what = status_text[r["status"]]
            if r["status"] == "has" and r["province_inferred"]:
                what += (T("，系推断", ", inferred") if r["province_inferred"] == r["province_count"] else
                         T(f"，{r['province_inferred']}个系推断", f", {r['province_inferred']} inferred"))
            if r["status"] == "lacks":
                texts.append(T(f"— 无具名中心（{nat}）", f"— no named centre ({nat})"))
            else:
                texts.append(f"{int(v)} {what}（{nat}）" if self.zh else f"{int(v)} {what} ({nat})")
            hatched.append(r["status"] in ("has_unnamed", "has_focus"))
            hl.append(False)
        n_present = int(ps["status"].isin(["has", "has_unnamed", "has_focus"]).sum())
        lacks = ps[ps["status"] == "lacks"]["name_zh" if self.zh else "name_en"].tolist()
        legend = [("solid", T("具名中心的专科", "specialty of a named centre")),
                  ("hatched", T("来源所称或所述重点病种（无具名中心）", "stated by a source, no named centre"))]
        chart = charts.hbar(labels, values, value_texts=texts, xlabel=T(f"{self.short}的中心数（个）", f"Centres in {self.short}"),
                            hatched=hatched, legend=legend) if self.role == "host" else None
        outside = self.approved[~self.approved["specialty"].isin(ps["code"])]
        outside_names = self.join(dict.fromkeys(self.specialty_name(x) for x in outside["specialty"]))
        if self.role == "host" and not n_present:  # Guangxi, Ningxia, Qinghai: comprehensive or maternal-child centres only
            n = len(self.approved)
            title = T(f"{self.short}具名的{n}个中心{'为' if n == 1 else '均为'}{outside_names}中心，不在规划的13个重点专科（含中医）之内",
                      f"{self.short}'s {self.n_en(n, 'named centre')} {'is a' if n == 1 else 'are'} {outside_names.lower()} "
                      f"{self.noun_en(n, 'centre')}, outside the 13 planned specialties (incl. TCM)")
        elif self.role == "host":
            title = T(f"规划的13个重点专科（含中医）中，{self.short}有{n_present}个有中心", f"{self.short} has centres in {n_present} of the 13 planned specialties (incl. TCM)")
        else:
            title = T(f"规划的13个重点专科（含中医）：来源未提及{self.short}的任何中心", f"The 13 planned specialties (incl. TCM): the sources name no centre in {self.short}")
        ids = self.approved["source_ids"].tolist() + ["R14"] + coverage.stated_breakdown(self.ds, self.code, "specialty")["source_id"].tolist()
        blocks = []
        reading = []
        if self.role == "host":
            if lacks:
                broad = self.join(dict.fromkeys(self.specialty_name(x) for x in outside["specialty"] if x in ("comprehensive", "maternal_child")))
                also = T(f"；{broad}中心的服务可能涵盖其中一些", f"; its {broad.lower()} {self.noun_en(int(outside['specialty'].isin(['comprehensive', 'maternal_child']).sum()), 'centre')}"
                                                                       " may cover some of them") if broad else ""
                reading.append(T(f"没有具名中心以之为专科或来源所述重点的规划专科：{self.join(lacks)}（这不等于省内没有相应的中心或服务{also}）。",
                                 f"Planned specialties that no named centre has as its specialty or stated focus: {self.join(lacks)} (which does not mean the province has no such centre or service{also})."))
            n = len(self.approved)
            if n < SMALL:
                reading.append(T(f"{self.short}具名中心只有{n}个，按专科算比例没有意义，此处只列数量。", f"With {self.n_en(n, 'named centre')}, shares of specialties say little; counts only."))
            focus = ps[ps["status"] == "has_focus"]["name_zh" if self.zh else "name_en"].tolist()
            if focus:
                reading.append(T(f"{self.join(focus)}：来源称引入的输出医院以此为重点病种，故计为已有。", f"{self.join(focus)}: a source says output hospitals were brought in for these diseases, so they count as present."))
        if self.role != "host":
            self.cit.refs("R14")
            if self.role == "known":
                lead = T(f"来源未列出{self.short}各中心的名称，其专科不详，因此本简报不列专科结构。",
                         f"The sources do not name {self.short}'s centres, so their specialties are not known and there is no specialty mix to show.")
            else:
                lead = T(f"来源未提及{self.short}的中心，因此本简报不列专科结构。",
                         f"The sources mention no centre in {self.short} itself, so there is no specialty mix to show.")
            blocks.append(self.p(Markup(T("{}国家扩容方案确定12个重点专科（{}），中医类单列{}；全国具名中心的专科结构见全国概览。",
                                         "{} The national expansion plan targets 12 specialties ({}), with TCM a category of its own{}; the national overview shows the specialty mix of the named centres.")).format(
                lead, self.join(ps[ps["plan_target"]]["name_zh" if self.zh else "name_en"]), self.cit.refs("R14"))))
        else:
            blocks.append(self.p(" ".join(reading) if reading else T("国家扩容方案确定12个重点专科，中医类单列。", "The national expansion plan targets 12 specialties; TCM is a category of its own.")))
            blocks.append(self.figure(chart, title, self.source_line(*ids), note=T("规划专科：国家《有序扩大国家区域医疗中心建设工作方案》的12个重点专科，另加中医类。",
                                                                                   "Planned specialties: the 12 of the national expansion plan, plus TCM.")))
        return [{"kind": "analysis", "classes": [], "id": "specialty", "heading": T("专科结构", "Specialty mix"),
                 "heading_id": "specialty-heading", "blocks": blocks}]

    def _performance_pages(self) -> list[dict]:
        T = self.T
        u = self._usable()
        blocks: list[dict] = []
        cen = u[(u["kind"] == "centre") & (u["period"] == "cumulative")]
        metric = None
        for m in RESULT_METRICS:
            if cen[cen["metric"] == m]["subject_id"].nunique() >= 2:
                metric = m
                break
        if metric:
            latest = cen[cen["metric"] == metric].sort_values("as_of_dt").groupby("subject_id").tail(1).sort_values("value_base", ascending=False)
            cmap = self.ds.centers.set_index("center_id")
            labels = [self.centre_text(cmap.loc[s]) for s in latest["subject_id"]]
            texts = [f"{self.value(r)}（{self.fig_date(r)}）" if self.zh else f"{self.value(r)} ({self.fig_date(r)})" for r in latest.to_dict("records")]
            chart = charts.hbar(labels, latest["value_base"].tolist(), value_texts=texts,
                                xlabel=T(f"{latest.iloc[0]['label_zh']}（{latest.iloc[0]['base_unit']}，累计）", f"{latest.iloc[0]['label_en']} (cumulative)"))
            top = latest.iloc[0]
            same_date = latest["as_of"].nunique() == 1
            title = T(f"{self.metric_label(top)}：{self.centre_text(cmap.loc[top['subject_id']])}最多（{self.value(top)}）；" + ("各中心数字不相加" if same_date else "各中心日期不同，不可相加"),
                      f"{self.metric_label(top)}: {self.centre_text(cmap.loc[top['subject_id']])} reports most ({self.value(top)}); " + ("no total is formed" if same_date else "dates differ, so no total"))
            other = self.figs[(self.figs["metric"] == metric) & (self.figs["kind"] == "centre") & (self.figs["period"] != "cumulative")]
            note = None
            if len(other):
                note = T("口径不同、未列入：", "Not shown, on another basis: ") + self.join(
                    f"{self.centre_text(cmap.loc[r['subject_id']])} {self.value(r)}（{self.period(r['period'])}）" if self.zh else
                    f"{self.centre_text(cmap.loc[r['subject_id']])} {self.value(r)} ({self.period(r['period'])})" for r in other.to_dict("records"))
            blocks.append(self.p(T(f"{len(latest)}个中心公布了{self.metric_label(top)}的累计数；下图取各自最近一次公布的数" + ("" if same_date else "，日期各异")
                                   + "。各来源的说法不尽相同（引进、平移或开展），数字不完全同口径，原话见附录所引来源。",
                                   f"{len(latest)} centres published a cumulative count of {self.metric_label(top).lower()}; each bar is its latest" + ("" if same_date else ", at its own date")
                                   + ". The sources word it differently (introduced, transferred or carried out), so the counts are not strictly alike.")))
            blocks.append(self.figure(chart, title, self.source_line(*latest["source_id"]), note=note))
            pts = self._age_points(metric)
            if len(pts) >= 2:
                chart2 = charts.scatter(pts, xlabel=T("自试运行或开诊起的月数", "Months since trial operation or opening"),
                                        ylabel=T(f"{latest.iloc[0]['label_zh']}（{latest.iloc[0]['base_unit']}）", latest.iloc[0]["label_en"]))
                title2 = T("成效与运行时长：每点为一个中心在某一日期公布的累计数", "Results against time in operation: each point is a centre's cumulative count at a date")
                blocks.append(self.figure(chart2, title2, self.source_line(*latest["source_id"], *self._age_sources(metric)), flex=False))
            else:
                blocks.append(self.p(T("多数中心的开诊日期来源只给出“不晚于”某日，无法按运行时长比较。",
                                       "For most centres the sources give only a “by” date for opening, so results cannot be set against time in operation."), "note"))
        peers_rows, n_peer = self._peer_rows()
        if peers_rows is not None:
            blocks.append(peers_rows)
        # a results page holds about a dozen table rows besides its charts (it is one printed page)
        charts_on_page = sum(1 for b in blocks if b.get("type") == "figure")
        other = self._other_results(exclude=metric, limit=10 - n_peer - 4 * max(0, charts_on_page - 1))
        if other is not None:
            blocks.append(other)
        if not blocks:
            return []
        return [{"kind": "analysis", "classes": [], "id": "performance", "heading": T("建设成效", "Results"),
                 "heading_id": "performance-heading", "blocks": blocks}]

    def _other_results(self, exclude: str | None, limit: int = 10) -> dict | None:
        if limit < 3:
            return None
        """The province's other published totals (over its centres), latest of each, unflagged:
        what the charts above do not show, up to `limit` rows (all of them are in the annex)."""
        T = self.T
        u = self._usable()
        prov = u[(u["kind"] == "province") & (u["metric"] != exclude)]
        if prov.empty:
            return None
        latest = prov.sort_values("as_of_dt").groupby("metric").tail(1)
        order = {m: i for i, m in enumerate(RESULT_METRICS)}
        latest = latest.assign(_o=latest["metric"].map(lambda m: order.get(m, 99))).sort_values(["_o", "theme", "metric"])
        shown = latest.head(limit)
        rows = [{T("指标", "Metric"): self.metric_label(r), T("数值", "Value"): self.value(r), T("口径", "Period"): self.period(r["period"]),
                 T("截至", "As of"): self.fig_date(r), T("来源", "Source"): self.cit.refs(r["source_id"])} for r in shown.to_dict("records")]
        note = T(f"共{len(latest)}项，列出{len(shown)}项；全部数据见附录。", f"{len(latest)} in all, {len(shown)} shown; all figures are in the annex.") \
            if len(shown) < len(latest) else None
        subject = self.subject(shown.iloc[0])
        return self.html(table(pd.DataFrame(rows), T(f"{subject}：其他已公布的数", f"{subject}: other published figures"),
                               numeric=[T("数值", "Value")], nowrap=[T("来源", "Source")], note=note, cls="data small"))

    def _age_points(self, metric: str) -> list[dict]:
        pts = []
        fig = self.figs[(self.figs["metric"] == metric) & (self.figs["kind"] == "centre") & (self.figs["period"] == "cumulative")
                        & (self.figs["flag"] == "") & (self.figs["breakdown"] == "")]
        cmap = self.ds.centers.set_index("center_id")
        for r in fig.to_dict("records"):
            life = self.life[r["subject_id"]]
            ev = life.first_operation
            if ev is None or ev.basis != "stated":
                continue
            at = dates.end(r["as_of"])
            months = life.age_months(at)
            if months is None:
                continue
            pts.append({"label": self.centre_text(cmap.loc[r["subject_id"]]), "x": float(months), "y": float(r["value_base"]),
                        "value_text": self.value(r), "hollow": r["date_basis"] != "stated"})
        return pts

    def _age_sources(self, metric) -> list[str]:
        ids = []
        for cid in self.approved["center_id"]:
            ev = self.life[cid].first_operation
            if ev is not None:
                ids.append(ev.source_id)
        return ids

    def _peer_rows(self) -> dict | None:
        T = self.T
        u = self._usable()
        prov = u[(u["kind"] == "province")]
        rows = []
        ids = []
        for m in RESULT_METRICS:
            x = prov[prov["metric"] == m]
            if x.empty:
                continue
            r = x.sort_values("as_of_dt").iloc[-1]
            peers = performance.peers(self.ds, self.code, m, r["period"], r["base_unit"])
            if peers.empty:
                continue
            for p in [r] + peers.to_dict("records"):
                pst = self.status.set_index("code").loc[p["subject_id"]]
                sb = self.ds.sources.set_index("source_id").loc[p["source_id"], "date_basis"]
                rows.append({T("指标", "Metric"): self.metric_label(r),
                             T("省份", "Province"): self.pname(p["subject_id"]) + (T(f"（{int(pst['count'])}个中心合计）", f" ({int(pst['count'])} centres combined)") if not pd.isna(pst["count"]) else ""),
                             T("数值", "Value"): fmt_value(p["value"], p["unit"], p["qualifier"], self.lang),
                             T("截至", "As of"): self.date(p["as_of"], dates.effective_basis(p["as_of_basis"], sb), record=p["subject_id"] == self.code),
                             T("来源", "Source"): self.cit.refs(p["source_id"])})
                ids.append(p["source_id"])
        if not rows:
            return None, 0
        return self.html(table(pd.DataFrame(rows), T("与其他省份并列（同一指标，各省中心合计，累计数）", "Beside other provinces (same measure, centres combined, cumulative)"),
                               numeric=[T("数值", "Value")], nowrap=[T("来源", "Source")], cls="data peers",
                               note=T("只比较指标、口径和单位都相同的数；日期不同，已逐项注明；各来源对指标的界定可能不同（如安徽的常驻专家含管理专家），原话见附录所引来源。",
                                      "Only figures of the same metric, period and unit are compared; their dates differ and are shown; the sources may define a metric differently (e.g. Anhui's resident experts include managers)."))), len(rows)

    def _timeline_pages(self) -> list[dict]:
        T = self.T
        rows = []
        interesting = False
        for r in self.approved.to_dict("records"):
            life = self.life[r["center_id"]]
            ev = [(pd.Timestamp(dates.start(e.date) if e.basis == "stated" else dates.end(e.date)), e.stage, e.basis) for e in life.events]
            if not ev:
                continue
            if any(e.stage not in ("built", "listed") for e in life.events):
                interesting = True
            for e in life.events:
                self.date(e.date, e.basis)
            rows.append({"label": self.centre_text(r), "events": ev})
        blocks: list[dict] = []
        if rows and interesting:
            w = self.window
            end = pd.Timestamp(dates.end(w.last)) if w else pd.Timestamp(self.ref_date)
            chart = charts.lifecycle(rows, lang=self.lang, end=end,
                                     stage_labels={k: lifecycle.label(k, self.lang) for k in lifecycle.STAGE_LABELS},
                                     stage_order=list(lifecycle.STAGE_LABELS))
            counts = {}
            for r in self.approved.to_dict("records"):
                cur = self.life[r["center_id"]].current
                if cur:
                    counts[cur.stage] = counts.get(cur.stage, 0) + 1
            parts = [T(f"{lifecycle.label(k, 'zh')}{v}个", f"{v} {lifecycle.label(k, 'en')}") for k, v in
                     sorted(counts.items(), key=lambda kv: -lifecycle.PROGRESS.get(kv[0], 0))]
            title = T(f"{self.short}具名中心的进展（按来源所知的最远阶段）：{self.join(parts)}",
                      f"How far the named centres of {self.short} have got (furthest stage in the sources): {self.join(parts)}")
            ids = [e.source_id for r in self.approved.to_dict("records") for e in self.life[r["center_id"]].events]
            till = self.date(end.strftime("%Y-%m"), record=False)
            blocks.append(self.p(T(f"实心标记为来源所述日期；空心标记为“不晚于”某日；虚线标记为来源的预计；灰线从首个日期延至本简报数据的截止月份（{till}）。试运行（含门诊先行开诊、过渡期运营）不计为开诊。",
                                   f"Filled markers: dates the sources state; hollow: “by” a date; dashed: an expectation; the grey line runs from the first date to the end of this briefing's data ({till}). "
                                   "Trial operation (incl. outpatients-only openings and transitional operation) is not counted as opening.")))
            blocks.append(self.figure(chart, title, self.source_line(*ids)))
        else:
            ms = self.ds.milestones
            tot = ms[ms["projects_total"].notna()].copy()
            if tot.empty:
                return []
            tot["_k"] = tot["date"].map(dates.sort_key)
            tot = tot.sort_values("_k")
            texts = [f"{int(v)}（{self.date(d, b, record=False)}）" if self.zh else f"{int(v)} ({self.date(d, b, record=False)})"
                     for d, b, v in zip(tot["date"], tot["date_basis"], tot["projects_total"])]
            chart = charts.step_total([pd.Timestamp(dates.end(d)) for d in tot["date"]], tot["projects_total"].astype(float).tolist(),
                                      ylabel=T("全国中心总数（个）", "Centres in China"), point_texts=texts, steps=False,
                                      alt=T("全国官方公布的中心总数：", "Official totals in China: ") + self.join(texts))
            if self.role == "host":
                s = T(f"{self.short}的具名中心只见于2023年1月12日的“已建成”清单，来源未给出获批、试运行或开诊日期；下图为全国进展。",
                      f"The named centres of {self.short} appear only on the list of 12 Jan 2023 headed “built”; the sources give no dates of approval, trial operation or opening. The chart shows the national progress.")
            elif self.role == "known":
                s = T(f"{self.short}的首批中心在第{self.facts['first_batch']}批获批；下图为全国进展。",
                      f"{self.short}'s first centres came in batch {self.facts['first_batch']}; the chart shows the national progress.")
            else:
                s = T("下图为全国进展。", "The chart shows the national progress.")
            blocks.append(self.p(s))
            last = tot.iloc[-1]
            title = T(f"全国官方公布的中心总数：{int(tot.iloc[0]['projects_total'])}个（{self.date(tot.iloc[0]['date'], record=False)}）增至{int(last['projects_total'])}个（{self.date(last['date'], record=False)}）",
                      f"Official total in China: from {int(tot.iloc[0]['projects_total'])} ({self.date(tot.iloc[0]['date'], record=False)}) to {int(last['projects_total'])} ({self.date(last['date'], record=False)})")
            blocks.append(self.figure(chart, title, self.source_line(*tot["source_id"])))
        blocks.append(self.html(self.milestones_table(
            T("全国项目里程碑", "National milestones of the programme"), T("全国进展", "National milestone"), record=False)))
        return [{"kind": "analysis", "classes": [], "id": "timeline",
                 "heading": T("进展：获批与开诊", "Progress: approvals and openings"),
                 "heading_id": "timeline-heading", "blocks": blocks}]

    # =========================================================================================
    # annex
    # =========================================================================================
    def _annex_pages(self) -> list[dict]:
        T = self.T
        blocks: list[dict] = []
        letters = iter("ABCDEFGH")

        def head(zh, en, ident):
            n = next(letters)
            return self.h3(T(f"{n}. {zh}", f"{n}. {en}"), ident)
        blocks.append(head("全部数据（按主题）", "All figures, by theme", "annex-figures"))
        figs = pd.concat([self.figs, self.prc_figs], ignore_index=True) if len(self.prc_figs) else self.figs
        blocks.extend(self.figures_by_theme(figs))
        if len(self.approved):
            blocks.append(head("中心清单（完整名称与各阶段）", "The centres in full (names and every stage)", "annex-centres"))
            blocks.append(self.html(self._centres_full()))
        if len(self.exported) > 0:
            blocks.append(head("本省医院支援的外省中心", "Centres elsewhere led by this province's hospitals", "annex-exported"))
            blocks.extend(self._exported_list())
        unk = performance.unknowns(self.ds, self.code, lang=self.lang)
        if not unk.empty:
            blocks.append(head("尚不知道的数据", "What is not known", "annex-unknown"))
            cmap = self.ds.centers.set_index("center_id")
            df = pd.DataFrame({T("中心", "Centre"): [self.centre(cmap.loc[c].to_dict() | {"center_id": c}, short=True) for c in unk["center_id"]],
                               T("已知", "Known"): [f"{k}/{o}" for k, o in zip(unk["known"], unk["of"])],
                               T("来源未提供", "Not given by any source"): unk["missing"].replace("", "—")})
            blocks.append(self.html(table(df, T("各中心核心指标的缺口", "Gaps in the core figures of each centre"), nowrap=[T("已知", "Known")], cls="data small")))
        blocks.append(head("存疑数据", "Flagged figures", "annex-flagged"))
        blocks.extend(self.flagged_block(figs, self.centres))
        blocks.append(head("方法说明", "Method", "annex-method"))
        blocks.append({"type": "block", "title": None, "items": self._method(), "cls": "block method"})
        blocks.append(head("来源", "Sources", "annex-sources"))
        blocks.append(self.html(self.sources_block()))
        return [{"kind": "annex", "classes": [], "id": "annex", "heading": T("附录", "Annex"), "heading_id": "annex-heading", "blocks": blocks}]

    def _centres_full(self) -> Markup:
        T = self.T
        rows = []
        for r in self.centres.to_dict("records"):
            life = self.life[r["center_id"]]
            host = self.hospital(r["host_hospital_zh"]) or T("来源未列", "not given")
            if r["host_hospital_zh_corrected"]:
                host += T(f"（即{r['host_hospital_zh_corrected']}）", f" (i.e. {self.hospital(r['host_hospital_zh_corrected'])})")
            name = self.centre(r, gloss=True)
            if r["name_zh_corrected"]:
                name += Markup('<br><span class="muted">{}</span>').format(T(f"应为：{r['name_zh_corrected']}",
                                                                             "the published Chinese name has a misprint; the English name follows the corrected reading"))
            if r["flag"]:
                name += Markup('<br><span class="muted">{}</span>').format(T("名称存疑，见“存疑数据”", "name doubtful, see “Flagged figures”"))
            rows.append({
                T("中心", "Centre"): name,
                T("依托医院", "Host hospital"): host,
                T("输出医院", "Output hospital"): self.hospital(r["output_hospital_zh"]) + T(f"（{self.pname(r['output_province_code'])}）", f" ({self.pname(r['output_province_code'])})"),
                T("专科", "Specialty"): self.specialty_name(r["specialty"]) + (T("（来源明示）", " (stated)") if r["specialty_basis"] == "stated" else T("（据输出医院推断）", " (inferred from the output hospital)")),
                T("各阶段", "Stages"): (T("；", "; ").join(e.text(self.lang) for e in life.events) or "—") + (T("（规划中，未获批）", " (planned, not approved)") if r["status"] == "planned" else ""),
                T("来源", "Source"): self.cit.refs(r["source_ids"], *life.sources()),
            })
        return table(pd.DataFrame(rows), T("中心清单", "Centres"), nowrap=[T("来源", "Source")], cls="data centres-full")

    def _method(self) -> list[str]:
        """How the briefing's numbers are made, only the lines that apply to this briefing."""
        T = self.T
        f = self.facts
        has_prov_figs = bool(((self.figs["kind"] == "province") & self.figs["theme"].isin(
            ["technology", "experts", "patients", "specialties"])).any())  # totals over the province's centres
        out = [
            T("中心数：按来源所知最好的数——来源所称总数不少于具名数时用所称总数，否则用具名数；只知“第N批首次获批”的省份数量记为未知；规划中、未获批的项目不计。",
              "Number of centres: the best the sources support — a stated total when it is at least the number named, else the number named; a province known only to have been approved in a batch has an unknown number; planned projects are not counted."),
            T(f"每千万常住人口中心数 = 中心数 ÷ {self.pop_year}年末常住人口（万人）× 1000；与全国比较时口径一致：具名数对全国具名数，所称总数对官方总数。",
              f"Centres per 10 million residents = centres ÷ year-end {self.pop_year} resident population (in 10,000s) × 1000; compared with China on the same basis: named with named, a stated total with the official total."),
        ]
        if f["rank"] is not None:
            out.append(T(f"排名只在有数量的{f['n_ranked']}个省份之间比较；各省数量的日期不同。", f"Ranks compare only the {f['n_ranked']} provinces with a number; their dates differ."))
        if len(self.approved):
            out.append(T("阶段：获批、挂牌、列入“已建成”清单、试运行/过渡期运营、开诊、正式运营，各取来源所述日期；“不晚于”表示来源只说明到该日已达到；试运行不计为开诊。",
                         "Stages: approved, plaque unveiled, on a list headed “built”, trial operation, opened, in formal operation, each at the date a source gives; “by” means a source only says it had happened by then; trial operation is not counted as opening."))
        if has_prov_figs:
            out.append(T("省份合计：来源给出的某省各中心的合计数，标为“N个中心合计”，不是整个省份的卫生统计数。", "Province totals: a source's total over a province's centres, marked “N centres combined”, not a province-wide health statistic."))
            out.append(T("并列比较：只有指标、期间类型（累计/时点/年度）和单位都相同的数才并列；各来源的措辞和界定仍可能不同；不同日期的数不相加。",
                         "Side by side: figures are set side by side only when metric, period type and unit agree; the sources' wording and definitions may still differ; figures of different dates are never added."))
        out.append(T("数据按原文保留；存疑的数据标注理由；缺失显示为“—”，不以0代替。", "Figures are kept as published; doubtful ones are flagged with the reason; missing figures show as “—”, never 0."))
        return out
