"""The national overview: what the sources support about the whole programme."""
from __future__ import annotations

import pandas as pd
from markupsafe import Markup

from nrmc import charts, coverage, dates, lifecycle, performance, specialty
from nrmc.briefing.base import BASELINE_METRIC, OUTFLOW_METRIC, Briefing
from nrmc.briefing.common import national_map
from nrmc.labels import fmt_value
from nrmc.render import Section, table

PEER_METRICS = ("new_technologies", "tech_province_firsts", "resident_experts")


class NationalBriefing(Briefing):
    """The national overview (`NationalBriefing(lang="en")`)."""

    kind = "national"
    parts = ("summary", "analysis", "annex")

    def __init__(self, lang: str = "zh", as_of=None, data_dir: str | None = None, ds=None, full: bool = False):
        super().__init__(lang=lang, as_of=as_of, data_dir=data_dir, ds=ds, code=None, full=full)
        self.figs = performance.figures(self.ds, None)
        self.comp = coverage.completeness(self.ds)
        st = self.status
        self.facts = {
            "official_total": self.nat.official_total,
            "official_date": self.nat.official_date,
            "named": self.nat.named,
            "provinces_named": self.nat.provinces_named,
            "provinces_known": self.nat.provinces_known,
            "per_10m_official": self.nat.per_10m_official,
            "per_10m_named": self.nat.per_10m_named,
            "pop_year": self.pop_year,
            "origins": int(self.ds.counted_centers["output_province_code"].nunique()),
            "figures": len(self.figs),
            "top_province": st.sort_values(["count", "code"], ascending=[False, True]).iloc[0]["code"] if st["count"].notna().any() else None,
        }

    # ---------------------------------------------------------------------------------------------
    def _compose(self) -> dict[str, Section]:
        parts = {
            "summary": self.render_part("summary", self._summary_pages()),
            "analysis": self.render_part("analysis", self.analysis_pages([
                self._coverage_pages(), self._flows_pages(), self._specialty_pages(), self._timeline_pages(),
                self._performance_pages()])),
            "annex": self.render_part("annex", self._annex_pages()),
        }
        window = self.window_text()
        self._meta = {
            "title": self.T("国家区域医疗中心全国概览", "National Regional Medical Centres: national overview"),
            "scope": self.T("全国", "China"), "slug": "national", "code": "", "kind": "national", "lang": self.lang,
            "as_of": window, "window": window,
            "window_first": self.window.first if self.window else None, "window_last": self.window.last if self.window else None,
            "pop_year": self.pop_year,
            "centres_text": self.T(f"{self.facts['official_total']}（具名{self.facts['named']}）", f"{self.facts['official_total']} ({self.facts['named']} named)")
            if self.facts["official_total"] is not None else self.T(f"具名{self.facts['named']}", f"{self.facts['named']} named"),
            "official_total": self.facts["official_total"], "named": self.facts["named"],
            "provinces_known": self.facts["provinces_known"], "provinces_named": self.facts["provinces_named"],
        }
        return parts

    # ---------------------------------------------------------------------------------------------
    def _summary_pages(self) -> list[dict]:
        T = self.T
        f = self.facts
        p1 = {"kind": "summary", "classes": ["summary-1"], "id": "summary", "heading": T("摘要", "Summary"), "heading_id": "summary-heading", "blocks": []}
        p2 = {"kind": "summary", "classes": ["summary-2"], "id": "summary-2", "heading": None, "blocks": []}
        off = self.cit.refs(self.nat.official_source)
        when = self.date(f["official_date"])
        if f["official_total"] is None:  # no official total in the data (yet): say so, never "None"
            bl = Markup(T("来源没有给出官方公布的国家区域医疗中心总数；本简报的来源具名{}个中心，分布在{}个省份；按来源，{}个省份有中心。只按具名的中心计，全国每千万常住人口{}个。",
                          "The sources give no official total of national regional medical centres; they name {} centres, in {} provinces; by the sources, {} provinces have centres. Counting only the named centres, China has {} per 10 million residents.")).format(
                f["named"], f["provinces_named"], f["provinces_known"], self._rate(f["per_10m_named"]))
        else:
            bl = Markup(T("截至{}，官方公布的国家区域医疗中心共{}个{}；本简报的来源具名其中{}个（{}%），分布在{}个省份；按来源，{}个省份有中心。全国每千万常住人口{}个（按官方总数；只按具名的中心计为{}个）。",
                          "By {}, {} national regional medical centres had been approved officially{}; the sources of this briefing name {} of them ({}%), in {} provinces; by the sources, {} provinces have centres. China has {} per 10 million residents (on the official total; {} counting only the named centres).")).format(
                when, f["official_total"], off, f["named"], f"{self.comp.share:.0f}" if self.comp.share is not None else "—", f["provinces_named"], f["provinces_known"],
                self._rate(f["per_10m_official"]), self._rate(f["per_10m_named"]))
        share = "—" if self.comp.share is None else f"{self.comp.share:.0f}%"
        p1["blocks"].append(self.p(bl, "bottom-line"))
        p1["blocks"].append({"type": "tiles", "items": [
            {"value": "—" if f["official_total"] is None else str(f["official_total"]), "label": T("官方公布中心总数", "centres, official total"), "note": when},
            {"value": str(f["named"]), "label": T("来源具名的中心", "centres named in the sources"), "note": T(f"占官方总数{share}", f"{share} of the official total")},
            {"value": f"{f['provinces_known']}/31", "label": T("有中心的省份（按来源）", "provinces with centres (by the sources)"), "note": T(f"其中{f['provinces_named']}个有具名中心", f"{f['provinces_named']} with named centres")},
            {"value": self._rate(f["per_10m_official"]), "label": T("每千万常住人口中心数", "centres per 10 million residents"), "note": T(f"按官方总数；按具名数{self._rate(f['per_10m_named'])}", f"official total; {self._rate(f['per_10m_named'])} on named centres")},
        ]})
        p1["blocks"].append(self._map_figure())
        p2["blocks"].append(self.h3(T("已公布的全国成效（注明日期）", "Published national results, with their dates")))
        p2["blocks"].append({"type": "block", "title": None, "items": self._results(), "cls": "results"})
        p2["blocks"].append({"type": "box", "title": T("阅读须知", "Before you read"), "items": self._caveats(), "cls": "box caveats"})
        p2["blocks"].append(self._totals_figure())
        return [p1, p2]

    def _rate(self, v) -> str:
        return "—" if v is None or pd.isna(v) else f"{v:.2f}"

    def _map_figure(self) -> dict:
        chart = national_map(self.status, self.ds.provinces, self.lang)
        f = self.facts
        top = self.status.sort_values(["count", "code"], ascending=[False, True]).iloc[0]
        if pd.isna(top["count"]):
            title = self.T(f"按来源，{f['provinces_known']}个省份有国家区域医疗中心，{f['provinces_named']}个有具名中心",
                           f"By the sources, {f['provinces_known']} provinces have centres, {f['provinces_named']} with named ones")
        else:
            title = self.T(f"按来源，{f['provinces_known']}个省份有国家区域医疗中心，{f['provinces_named']}个有具名中心；{top['name_zh_short']}最多（{int(top['count'])}个）",
                           f"By the sources, {f['provinces_known']} provinces have centres, {f['provinces_named']} with named ones; {top['name_en']} has most ({int(top['count'])})")
        ids = self.ds.counted_centers["source_ids"].tolist() + self.status["stated_source"].dropna().tolist() + self.status["first_batch_source"].dropna().tolist()
        return self.figure(chart, title, self.source_line(*ids, tiles=True))

    def _results(self) -> list:
        T = self.T
        out = []
        for metric in ("new_technologies", "specialties_built", OUTFLOW_METRIC, BASELINE_METRIC):
            x = self.figs[(self.figs["metric"] == metric) & (self.figs["breakdown"] == "")]
            for r in x.to_dict("records"):
                out.append(Markup("<strong>{}</strong>：{}（{}）" if self.zh else "<strong>{}</strong>: {} ({})").format(
                    self.metric_label(r), self.value(r), self.fig_date(r)) + self.cit.refs(r["source_id"]))
        if out and len(self.figs[self.figs["source_id"] == "R12"]):
            out.append(T("2024年2月28日公布的专科数与新技术数为前四批76个项目的合计；跨区域就医降幅是与建设前相比，不是各中心之和。",
                         "The specialties and technologies published on 28 Feb 2024 are totals over the 76 projects of the first four batches; "
                         "the fall in patients leaving their region is against before construction, not a sum over centres."))
        prov = self.ds.metrics
        for m in PEER_METRICS[:2]:
            x = prov[(prov["metric"] == m) & (prov["breakdown"] == "") & prov["subject_id"].str.fullmatch(r"\d{6}") & (prov["flag"] == "")
                     & (prov["period"] == "cumulative")]
            if len(x) >= 1:
                x = x.sort_values("as_of_dt").groupby("subject_id").tail(1).sort_values("value_base", ascending=False)
                label = self.ds.metric_definitions.set_index("code").loc[m, "label_zh" if self.zh else "label_en"]
                bits = []
                for r in x.to_dict("records"):
                    st = self.status.set_index("code").loc[r["subject_id"]]
                    n = "" if pd.isna(st["count"]) else T(f"{int(st['count'])}个中心合计", f"{int(st['count'])} centres combined")
                    sb = self.ds.sources.set_index("source_id").loc[r["source_id"], "date_basis"]
                    bits.append(Markup("{}{} {}（{}）" if self.zh else "{} ({}) {} ({})").format(
                        self.pname(r["subject_id"]), n, fmt_value(r["value"], r["unit"], r["qualifier"], self.lang),
                        self.date(r["as_of"], dates.effective_basis(r["as_of_basis"], sb))) + self.cit.refs(r["source_id"]))
                out.append(Markup("<strong>{}</strong>{}").format(label, T("（省份合计，累计）：", " (province totals, cumulative): ")) + Markup(T("；", "; ")).join(bits))
        return out

    def _caveats(self) -> list:
        T = self.T
        f = self.facts
        unknown = self.status[self.status["role"].isin(["exporter", "unknown"])]
        return [
            T(f"清单完整度：官方总数{f['official_total']}个，来源具名{f['named']}个，多数来自2023年1月12日的清单；第五批（约2023年7月，49个）多未列名称。",
              f"Completeness: official total {f['official_total']}, {f['named']} named in the sources, most from a list of 12 Jan 2023; most of batch 5 (about Jul 2023, 49 projects) is not named.")
            if f["official_total"] is not None else
            T(f"清单完整度：来源没有给出官方公布的总数，具名{f['named']}个；未具名的中心不作推测。",
              f"Completeness: the sources give no official total; {f['named']} are named, and no other centre is guessed at."),
            T(f"来源未提及本地中心的{len(unknown)}个省份（{self.join(unknown['name_zh_short'])}）不等于没有中心。",
              f"The {len(unknown)} provinces with no local centre in the sources ({self.join(unknown['name_en'])}) do not necessarily have none."),
            T("省份合计为来源给出的该省各中心的合计，不是整个省份的卫生统计数；只有同一指标、同为累计的数才并列，各来源的措辞（引进、开展）和日期不同，只作参照。",
              "Province totals are a source's total over a province's centres, not province-wide statistics; only cumulative figures of the same measure are set side by side, "
              "and the sources' wording (introduced, carried out) and dates differ, so they are a reference, not a ranking."),
            T("来源未印日期的，日期为推断并注明“约”或“不早于”。", "Where a source prints no date, the date is inferred and marked “about” or “on or after”."),
        ]

    def _totals_figure(self) -> dict:
        T = self.T
        ms = self.ds.milestones
        tot = ms[ms["projects_total"].notna()].copy()
        tot["_k"] = tot["date"].map(dates.sort_key)
        tot = tot.sort_values("_k")
        if tot.empty:  # milestones without totals (or none yet at the as-of date): no chart, a sentence
            return self.p(T("来源没有给出官方公布的中心总数。", "The sources give no official total of centres."))
        texts = [f"{int(v)}（{self.date(d, b)}）" if self.zh else f"{int(v)} ({self.date(d, b)})"
                 for d, b, v in zip(tot["date"], tot["date_basis"], tot["projects_total"])]
        chart = charts.step_total([pd.Timestamp(dates.end(d)) for d in tot["date"]], tot["projects_total"].astype(float).tolist(),
                                  ylabel=T("中心总数（个）", "Centres"), point_texts=texts, steps=False,
                                  alt=T("官方公布的中心总数：", "Official totals: ") + self.join(texts))
        first, last = tot.iloc[0], tot.iloc[-1]
        title = T(f"官方公布的中心总数从{int(first['projects_total'])}个（{self.date(first['date'])}）增至{int(last['projects_total'])}个（{self.date(last['date'])}）",
                  f"The official total grew from {int(first['projects_total'])} ({self.date(first['date'])}) to {int(last['projects_total'])} ({self.date(last['date'])})")
        return self.figure(chart, title, self.source_line(*tot["source_id"]))

    # ---------------------------------------------------------------------------------------------
    def _coverage_pages(self) -> list[dict]:
        T = self.T
        st = self.status
        ranked = st[st["per_10m"].notna()].sort_values(["per_10m", "code"], ascending=[False, True])
        if ranked.empty:  # no province has a number yet (an as-of before the first list of centres)
            return [{"kind": "analysis", "classes": [], "id": "coverage", "heading": T("覆盖：按人口", "Coverage per head"),
                     "heading_id": "coverage-heading", "blocks": [self.p(T(
                         "来源尚未给出任何省份的中心数量或名称，无法按人口比较。",
                         "The sources give no province's number or names of centres yet, so there is nothing to compare per head."))]}]
        labels = ranked["name_zh_short" if self.zh else "name_en"].tolist()
        texts = [T(f"{r['per_10m']:.2f}（具名{r['per_10m_named']:.2f}）", f"{r['per_10m']:.2f} ({r['per_10m_named']:.2f} named)")
                 if r["count_basis"] == "stated" and r["stated"] != r["named"] and not pd.isna(r["per_10m_named"])
                 else T(f"{r['per_10m']:.2f}（无具名）", f"{r['per_10m']:.2f} (none named)")
                 if r["count_basis"] == "stated" and r["stated"] != r["named"] else f"{r['per_10m']:.2f}" for r in ranked.to_dict("records")]
        chart = charts.hbar(labels, ranked["per_10m"].tolist(), value_texts=texts,
                            xlabel=T("每千万常住人口的中心数（个）", "Centres per 10 million residents"),
                            hatched=(ranked["count_basis"] == "stated").tolist(),
                            legend=[("solid", T("来源具名的中心数", "named centres")), ("hatched", T("来源所称总数", "total stated by a source"))],
                            reference=[(T("全国（官方总数）", "China (official total)"), self.facts["per_10m_official"]),
                                       (T("全国（仅具名）", "China (named only)"), self.facts["per_10m_named"])])
        top = ranked.iloc[0]
        others = st[st["per_10m"].isna()]
        known = others[others["role"] == "known"]["name_zh_short" if self.zh else "name_en"].tolist()
        title = T(f"有数量的{len(ranked)}个省份按每千万人口中心数排序：{top['name_zh_short']}最高（{top['per_10m']:.2f}个）",
                  f"The {len(ranked)} provinces with a number, by centres per 10 million residents: {top['name_en']} first ({top['per_10m']:.2f})")
        reading = T(f"每千万常住人口的中心数只能对来源给出数量的{len(ranked)}个省份计算；{self.join(known)}只知有中心（第五批首次获批），数量未知，未排序；"
                    f"北京、上海等输出地的医院支援外省中心，本地中心来源未提及。各省数量的日期不同（多为2023年1月12日的清单），只说明来源所列。",
                    f"Centres per head can be computed only for the {len(ranked)} provinces with a number; {self.join(known)} are known to have centres (first approved in batch 5) but not how many, so they are not ranked; "
                    f"the hospitals of exporters such as Beijing and Shanghai lead centres elsewhere, and the sources mention none in those provinces. The provinces' numbers have different dates (mostly the list of 12 Jan 2023) and show only what the sources list.")
        ids = self.ds.counted_centers["source_ids"].tolist() + st["stated_source"].dropna().tolist() + st["first_batch_source"].dropna().tolist() + [self.nat.official_source]
        blocks = [self.p(reading), self.figure(chart, title, self.source_line(*ids, population=True))]
        return [{"kind": "analysis", "classes": [], "id": "coverage", "heading": T("覆盖：按人口", "Coverage per head"),
                 "heading_id": "coverage-heading", "blocks": blocks}]

    def _flows_pages(self) -> list[dict]:
        T = self.T
        m = coverage.origin_host_matrix(self.ds, self.lang)
        if m.empty:
            return []
        chart = charts.matrix(m, xlabel=T("中心所在省份", "Province of the centre"), ylabel=T("输出医院所在省份", "Province of the output hospital"))
        origin = m.sum(axis=1)
        share = origin.iloc[0] / origin.sum() * 100
        title = T(f"{origin.index[0]}的医院是{int(origin.iloc[0])}个具名中心的输出医院（{share:.0f}%）；输出医院来自{len(origin)}个省份",
                  f"Hospitals in {origin.index[0]} lead {int(origin.iloc[0])} named centres ({share:.0f}%); output hospitals come from {len(origin)} provinces")
        top = [T(f"{o}{int(v)}个", f"{o} {int(v)}") for o, v in origin.head(5).items()]
        c = self.ds.counted_centers
        same = int((c["output_province_code"] == c["province_code"]).sum())
        reading = T(f"输出医院所在省份（按所支援的中心数）：{self.join(top)}。{same}个中心的输出医院与中心在同一省份（其中辽宁的1个名称存疑）。",
                    f"Provinces of the output hospitals, by centres led: {self.join(top)}. For {same} centres the output hospital is in the same province (Liaoning's one has a doubtful name).")
        blocks = [self.p(reading), self.figure(chart, title, self.source_line(*c["source_ids"]))]
        return [{"kind": "analysis", "classes": [], "id": "flows", "heading": T("输出医院来自哪里", "Where the output hospitals come from"),
                 "heading_id": "flows-heading", "blocks": blocks}]

    def _specialty_pages(self) -> list[dict]:
        T = self.T
        s = specialty.specialty_counts(self.ds)
        s = s[s["count"] > 0].sort_values("count", ascending=False)
        if s.empty:  # no centre named yet (an as-of before the first list): no specialty mix to show
            return []
        labels = s["name_zh" if self.zh else "name_en"].tolist()
        texts = [T(f"{r['count']}（推断{r['inferred']}）", f"{r['count']} ({r['inferred']} inferred)") if r["inferred"] else str(r["count"]) for r in s.to_dict("records")]
        chart = charts.hbar(labels, s["count"].astype(float).tolist(), value_texts=texts, xlabel=T("具名中心数（个）", "Named centres"),
                            hatched=(s["inferred"] > s["stated"]).tolist(),
                            legend=[("solid", T("多数为来源明示", "mostly stated")), ("hatched", T("多数据输出医院推断", "mostly inferred from the output hospital"))])
        top = s.iloc[0]
        name = top["name_zh"] if self.zh else top["name_en"]
        title = T(f"具名的{int(s['count'].sum())}个中心中，{name}{'' if name.endswith('类') else '类'}最多：{top['count']}个",
                  f"Of the {int(s['count'].sum())} named centres, {name.lower() if name[0].isupper() and not name.startswith('Comprehensive') else name} leads: {top['count']}")
        ps = self.ds.specialties
        named_codes = set(s["code"])
        c = self.ds.counted_centers
        focus = coverage.stated_focus(c)
        absent = ps[ps["plan_target"] & ~ps["code"].isin(named_codes)]
        key = "name_zh" if self.zh else "name_en"
        missing = absent[~absent["code"].isin(focus["focus"])][key].tolist()
        as_focus = []
        for r in absent[absent["code"].isin(focus["focus"])].to_dict("records"):
            who = self.join(self.centre_text(x) for x in focus[focus["focus"] == r["code"]].to_dict("records"))
            as_focus.append(T(f"{r[key]}（{who}以之为来源所述重点）", f"{r[key]} (a stated focus of {who})"))
        inf = specialty.inferred_share(self.ds)
        reading = T(f"{inf:.0f}%的具名中心，其专科是据输出医院或项目名称推断的，来源未明示。"
                    + (f"规划重点专科中，没有具名中心以之为专科的有：{self.join(missing + as_focus)}（第五批等之后获批的项目可能包含）。" if missing or as_focus else ""),
                    f"For {inf:.0f}% of the named centres the specialty is inferred from the output hospital or the project's name, not stated by a source."
                    + (f" Planned specialties that no named centre has as its specialty: {self.join(missing + as_focus)} (later batches may include them)." if missing or as_focus else ""))
        self.cit.refs("R14")
        blocks = [self.p(reading), self.figure(chart, title, self.source_line(*self.ds.counted_centers["source_ids"], "R14"))]
        return [{"kind": "analysis", "classes": [], "id": "specialty", "heading": T("专科结构", "Specialty mix"),
                 "heading_id": "specialty-heading", "blocks": blocks}]

    def _timeline_pages(self) -> list[dict]:
        T = self.T
        rows = []
        ids = []
        provinces: list[str] = []
        for r in self.ds.counted_centers.to_dict("records"):
            life = self.life[r["center_id"]]
            if not any(e.stage not in ("built", "listed") for e in life.events):  # dated beyond the list of 2023-01-12
                continue
            ev = [(pd.Timestamp(dates.start(e.date) if e.basis == "stated" else dates.end(e.date)), e.stage, e.basis) for e in life.events]
            for e in life.events:
                self.date(e.date, e.basis)
                ids.append(e.source_id)
            provinces.append(self.pname(r["province_code"]))
            rows.append({"label": self.centre_text(r) + T(f"（{self.pname(r['province_code'])}）", f" ({self.pname(r['province_code'])})"), "events": ev})
        blocks = []
        if rows:
            chart = charts.lifecycle(rows, lang=self.lang, end=pd.Timestamp(self.ref_date),  # the national data window's end
                                     stage_labels={k: lifecycle.label(k, self.lang) for k in lifecycle.STAGE_LABELS},
                                     stage_order=list(lifecycle.STAGE_LABELS))
            provs = self.join(dict.fromkeys(provinces))
            title = T(f"来源给出获批、试运行或开诊日期的{len(rows)}个中心：{provs}",
                      f"The {len(rows)} centres whose approval, trial or opening dates the sources give: {provs}")
            till = self.date(pd.Timestamp(self.ref_date).strftime("%Y-%m"), record=False)
            blocks.append(self.p(T(f"只有下图的中心有来源给出的获批、试运行或开诊日期；其余具名中心只见于2023年1月12日的“已建成”清单。实心标记为来源所述日期，空心为“不晚于”，虚线为预计，灰线延至数据截止月份（{till}）；试运行不计为开诊。",
                                   f"Only the centres below have approval, trial or opening dates in the sources; the other named centres appear only on the list of 12 Jan 2023 headed “built”. "
                                   f"Filled markers: stated dates; hollow: “by” a date; dashed: expected; the grey line runs to the end of the data ({till}); trial operation is not counted as opening.")))
            blocks.append(self.figure(chart, title, self.source_line(*ids)))
        blocks.append(self.html(self.milestones_table(T("项目里程碑", "Programme milestones"), T("事件", "Event"))))
        return [{"kind": "analysis", "classes": [], "id": "timeline", "heading": T("进展：批次、获批与开诊", "Progress: batches, approvals and openings"),
                 "heading_id": "timeline-heading", "blocks": blocks}]

    def _performance_pages(self) -> list[dict]:
        T = self.T
        m = self.ds.metrics
        prov = m[m["subject_id"].str.fullmatch(r"\d{6}") & (m["breakdown"] == "") & (m["flag"] == "") & (m["period"] == "cumulative")
                 & m["metric"].isin(PEER_METRICS)]
        blocks = []
        if len(prov):
            latest = prov.sort_values("as_of_dt").groupby(["subject_id", "metric"]).tail(1)
            provinces = sorted(latest["subject_id"].unique())
            defs = self.ds.metric_definitions.set_index("code")
            cats = [defs.loc[x, "label_zh" if self.zh else "label_en"] for x in PEER_METRICS if x in set(latest["metric"])]
            metrics = [x for x in PEER_METRICS if x in set(latest["metric"])]
            series, texts = {}, {}
            for p in provinces:
                st = self.status.set_index("code").loc[p]
                name = self.pname(p) + (T(f"（{int(st['count'])}个中心合计）", f" ({int(st['count'])} centres)") if not pd.isna(st["count"]) else "")
                vals, tx = [], []
                for x in metrics:
                    row = latest[(latest["subject_id"] == p) & (latest["metric"] == x)]
                    if row.empty:
                        vals.append(float("nan"))
                        tx.append("—")
                    else:
                        r = row.iloc[0]
                        sb = self.ds.sources.set_index("source_id").loc[r["source_id"], "date_basis"]
                        vals.append(float(r["value_base"]))
                        tx.append(f"{fmt_value(r['value'], r['unit'], r['qualifier'], self.lang)}（{self.date(r['as_of'], dates.effective_basis(r['as_of_basis'], sb))}）"
                                  if self.zh else f"{fmt_value(r['value'], r['unit'], r['qualifier'], self.lang)} ({self.date(r['as_of'], dates.effective_basis(r['as_of_basis'], sb))})")
                series[name] = vals
                texts[name] = tx
            chart = charts.grouped_hbar(cats, series, value_texts=texts, xlabel=T("数量（累计）", "Count (cumulative)"))
            title = T(f"只有{len(provinces)}个省份有同一指标的省份合计：{self.join(self.pname(p) for p in provinces)}（措辞、日期不同，仅并列）",
                      f"Province totals of the same measure exist for {len(provinces)} provinces only: {self.join(self.pname(p) for p in provinces)} "
                      "(wording and dates differ; side by side only)")
            blocks.append(self.p(T("来源给出的省份合计是该省各中心的合计，日期不同，已逐项注明。", "A source's province total is the total over that province's centres; dates differ and are shown.")))
            blocks.append(self.figure(chart, title, self.source_line(*latest["source_id"])))
            rows = []
            for x in metrics:
                for r in latest[latest["metric"] == x].sort_values("value_base", ascending=False).to_dict("records"):
                    st = self.status.set_index("code").loc[r["subject_id"]]
                    sb = self.ds.sources.set_index("source_id").loc[r["source_id"], "date_basis"]
                    rows.append({T("指标", "Metric"): defs.loc[x, "label_zh" if self.zh else "label_en"],
                                 T("省份", "Province"): self.pname(r["subject_id"]) + (T(f"（{int(st['count'])}个中心合计）", f" ({int(st['count'])} centres combined)") if not pd.isna(st["count"]) else ""),
                                 T("数值", "Value"): fmt_value(r["value"], r["unit"], r["qualifier"], self.lang),
                                 T("截至", "As of"): self.date(r["as_of"], dates.effective_basis(r["as_of_basis"], sb)),
                                 T("来源", "Source"): self.cit.refs(r["source_id"])})
            blocks.append(self.html(table(pd.DataFrame(rows), T("省份合计（累计数，同一指标；措辞、日期不同）", "Province totals (cumulative, same measure; wording and dates differ)"),
                                          numeric=[T("数值", "Value")], nowrap=[T("来源", "Source")], cls="data peers",
                                          note=T("各来源对指标的界定可能不同：安徽的新技术为“引进”、常驻专家含管理专家；贵州的新技术为“开展”。原话见附录所引来源。",
                                                 "The sources may define a measure differently: Anhui's new technologies are “introduced” and its resident experts "
                                                 "include managers; Guizhou's are “carried out”. The sources' words are in the annex."))))
        pc = self.ds.provincial_centers
        if len(pc):
            items = [Markup("{}（{}，{}）" if self.zh else "{} ({}, {})").format(
                r["name_zh"] if self.zh else Markup("{} {}").format(r["name_en"], self.gloss(r["name_zh"])),
                self.pname(r["province_code"]), r["role_zh"] if self.zh else (r["role_en"][:1].lower() + r["role_en"][1:])) + self.cit.refs(r["source_ids"]) for r in pc.to_dict("records")]
            pf = self.figs[self.figs["metric"].str.startswith("provincial_")]
            for r in pf.to_dict("records"):
                items.append(Markup("{}：{}（{}）" if self.zh else "{}: {} ({})").format(self.metric_label(r), self.value(r), self.fig_date(r)) + self.cit.refs(r["source_id"]))
            blocks.append({"type": "box", "cls": "box other-programme", "title": T("另一项目：省级区域医疗中心（不属于国家区域医疗中心）", "Another programme: provincial regional medical centres (not NRMCs)"), "items": items})
        if not blocks:
            return []
        return [{"kind": "analysis", "classes": [], "id": "performance", "heading": T("成效：省份合计并列", "Results: province totals side by side"),
                 "heading_id": "performance-heading", "blocks": blocks}]

    def _annex_pages(self) -> list[dict]:
        T = self.T
        st = self.status
        blocks: list[dict] = [self.h3(T("A. 31个省份", "A. The 31 provinces"), "annex-provinces")]
        role = {"host": T("有数量", "number known"), "known": T("有中心，数量未知", "has centres, number unknown"),
                "exporter": T("输出地，本地未提及", "exporter; none local in the sources"), "unknown": T("来源未提及", "not in the sources")}
        full = st.sort_values(["per_10m", "code"], ascending=[False, True], na_position="last")
        df = pd.DataFrame({
            T("省份", "Province"): full["name_zh_short" if self.zh else "name_en"],
            T("按来源", "By the sources"): full["role"].map(role),
            T("中心数", "Centres"): [("—" if pd.isna(r["count"]) else str(int(r["count"]))) + (T(f"（具名{r['named']}）", f" ({r['named']} named)") if r["count_basis"] == "stated" and r["stated"] != r["named"] else "") for r in full.to_dict("records")],
            T("每千万人口", "Per 10 million"): full["per_10m"].map(lambda v: "—" if pd.isna(v) else f"{v:.2f}"),
            T("排名", "Rank"): full["rank"].map(lambda v: "—" if pd.isna(v) else str(int(v))),
            T("外省中心的输出医院在此", "Centres elsewhere led from here"): full["exported"].map(lambda v: str(v) if v else "—"),
            T("人口（万人）", "Population (10,000s)"): full["population"].map(lambda v: f"{v:,.0f}"),
        })
        blocks.append(self.html(table(df, T(f"31个省份（人口为{self.pop_year}年末常住人口）", f"The 31 provinces (population at year-end {self.pop_year})"),
                                      numeric=list(df.columns[2:]), cls="data provinces")))
        blocks.append(self.h3(T("B. 全国性数据（按主题）", "B. National figures, by theme"), "annex-figures"))
        blocks.extend(self.figures_by_theme(self.figs))
        blocks.append(self.h3(T("C. 有开诊日期记载的中心", "C. Centres with a known opening date"), "annex-openings"))
        op = coverage.openings(self.ds)
        if op.empty:
            blocks.append(self.p(T("来源未给出任何中心的开诊日期。", "The sources give no opening date.")))
        else:
            df = pd.DataFrame({T("开诊", "Opened"): [self.date(d, b) for d, b in zip(op["open_date"], op["open_date_basis"])],
                               T("中心", "Centre"): [self.centre(r, short=True) for r in op.to_dict("records")],
                               T("省份", "Province"): op["province_code"].map(self.pname),
                               T("来源", "Source"): [self.cit.refs(*self.life[c].sources()) for c in op["center_id"]]})
            blocks.append(self.html(table(df, T(f"开诊（不含试运行）的中心（{len(op)}个）", f"Centres that have opened, trial operation excluded ({len(op)})"),
                                          nowrap=[T("开诊", "Opened"), T("来源", "Source")], cls="data small")))
        blocks.append(self.h3(T("D. 存疑数据（全部）", "D. Flagged figures (all)"), "annex-flagged"))
        all_figs = pd.concat([performance.figures(self.ds, p) for p in self.ds.provinces["code"]] + [self.figs], ignore_index=True)
        all_figs = all_figs.drop_duplicates(subset=["subject_id", "metric", "breakdown", "as_of", "source_id", "period"])
        blocks.extend(self.flagged_block(all_figs, self.ds.centers))
        blocks.append(self.h3(T("E. 方法说明", "E. Method"), "annex-method"))
        blocks.append({"type": "block", "title": None, "cls": "block method", "items": [
            T("中心数按来源所知最好的数：来源所称总数不少于具名数时用所称总数，否则用具名数；只知“第N批首次获批”的省份数量未知。",
              "Number of centres: the best the sources support (a stated total when at least the number named, else the number named); provinces known only from a batch have an unknown number."),
            T(f"每千万常住人口中心数 = 中心数 ÷ {self.pop_year}年末常住人口（万人）× 1000；全国按官方公布总数，另以具名数为下限。",
              f"Centres per 10 million = centres ÷ year-end {self.pop_year} population (10,000s) × 1000; China on the official total, with the named count as a lower bound."),
            T("阶段：获批、挂牌、已建成、试运行/过渡期运营、开诊、正式运营，各取来源所述日期；试运行不计为开诊。",
              "Stages: approved, plaque, built, trial operation, opened, formal operation, at the dates the sources give; trial operation is not counted as opening."),
            T("数据按原文保留；存疑的标注理由；缺失显示为“—”，不以0代替。", "Figures are kept as published; doubtful ones are flagged; missing ones show as “—”, never 0."),
        ]})
        blocks.append(self.h3(T("F. 来源", "F. Sources"), "annex-sources"))
        blocks.append(self.html(self.sources_block()))
        return [{"kind": "annex", "classes": [], "id": "annex", "heading": T("附录", "Annex"), "heading_id": "annex-heading", "blocks": blocks}]
