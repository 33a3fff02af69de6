"""The briefings: sections composed from coverage, specialty, performance and charts.

A notebook cell calls one method and displays the returned `Section`. All prose that states a
finding is generated here from the data, in Chinese (default) or English; nothing is written per
province by hand.
"""
from __future__ import annotations

import pandas as pd
from markupsafe import Markup, escape

from nrmc import charts, coverage, performance, specialty
from nrmc.data import Dataset, load
from nrmc.labels import FLAGS, STATUS, check_lang, fmt_date, fmt_number, fmt_period, fmt_share, fmt_value, pick, t
from nrmc.render import META_MIME, Section, h, key_figures, note, p, source_refs, table, ul

POP_SOURCE = "R04"


def _zh(lang: str) -> bool:
    return lang == "zh"


def _join(items, lang):
    items = [str(i) for i in items]
    if not items:
        return ""
    return "、".join(items) if _zh(lang) else ", ".join(items)


class _Common:
    """What both briefings share: the dataset as of a date, the language, source citations."""

    lang: str
    ds: Dataset

    def _setup(self):
        check_lang(self.lang)
        self.ds = load(self.data_dir or None).as_of(self.as_of or None)
        self.srcno = performance.source_numbers(self.ds)
        self.cited = set()

    # -- helpers -------------------------------------------------------------------------------
    def _cite_numbers(self, source_ids) -> list[int]:
        """Record the sources (ids, or ';'-separated id lists) as cited; their numbers."""
        nums = []
        for s in source_ids:
            for sid in str(s).split(";"):
                if sid:
                    self.cited.add(sid)
                    nums.append(self.srcno[sid])
        return nums

    def cite(self, *source_ids: str) -> Markup:
        return source_refs(self._cite_numbers(source_ids))

    def source_line(self, *source_ids: str, population: bool = False) -> str:
        nums = sorted(set(self._cite_numbers(source_ids + ((POP_SOURCE,) if population else ()))))
        refs = "".join(f"[{n}]" for n in nums)
        return (f"来源：{refs}（见“来源与说明”）" if _zh(self.lang) else f"Sources: {refs} (see Sources and notes)")

    @property
    def date_text(self) -> str:
        d = self.ds.as_of_date if self.ds.as_of_date is not None else self.ds.latest_date
        return fmt_date(d.strftime("%Y-%m-%d"), self.lang)

    def pname(self, code: str) -> str:
        row = self.ds.provinces.set_index("code").loc[code]
        return row["name_zh_short"] if _zh(self.lang) else row["name_en"]

    def cname(self, row) -> Markup:
        """A centre's name in the briefing's language (English gloss + Chinese name as published)."""
        zh = row["name_zh"]
        if _zh(self.lang) or not row.get("name_en"):
            return Markup(escape(zh))
        return Markup('{}<br><span lang="zh-CN" class="zh-name">{}</span>').format(row["name_en"], zh)

    def figures_table(self, figs: pd.DataFrame, caption: str, with_subject: bool = True) -> Markup:
        """Every figure with its value, date, period, source number and flag; cites the sources."""
        L = self.lang
        sp = {r["code"]: (r["name_zh"], r["name_en"]) for _, r in self.ds.specialties.iterrows()}
        tab = performance.figure_table(figs, L, sp)
        tab.columns = [t(k, L) for k in ("subject", "metric", "value", "as_of", "period", "source_col", "flag")]
        for sid in figs["source_id"]:
            self.cite(sid)
        if not with_subject:
            tab = tab.drop(columns=[t("subject", L)])
        short = [t(k, L) for k in ("value", "as_of", "period", "source_col", "flag")]
        return table(tab, caption, numeric=[t("value", L)], nowrap=short)

    def titled(self, title: str, scope: str, subtitle: str) -> Section:
        """The title block; its output also carries the report's title, scope, as-of date and
        language as JSON (mimetype META_MIME) for the exporter's header."""
        payload = {"title": title, "scope": scope, "as_of": self.date_text, "lang": self.lang, "subtitle": subtitle}
        return Section([Markup('<div class="nb-title">'), h(1, title), p(subtitle, "subtitle"), Markup("</div>")], meta=payload)

    def sources_section(self, heading_key: str) -> Section:
        s = self.ds.sources
        used = s[s["source_id"].isin(self.cited)]
        items = []
        for _, r in used.iterrows():
            n = self.srcno[r["source_id"]]
            parts = [f"[{n}]", r["publisher"] + ("，" if _zh(self.lang) else ", "), f"《{r['title']}》" if _zh(self.lang) else f"“{r['title']}”"]
            date = fmt_date(r["date"], self.lang) if r["date"] else ("日期未注明" if _zh(self.lang) else "undated")
            text = Markup(" ").join([Markup(escape(x)) for x in parts]) + Markup("，" if _zh(self.lang) else ", ") + date
            if r["url"]:
                text += Markup(' <a href="{0}">{0}</a>').format(r["url"])
            if r["note"] and not _zh(self.lang):  # source notes are written in English
                text += Markup('<br><span class="muted">{}</span>').format(r["note"])
            items.append(text)
        return Section([h(2, t(heading_key, self.lang), "sources"), Markup('<ol class="sources">{}</ol>').format(
            Markup("").join(Markup('<li value="{}">{}</li>').format(self.srcno[sid], it)
                            for sid, it in zip(used["source_id"], items)))])


# =============================================================================================
class ProvinceBriefing(_Common):
    """The briefing of one province.

    >>> b = ProvinceBriefing("安徽")          # any name form: 安徽省, 皖, anhui, 340000, CN-AH
    >>> b.headline()                          # displays in Jupyter
    """

    def __init__(self, province: object, lang: str = "zh", as_of: str | None = None, data_dir: str | None = None):
        self.province, self.lang, self.as_of, self.data_dir = province, lang, as_of, data_dir
        self._setup()
        self.code = coverage.province_code(self.ds, province)
        self.prow = self.ds.provinces.set_index("code").loc[self.code]
        self.name = self.prow["name_zh"] if _zh(lang) else self.prow["name_en"]
        self.short = self.prow["name_zh_short"] if _zh(lang) else self.prow["name_en"]
        self.table_all = coverage.centers_by_province(self.ds)
        self.row = self.table_all.set_index("code").loc[self.code]
        self.centers = coverage.province_centers(self.ds, self.code)
        self.approved = self.centers[self.centers["status"] != "planned"]
        self.figs = performance.figures(self.ds, self.code)
        self.planned = coverage.planned_specialties(self.ds, self.code)
        self.origins = coverage.output_origins(self.ds, self.code)
        self.as_origin = coverage.as_origin(self.ds, self.code)
        self.stated = None if pd.isna(self.row.get("stated", float("nan"))) else int(self.row["stated"])
        self.facts = self._facts()

    # -- facts (what tests and prose use) -------------------------------------------------------
    def _facts(self) -> dict:
        cmp_ = coverage.per_head_comparison(self.ds, self.code)
        ps = self.planned
        comp = coverage.completeness(self.ds)
        return {
            "code": self.code,
            "named": int(self.row["centers"]),
            "stated": self.stated,
            "stated_as_of": None if self.stated is None else self.row["stated_as_of"],
            "stated_source": None if self.stated is None else self.row["stated_source"],
            "per_10m": float(self.row["per_10m"]),
            "region_per_10m": float(cmp_.loc[1, "per_10m"]),
            "national_per_10m": float(cmp_.loc[2, "per_10m"]),
            "rank": int(self.row["rank"]),
            "population": float(self.row["population"]),
            "pop_year": self.table_all.attrs["pop_year"],
            "planned_has": int((ps["status"] == "has").sum()),
            "planned_unnamed": int((ps["status"] == "has_unnamed").sum()),
            "planned_total": len(ps),
            "as_origin": len(self.as_origin),
            "figures": len(self.figs),
            "flagged": int((self.figs["flag"] != "").sum()),
            "national_named": comp.named,
            "official_total": comp.official_total,
            "official_date": comp.official_date,
        }

    def _rate(self, v: float) -> str:
        return f"{v:.2f}"

    # -- sections --------------------------------------------------------------------------------
    def title(self) -> Section:
        zh = _zh(self.lang)
        title = f"{self.name}国家区域医疗中心简报" if zh else f"National Regional Medical Centres: {self.name} briefing"
        sub = (f"数据截至{self.date_text}；人口为{self.facts['pop_year']}年末常住人口" if zh
               else f"Data as of {self.date_text}; population at year-end {self.facts['pop_year']}")
        return self.titled(title, self.name, sub)

    def headline(self) -> Section:
        f, zh, L = self.facts, _zh(self.lang), self.lang
        tiles = []
        named_note = ""
        if f["stated"] is not None and f["stated"] != f["named"]:
            named_note = (f"来源称共{f['stated']}个，具名{f['named']}个" if zh
                          else f"sources state {f['stated']}, name {f['named']}")
        elif f["stated"] is not None:
            named_note = "与来源所称总数一致" if zh else "matches the stated total"
        tiles.append((str(f["named"]), "已具名的国家区域医疗中心" if zh else "named national regional medical centres", named_note))
        tiles.append((self._rate(f["per_10m"]), "每千万人口中心数" if zh else "centres per 10 million residents",
                      (f"全国{self._rate(f['national_per_10m'])}；居第{f['rank']}位/31" if zh
                       else f"China {self._rate(f['national_per_10m'])}; rank {f['rank']} of 31")))
        tiles.append((f"{f['planned_has'] + f['planned_unnamed']}/{f['planned_total']}",
                      "规划重点专科已覆盖" if zh else "planned specialties covered",
                      ("含来源未列名称的" + str(f["planned_unnamed"]) + "个" if f["planned_unnamed"] and zh else
                       (f"incl. {f['planned_unnamed']} without a named centre" if f["planned_unnamed"] else ""))))
        tech = performance.latest(self.figs[self.figs["kind"] == "province"], "new_technologies")
        if not tech.empty:
            r = tech.iloc[0]
            tiles.append((r["display_zh"] if zh else r["display_en"],
                          "引进新技术新项目（全省）" if zh else "new technologies introduced (province)",
                          (f"{fmt_period(r['period'], L)}，截至{fmt_date(r['as_of'], L)}，来源[{r['source_no']}]" if zh
                           else f"{fmt_period(r['period'], L)}, as of {fmt_date(r['as_of'], L)}, source [{r['source_no']}]")))
            self.cite(r["source_id"])
        else:
            tiles.append((str(f["as_origin"]), "外省中心的输出医院在本省" if zh else "centres elsewhere led from here",
                          "本省医院作为输出医院" if zh else "this province's hospitals as output hospitals"))
        comp_share = f["national_named"] / f["official_total"] * 100 if f["official_total"] else None
        tiles.append((f"{f['national_named']}/{f['official_total'] or '—'}",
                      "全国：来源具名/官方总数" if zh else "China: named in sources / official total",
                      (f"官方总数截至{fmt_date(f['official_date'], L)}" if zh else f"official total as of {fmt_date(f['official_date'], L)}")))
        self.cite(POP_SOURCE)
        return Section([h(2, t("headline", L), "headline"), key_figures(tiles), ul(self._findings(), "findings")])

    def _findings(self) -> list[Markup]:
        f, zh, L = self.facts, _zh(self.lang), self.lang
        out = []
        comp_rel = ("高于" if f["per_10m"] > f["national_per_10m"] else "低于" if f["per_10m"] < f["national_per_10m"] else "等于") if zh \
            else ("above" if f["per_10m"] > f["national_per_10m"] else "below" if f["per_10m"] < f["national_per_10m"] else "equal to")
        if f["named"] == 0 and not f["stated"]:
            out.append(Markup(escape(f"本数据集的来源中，{self.name}尚无国家区域医疗中心。" if zh else
                                     f"No source in the dataset names a national regional medical centre in {self.name}.")))
        else:
            s = (f"{self.name}有{f['named']}个已具名的国家区域医疗中心，每千万常住人口{self._rate(f['per_10m'])}个，"
                 f"{comp_rel}全国平均（{self._rate(f['national_per_10m'])}个），在31个省份中居第{f['rank']}位。" if zh else
                 f"{self.name} has {f['named']} named national regional medical centres, {self._rate(f['per_10m'])} per 10 million "
                 f"residents, {comp_rel} the national average ({self._rate(f['national_per_10m'])}); rank {f['rank']} of 31.")
            out.append(Markup(escape(s)))
        if f["stated"] is not None and f["stated"] != f["named"]:
            s = (f"来源称{self.name}共有{f['stated']}个国家区域医疗中心（截至{fmt_date(f['stated_as_of'], L)}），其中{f['named']}个可在来源中找到名称；"
                 f"其余{f['stated'] - f['named']}个未具名，本简报不作推测。" if zh else
                 f"Sources state {f['stated']} centres in {self.name} (as of {fmt_date(f['stated_as_of'], L)}) but name only {f['named']}; "
                 f"the other {f['stated'] - f['named']} are not guessed at.")
            out.append(Markup(escape(s)) + self.cite(f["stated_source"]))
        ps = self.planned
        lacks = ps[ps["status"] == "lacks"]
        names = lacks["name_zh" if zh else "name_en"].tolist()
        if names:
            out.append(Markup(escape(f"规划重点专科中尚缺：{_join(names, L)}。" if zh else f"Planned specialties not yet present: {_join(names, L)}.")))
        origins = self.origins
        if not origins.empty:
            parts = [f"{(r['origin_zh'] if zh else r['origin_en'])}{r['centers']}个" if zh else f"{r['origin_en']} {r['centers']}"
                     for _, r in origins.iterrows()]
            out.append(Markup(escape(f"输出医院来自：{_join(parts, L)}。" if zh else f"Output hospitals come from: {_join(parts, L)}.")))
        if f["as_origin"]:
            out.append(Markup(escape(f"本省医院作为输出医院，支援外省{f['as_origin']}个国家区域医疗中心。" if zh else
                                     f"Hospitals of {self.name} are the output hospitals of {f['as_origin']} centres in other provinces.")))
        if f["flagged"]:
            out.append(Markup(escape(f"{f['flagged']}项数据存疑，已按原文保留并标注（见第三、四部分）。" if zh else
                                     f"{f['flagged']} figures look wrong as published; kept and flagged (sections 3–4).")))
        return out

    def coverage(self) -> Section:
        zh, L = _zh(self.lang), self.lang
        parts: list = [h(2, t("coverage", L), "coverage")]
        # centres table
        if len(self.centers):
            parts.append(self._centers_table())
        else:
            parts.append(p(escape(f"本数据集的来源未列出{self.name}的国家区域医疗中心。" if zh else
                                  f"The dataset's sources list no national regional medical centre in {self.name}.")))
        # per head
        parts.append(h(3, "人口覆盖" if zh else "Per head of population"))
        parts.append(self._per_head_chart())
        parts.append(self._tile_map())
        # planned specialties
        parts.append(h(3, "规划重点专科：已有与尚缺" if zh else "Planned specialties: present and missing"))
        parts.append(self._planned_table())
        # origins
        parts.append(h(3, "输出医院来源" if zh else "Where the output hospitals come from"))
        parts.append(self._origins())
        return Section(parts)

    def _centers_table(self) -> Markup:
        zh, L = _zh(self.lang), self.lang
        sp = self.ds.specialties.set_index("code")
        rows = []
        for _, r in self.centers.iterrows():
            spec = sp.loc[r["specialty"], "name_zh" if zh else "name_en"]
            basis = "" if r["specialty_basis"] == "stated" else ("（推断）" if zh else " (inferred)")
            host = r["host_hospital_zh"] or ("来源未列" if zh else "not given")
            if r["host_hospital_zh_corrected"]:
                host += (f"（应为：{r['host_hospital_zh_corrected']}）" if zh else f" (read: {r['host_hospital_zh_corrected']})")
            name = self.cname(r)
            if r["name_zh_corrected"]:
                name = name + Markup('<br><span class="muted">{}</span>').format(
                    ("应为：" if zh else "read: ") + r["name_zh_corrected"])
            city = r["city_zh"] if zh else (r["city_en"] or r["city_zh"])
            if city:
                name = name + Markup('<br><span class="muted">{}</span>').format(city)
            opening = "—"
            rows.append({
                t("centre", L): name,
                t("host", L): host,
                t("output", L): f"{r['output_hospital_zh']}（{self.pname(r['output_province_code'])}）" if zh else
                                f"{r['output_hospital_zh']} ({self.pname(r['output_province_code'])})",
                t("specialty_col", L): spec + basis,
                t("status", L): pick(STATUS[r["status"]], L) + (f"；{opening}" if zh and opening != "—" else (f"; {opening}" if opening != "—" else "")),
                t("source_col", L): self.cite(r["source_ids"]),
            })
        caption = (f"{self.name}的国家区域医疗中心（{len(self.approved)}个已获批" +
                   (f"，另{len(self.centers) - len(self.approved)}个规划中" if len(self.centers) > len(self.approved) else "") + "）"
                   if zh else f"Centres in {self.name} ({len(self.approved)} approved"
                   + (f", {len(self.centers) - len(self.approved)} planned" if len(self.centers) > len(self.approved) else "") + ")")
        inferred = int((self.approved["specialty_basis"] == "inferred").sum())
        tn = ((f"“推断”：来源未写明专科，据输出医院的专长推断（{inferred}个）。" if zh else
               f"“inferred”: no source states the specialty; deduced from the output hospital ({inferred}).") if inferred else None)
        return table(pd.DataFrame(rows), caption, note=tn)

    def _per_head_chart(self) -> Markup:
        zh, L, f = _zh(self.lang), self.lang, self.facts
        peers = self.table_all[self.table_all["region"] == self.prow["region"]].sort_values("per_10m", ascending=False)
        labels = [r["name_zh_short"] if zh else r["name_en"] for _, r in peers.iterrows()]
        values = peers["per_10m"].tolist()
        hl = (peers["code"] == self.code).tolist()
        region = f"{self.prow['region']}地区" if zh else f"{self.prow['region_en']} region"
        rel = ("高于" if f["per_10m"] > f["national_per_10m"] else "低于" if f["per_10m"] < f["national_per_10m"] else "等于")
        title = (f"{self.short}每千万人口{self._rate(f['per_10m'])}个中心，{rel}全国平均{self._rate(f['national_per_10m'])}个" if zh else
                 f"{self.short}: {self._rate(f['per_10m'])} centres per 10 million residents "
                 f"({'above' if rel == '高于' else 'below' if rel == '低于' else 'equal to'} China's {self._rate(f['national_per_10m'])})")
        fig = charts.hbar(labels, values, title, self.source_line("S02", population=True) + (
            f"；{f['pop_year']}年末常住人口" if zh else f"; population at year-end {f['pop_year']}"),
            xlabel="每千万常住人口的已具名中心数（个）" if zh else "Named centres per 10 million residents",
            highlight=hl, reference=[("全国" if zh else "China", f["national_per_10m"]), (region, f["region_per_10m"])],
            fmt=lambda v: f"{v:.2f}")
        self._cite_center_sources()
        alt = title + ("。" if zh else ". ") + _join([f"{lab} {v:.2f}" for lab, v in zip(labels, values)], L)
        return charts.figure_html(fig, alt)

    def _cite_center_sources(self):
        for s in self.ds.counted_centers["source_ids"]:
            self.cite(s)

    def _tile_map(self) -> Markup:
        zh, L = _zh(self.lang), self.lang
        tiles = self.table_all.assign(label=self.table_all["name_zh_short" if zh else "name_en"], value=self.table_all["centers"])
        n_with = int((tiles["value"] > 0).sum())
        title = (f"{n_with}个省份有已具名的国家区域医疗中心；{self.short}以粗框标出" if zh else
                 f"{n_with} provinces have named centres; {self.short} outlined")
        fig = charts.tile_map(tiles, title, self.source_line("S02", "R06"),
                              value_label="已具名中心数（个）" if zh else "Named centres", highlight=self.code)
        alt = title + ("。各省中心数：" if zh else ". Centres by province: ") + _join(
            [f"{r['label']} {r['value']}" for _, r in tiles.sort_values("value", ascending=False).iterrows() if r["value"] > 0], L)
        return charts.figure_html(fig, alt)

    def _planned_table(self) -> Markup:
        zh, L = _zh(self.lang), self.lang
        ps = self.planned
        status = {"has": t("has", L), "lacks": t("lacks", L), "has_unnamed": t("has_unnamed", L)}
        df = pd.DataFrame({
            t("specialty_col", L): ps["name_zh" if zh else "name_en"] + ps["category"].map(
                lambda c: "（中医类）" if c == "tcm" and zh else (" (TCM category)" if c == "tcm" else "")),
            ("本省（个）" if zh else "This province"): ps["province_count"],
            ("全国（个）" if zh else "China"): ps["national_count"],
            t("status", L): ps["status"].map(status),
        })
        for sid in coverage.stated_breakdown(self.ds, self.code, "specialty")["source_id"]:
            self.cite(sid)
        self.cite("R14")
        cap = ("国家扩容方案确定的12个重点专科及中医类" if zh else
               "The 12 specialties targeted by the national expansion plan, and TCM")
        return table(df, Markup(escape(cap)) + self.cite("R14"), numeric=[df.columns[1], df.columns[2]])

    def _origins(self) -> Markup:
        zh, L = _zh(self.lang), self.lang
        parts = []
        o = self.origins
        if not o.empty:
            df = pd.DataFrame({t("output_province", L): o["origin_zh" if zh else "origin_en"],
                               t("count", L): o["centers"], t("output", L): o["hospitals"]})
            parts.append(table(df, "本省中心的输出医院所在省份" if zh else "Provinces of the output hospitals of this province's centres",
                               numeric=[t("count", L)]))
        ao = self.as_origin
        if not ao.empty:
            df = pd.DataFrame({t("province", L): ao["host_zh" if zh else "host_en"],
                               t("centre", L): [self.cname(r) for _, r in ao.iterrows()],
                               t("output", L): ao["output_hospital_zh"]})
            parts.append(table(df, (f"{self.name}的医院作为输出医院支援的外省中心（{len(ao)}个）" if zh else
                                    f"Centres in other provinces led by hospitals of {self.name} ({len(ao)})")))
        if o.empty and ao.empty:
            peers = coverage.region_peers(self.ds, self.code)
            peers = peers[(peers["code"] != self.code) & (peers["centers"] > 0)]
            txt = (f"{self.name}既无本地中心，也无医院作为输出医院。同属{self.prow['region']}地区的省份中，"
                   + _join([f"{r['name_zh_short']}{r['centers']}个" for _, r in peers.iterrows()], L) + "。"
                   if zh else
                   f"{self.name} neither hosts a centre nor has a hospital serving as output hospital. In the "
                   f"{self.prow['region_en']} region: " + _join([f"{r['name_en']} {r['centers']}" for _, r in peers.iterrows()], L) + ".")
            parts.append(p(escape(txt)))
            if not peers.empty:
                c = self.ds.counted_centers
                near = c[c["province_code"].isin(peers["code"])]
                df = pd.DataFrame({t("province", L): near["province_code"].map(self.pname),
                                   t("centre", L): [self.cname(r) for _, r in near.iterrows()],
                                   t("specialty_col", L): near["specialty"].map(self.ds.specialties.set_index("code")["name_zh" if zh else "name_en"])})
                parts.append(table(df, (f"{self.prow['region']}地区其他省份的国家区域医疗中心" if zh else
                                        f"Centres elsewhere in the {self.prow['region_en']} region")))
        return Markup("").join(parts)

    def specialty_mix(self) -> Section:
        zh, L = _zh(self.lang), self.lang
        parts: list = [h(2, t("specialty", L), "specialty")]
        cmp_ = specialty.specialty_compare(self.ds, self.code)
        here = cmp_[cmp_["province_count"] > 0]
        if here.empty:
            parts.append(p(escape(f"{self.name}暂无已具名中心，下图为全国专科结构。" if zh else
                                  f"{self.name} has no named centre; the national mix follows.")))
            parts.append(_national_specialty_chart(self))
            return Section(parts)
        top = here.sort_values("difference", ascending=False).iloc[0]
        title = (f"{self.short}的{top['name_zh']}占比{fmt_share(top['province_share'])}，全国为{fmt_share(top['national_share'])}" if zh else
                 f"{top['name_en']} is {fmt_share(top['province_share'])} of {self.short}'s centres, {fmt_share(top['national_share'])} nationally")
        labels = cmp_["name_zh" if zh else "name_en"].tolist()
        fig = charts.share_compare(labels, cmp_["province_share"].fillna(0).tolist(), cmp_["national_share"].fillna(0).tolist(),
                                   title, self.source_line("S02"), left_label=self.short, right_label=t("national", L),
                                   xlabel="占已具名中心的比例（%）" if zh else "Share of named centres (%)")
        alt = title + ("。" if zh else ". ") + _join([f"{lab} {a:.0f}%/{b:.0f}%" for lab, a, b in
                                                      zip(labels, cmp_["province_share"].fillna(0), cmp_["national_share"].fillna(0))], L)
        parts.append(charts.figure_html(fig, alt))
        inf = specialty.inferred_share(self.ds, self.code)
        inf_n = specialty.inferred_share(self.ds)
        parts.append(note(escape(
            f"专科依据：本省{fmt_share(inf)}、全国{fmt_share(inf_n)}的中心专科系据输出医院推断，来源未明示；其余为来源明示。" if zh else
            f"Basis: the specialty of {fmt_share(inf)} of this province's centres ({fmt_share(inf_n)} nationally) is inferred from "
            "the output hospital; the rest is stated in a source.")))
        df = pd.DataFrame({t("specialty_col", L): cmp_["name_zh" if zh else "name_en"],
                           ("本省（个）" if zh else "Province (n)"): cmp_["province_count"],
                           ("本省占比" if zh else "Province share"): cmp_["province_share"].map(fmt_share),
                           ("全国（个）" if zh else "China (n)"): cmp_["national_count"],
                           ("全国占比" if zh else "China share"): cmp_["national_share"].map(fmt_share)})
        parts.append(table(df, "专科结构：本省与全国" if zh else "Specialty mix: province and China", numeric=list(df.columns[1:])))
        return Section(parts)

    def performance(self) -> Section:
        zh, L = _zh(self.lang), self.lang
        parts: list = [h(2, t("performance", L), "performance")]
        figs = self.figs
        if figs.empty:
            parts.append(p(escape(f"本数据集的来源没有关于{self.name}或其中心的建设成效数据。" if zh else
                                  f"The dataset's sources give no performance figure for {self.name} or its centres.")))
        else:
            parts.append(p(escape(
                f"以下{len(figs)}项数据逐项注明截至日期、口径和来源；不同日期或口径的数据不相加。" if zh else
                f"The {len(figs)} figures below each carry their date, period and source; figures of different dates "
                "or periods are never added up.")))
            for chart in self._performance_charts():
                parts.append(chart)
            parts.append(self.figures_table(figs, (f"{self.name}及其中心的全部数据（{len(figs)}项）" if zh else
                                                   f"All figures for {self.name} and its centres ({len(figs)})")))
        unk = performance.unknowns(self.ds, self.code, lang=L)
        if not unk.empty:
            df = pd.DataFrame({t("centre", L): [self.cname(r) for _, r in unk.iterrows()],
                               ("已知" if zh else "Known"): [f"{k}/{o}" for k, o in zip(unk["known"], unk["of"])],
                               ("来源未提供" if zh else "Not given by any source"): unk["missing"].replace("", "—")})
            parts.append(h(3, "尚不知道的数据" if zh else "What is not known"))
            parts.append(table(df, "各中心核心指标的缺口" if zh else "Gaps in the core figures of each centre"))
        return Section(parts)

    def _performance_charts(self) -> list[Markup]:
        zh, L = _zh(self.lang), self.lang
        out = []
        tech = performance.comparable(self.figs, "new_technologies")
        if len(tech) >= 2:
            labels = [f"{_short_center(r, zh)}（{fmt_date(r['as_of'], L)}）" if zh else f"{_short_center(r, zh)} ({fmt_date(r['as_of'], L)})"
                      for _, r in tech.iterrows()]
            top = tech.iloc[0]
            title = (f"{_short_center(top, zh)}引进新技术新项目最多（{top['display_zh']}）；各中心统计日期不同，不可相加" if zh else
                     f"{_short_center(top, zh)} introduced the most new technologies ({top['display_en']}); dates differ, not additive")
            fig = charts.hbar(labels, tech["value_base"].tolist(), title, self.source_line(*tech["source_id"]),
                              xlabel="新技术新项目（项，各中心最近一次公布值）" if zh else "New technologies (latest published figure per centre)")
            out.append(charts.figure_html(fig, title + ("。" if zh else ". ") + _join(
                [f"{lab} {fmt_number(v)}" for lab, v in zip(labels, tech["value_base"])], L)))
        res = performance.comparable(self.figs, "resident_experts")
        vis = performance.comparable(self.figs, "visiting_experts")
        ids = list(dict.fromkeys(list(res["subject_id"]) + list(vis["subject_id"])))
        if len(ids) >= 2:
            names = self.figs.drop_duplicates("subject_id").set_index("subject_id")
            cats = [_short_center(names.loc[i], zh) for i in ids]
            rmap, vmap = res.set_index("subject_id")["value_base"], vis.set_index("subject_id")["value_base"]
            series = {("常驻专家" if zh else "Resident experts"): [rmap.get(i, float("nan")) for i in ids],
                      ("短期/巡回专家" if zh else "Visiting experts"): [vmap.get(i, float("nan")) for i in ids]}
            title = ("常驻专家与短期/巡回专家：各中心最近一次公布的人数" if zh else
                     "Resident and visiting experts: latest published number per centre")
            fig = charts.paired_bars(cats, series, title, self.source_line(*res["source_id"], *vis["source_id"]),
                                     ylabel="人" if zh else "persons")
            alt = title + ("。" if zh else ". ") + _join([f"{c} {fmt_number(a)}/{fmt_number(b)}" for c, a, b in
                                                          zip(cats, *series.values())], L)
            out.append(charts.figure_html(fig, alt))
        return out

    def sources_notes(self) -> Section:
        zh, L = _zh(self.lang), self.lang
        parts: list = []
        fl = performance.flagged(self.figs)
        if not fl.empty:
            items = [Markup("{}：{} = {}（{}）。{} {}").format(
                r["name_zh" if zh else "name_en"], r["label_zh" if zh else "label_en"], r["display_zh" if zh else "display_en"],
                r["flag_zh" if zh else "flag_en"], r["flag_reason_zh" if zh else "note"], self.cite(r["source_id"]))
                for _, r in fl.iterrows()]
            parts += [h(3, "存疑数据" if zh else "Flagged figures"), ul(items)]
        comp = coverage.completeness(self.ds)
        method = [
            ("中心数只计来源中有名称且已获批的项目；“规划中”的项目不计。" if zh else
             "Counts include only approved centres named in a source; planned projects are excluded."),
            (f"每千万人口中心数 = 已具名中心数 ÷ {self.facts['pop_year']}年末常住人口（万人）× 1000。" if zh else
             f"Centres per 10 million = named centres ÷ year-end {self.facts['pop_year']} resident population (10,000s) × 1000."),
            (f"全国：来源具名{comp.named}个，官方公布总数{comp.official_total}个（截至{fmt_date(comp.official_date, L)}），"
             f"本数据集覆盖约{fmt_share(comp.share)}。" if zh else
             f"China: {comp.named} centres named in sources against an official total of {comp.official_total} "
             f"(as of {fmt_date(comp.official_date, L)}), about {fmt_share(comp.share)}."),
            ("数据按原文保留；缺失显示为“—”，不以0代替。" if zh else "Figures are kept as published; missing ones show as “—”, never 0."),
        ]
        self.cite(comp.official_source)
        parts += [h(3, "方法说明" if zh else "Method"), ul([escape(m) for m in method])]
        # the source list comes first but is rendered last, once every citation is known
        return self.sources_section("sources") + Section(parts)


def _short_center(row, zh: bool) -> str:
    """A compact centre label for chart axes: the published name without the university prefix."""
    name = row["name_zh"] if zh or not row.get("name_en") else row["name_en"]
    if zh:
        for prefix in ("首都医科大学附属", "上海交通大学医学院附属", "中国医学科学院", "复旦大学附属", "浙江大学医学院附属",
                       "上海中医药大学附属", "北京中医药大学", "中国中医科学院", "中山大学附属", "西安交通大学", "华中科技大学同济医学院附属"):
            if name.startswith(prefix) and len(name) > len(prefix) + 4:
                return name[len(prefix):]
    return name if len(name) <= 40 else name[:38] + "…"


def _national_specialty_chart(b: _Common) -> Markup:
    zh, L = _zh(b.lang), b.lang
    s = specialty.specialty_counts(b.ds)
    s = s[s["count"] > 0].sort_values("count", ascending=False)
    top = s.iloc[0]
    title = (f"{top['name_zh']}类中心最多：{top['count']}个，占{fmt_share(top['share'])}" if zh else
             f"{top['name_en']} leads: {top['count']} centres, {fmt_share(top['share'])}")
    # one bar per basis would split counts; draw total with the inferred share hatched in the label
    labels = [f"{r['name_zh' if zh else 'name_en']}（推断{r['inferred']}）" if zh and r["inferred"] else
              (f"{r['name_en']} ({r['inferred']} inferred)" if r["inferred"] else r["name_zh" if zh else "name_en"])
              for _, r in s.iterrows()]
    mostly_inferred = (s["inferred"] > s["stated"]).tolist()
    fig = charts.hbar(labels, s["count"].tolist(), title, b.source_line("S02", "S01", "S05"),
                      xlabel="已具名中心数（个）" if zh else "Named centres", hatched=mostly_inferred,
                      hatch_label="多数为推断" if zh else "mostly inferred", solid_label="多数为来源明示" if zh else "mostly stated")
    alt = title + ("。" if zh else ". ") + _join([f"{lab} {c}" for lab, c in zip(labels, s["count"])], L)
    return charts.figure_html(fig, alt)


# =============================================================================================
class NationalBriefing(_Common):
    """The national overview."""

    def __init__(self, lang: str = "zh", as_of: str | None = None, data_dir: str | None = None):
        self.lang, self.as_of, self.data_dir = lang, as_of, data_dir
        self._setup()
        self.table_all = coverage.centers_by_province(self.ds)
        self.comp = coverage.completeness(self.ds)
        self.figs = performance.figures(self.ds, None)
        t_ = self.table_all
        self.facts = {
            "named": int(t_["centers"].sum()),
            "provinces_with": int((t_["centers"] > 0).sum()),
            "national_per_10m": float(t_["centers"].sum() / t_["population"].sum() * 1000),
            "pop_year": t_.attrs["pop_year"],
            "official_total": self.comp.official_total,
            "official_date": self.comp.official_date,
            "top_province": t_.sort_values(["centers", "code"], ascending=[False, True]).iloc[0]["code"],
            "top_rate_province": t_.sort_values(["per_10m", "code"], ascending=[False, True]).iloc[0]["code"],
            "figures": len(self.figs),
            "origins": int(self.ds.counted_centers["output_province_code"].nunique()),
        }

    def title(self) -> Section:
        zh = _zh(self.lang)
        title = "国家区域医疗中心全国概览" if zh else "National Regional Medical Centres: national overview"
        sub = (f"数据截至{self.date_text}；人口为{self.facts['pop_year']}年末常住人口" if zh
               else f"Data as of {self.date_text}; population at year-end {self.facts['pop_year']}")
        return self.titled(title, t("national", self.lang), sub)

    def headline(self) -> Section:
        f, zh, L = self.facts, _zh(self.lang), self.lang
        top = self.table_all.set_index("code").loc[f["top_province"]]
        topr = self.table_all.set_index("code").loc[f["top_rate_province"]]
        tiles = [
            (str(f["named"]), "来源具名的国家区域医疗中心" if zh else "centres named in sources",
             (f"官方总数{f['official_total']}个（截至{fmt_date(f['official_date'], L)}）" if zh
              else f"official total {f['official_total']} (as of {fmt_date(f['official_date'], L)})")),
            (f"{f['provinces_with']}/31", "有中心的省份" if zh else "provinces with a named centre", ""),
            (f"{f['national_per_10m']:.2f}", "每千万人口中心数" if zh else "centres per 10 million residents",
             f"{f['pop_year']}年末人口" if zh else f"population {f['pop_year']}"),
            (str(f["origins"]), "输出医院所在省份数" if zh else "provinces of output hospitals", ""),
        ]
        self.cite(self.comp.official_source, POP_SOURCE)
        findings = [
            (f"本数据集的来源具名{f['named']}个已获批的国家区域医疗中心，分布在{f['provinces_with']}个省份；"
             f"官方公布的总数为{f['official_total']}个（截至{fmt_date(f['official_date'], L)}），本清单约占{fmt_share(self.comp.share)}。" if zh else
             f"Sources name {f['named']} approved centres in {f['provinces_with']} provinces; the official total is "
             f"{f['official_total']} (as of {fmt_date(f['official_date'], L)}), so this list covers about {fmt_share(self.comp.share)}."),
            (f"中心最多的是{top['name_zh_short']}（{top['centers']}个）；按人口计最多的是{topr['name_zh_short']}"
             f"（每千万人口{topr['per_10m']:.2f}个）。" if zh else
             f"Most centres: {top['name_en']} ({top['centers']}); most per head: {topr['name_en']} ({topr['per_10m']:.2f} per 10 million)."),
        ]
        return Section([h(2, t("headline", L), "headline"), key_figures(tiles), ul([escape(x) for x in findings], "findings")])

    def coverage(self) -> Section:
        zh, L = _zh(self.lang), self.lang
        t_ = self.table_all
        parts: list = [h(2, t("national_map", L), "coverage")]
        tiles = t_.assign(label=t_["name_zh_short" if zh else "name_en"], value=t_["centers"])
        top = t_.sort_values("centers", ascending=False).iloc[0]
        title = (f"{self.facts['provinces_with']}个省份有已具名中心，{top['name_zh_short']}最多（{top['centers']}个）" if zh else
                 f"{self.facts['provinces_with']} provinces have named centres; {top['name_en']} has most ({top['centers']})")
        fig = charts.tile_map(tiles, title, self.source_line("S02", "S01", "S05", "R06"),
                              value_label="已具名中心数（个）" if zh else "Named centres")
        parts.append(charts.figure_html(fig, title))
        rate = t_.assign(label=tiles["label"], value=t_["per_10m"].round(2))
        topr = t_.sort_values("per_10m", ascending=False).iloc[0]
        title2 = (f"按人口计，{topr['name_zh_short']}每千万人口{topr['per_10m']:.2f}个中心，全国平均{self.facts['national_per_10m']:.2f}个" if zh else
                  f"Per head, {topr['name_en']} leads with {topr['per_10m']:.2f} per 10 million; China {self.facts['national_per_10m']:.2f}")
        fig = charts.tile_map(rate, title2, self.source_line("S02", population=True), fmt=lambda v: f"{v:.2f}",
                              value_label="每千万人口中心数" if zh else "Centres per 10 million")
        parts.append(charts.figure_html(fig, title2))
        ranked = t_.sort_values(["per_10m", "code"], ascending=[False, True])
        ranked = ranked[ranked["centers"] > 0]
        labels = ranked["name_zh_short" if zh else "name_en"].tolist()
        n_zero = int((t_["centers"] == 0).sum())
        title3 = (f"{len(ranked)}个省份按每千万人口中心数排序：{topr['name_zh_short']}最高，另有{n_zero}个省份尚无已具名中心" if zh else
                  f"{len(ranked)} provinces ranked by centres per head: {topr['name_en']} first; {n_zero} provinces have none named")
        fig = charts.hbar(labels, ranked["per_10m"].tolist(), title3, self.source_line("S02", population=True),
                          xlabel="每千万常住人口的已具名中心数（个）" if zh else "Named centres per 10 million residents",
                          reference=[("全国" if zh else "China", self.facts["national_per_10m"])], fmt=lambda v: f"{v:.2f}")
        parts.append(charts.figure_html(fig, title3 + ("。" if zh else ". ") + _join(
            [f"{lab} {v:.2f}" for lab, v in zip(labels, ranked["per_10m"])], L)))
        full = t_.sort_values(["per_10m", "code"], ascending=[False, True])
        df = pd.DataFrame({
            t("rank", L): full["rank"],
            t("province", L): full["name_zh_short" if zh else "name_en"],
            ("地区" if zh else "Region"): full["region" if zh else "region_en"],
            ("已具名中心（个）" if zh else "Named centres"): full["centers"],
            ("来源所称总数" if zh else "Stated total"): full["stated"].map(lambda v: "—" if pd.isna(v) else fmt_number(v)),
            t("population", L): full["population"].map(fmt_number),
            t("per_10m", L): full["per_10m"].map(lambda v: f"{v:.2f}"),
        })
        parts.append(table(df, "31个省份的中心数与人口覆盖" if zh else "Centres and coverage in the 31 provinces",
                           numeric=list(df.columns[3:]) + [t("rank", L)]))
        return Section(parts)

    def flows(self) -> Section:
        zh, L = _zh(self.lang), self.lang
        parts: list = [h(2, t("national_flows", L), "flows")]
        m = coverage.origin_host_matrix(self.ds, L)
        top_origin = m.sum(axis=1).idxmax()
        share = m.sum(axis=1).max() / m.values.sum() * 100
        title = (f"{top_origin}的医院输出了{m.sum(axis=1).max()}个中心，占{share:.0f}%" if zh else
                 f"Hospitals in {top_origin} lead {m.sum(axis=1).max()} centres, {share:.0f}% of all")
        fig = charts.matrix(m, title, self.source_line("S02", "S01", "S05"),
                            xlabel="中心所在省份（依托地）" if zh else "Host province",
                            ylabel="输出医院所在省份" if zh else "Province of the output hospital")
        alt = title + ("。" if zh else ". ") + _join([f"{o}→{hst} {int(v)}" for o, row in m.iterrows() for hst, v in row.items() if v > 0], L)
        parts.append(p(escape(title + ("。" if zh else "."))))
        parts.append(charts.figure_html(fig, alt))
        origin = m.sum(axis=1)
        df = pd.DataFrame({("输出医院所在省份" if zh else "Origin"): origin.index, t("count", L): origin.values,
                           t("share", L): [fmt_share(v / origin.sum() * 100) for v in origin.values],
                           ("支援的省份" if zh else "Host provinces"): [_join([c for c, v in m.loc[o].items() if v > 0], L) for o in origin.index]})
        parts.append(table(df, "输出医院来源省份" if zh else "Where the output hospitals are", numeric=[t("count", L), t("share", L)]))
        return Section(parts)

    def specialty_mix(self) -> Section:
        zh, L = _zh(self.lang), self.lang
        parts: list = [h(2, t("national_specialty", L), "specialty"), _national_specialty_chart(self)]
        s = specialty.specialty_counts(self.ds).sort_values("count", ascending=False)
        df = pd.DataFrame({t("specialty_col", L): s["name_zh" if zh else "name_en"],
                           ("规划重点专科" if zh else "Plan target"): s["plan_target"].map(lambda b: ("是" if b else "否") if zh else ("yes" if b else "no")),
                           t("count", L): s["count"], (t("stated", L)): s["stated"], t("inferred", L): s["inferred"],
                           t("share", L): s["share"].map(fmt_share)})
        parts.append(table(df, "各专科中心数（已具名）" if zh else "Named centres by specialty", numeric=list(df.columns[2:])))
        missing = s[(s["count"] == 0) & s["plan_target"]]
        if not missing.empty:
            parts.append(p(escape(("规划重点专科中，来源尚未具名任何中心的有：" if zh else "Planned specialties with no named centre: ")
                                  + _join(missing["name_zh" if zh else "name_en"], L) + ("。" if zh else "."))))
        self.cite("R14")
        return Section(parts)

    def progress(self) -> Section:
        zh, L = _zh(self.lang), self.lang
        parts: list = [h(2, t("national_time", L), "progress")]
        ms = self.ds.milestones.sort_values("date_dt")
        tot = ms[ms["projects_total"].notna()]
        counts = pd.Series(tot["projects_total"].astype(int).values, index=tot["date_dt"])
        last = tot.iloc[-1] if not tot.empty else None
        title = (f"官方公布的项目总数从{int(tot.iloc[0]['projects_total'])}个增至{int(last['projects_total'])}个（{fmt_date(last['date'], L)}）"
                 if zh and last is not None else
                 f"Official total grew from {int(tot.iloc[0]['projects_total'])} to {int(last['projects_total'])} ({fmt_date(last['date'], L)})"
                 if last is not None else "")
        if last is not None:
            fig = charts.timeline(pd.Series([], dtype="datetime64[ns]"), [], counts, title, self.source_line(*tot["source_id"]),
                                  ylabel="项目数（个）" if zh else "Projects", step_label="官方公布累计总数" if zh else "Official cumulative total")
            parts.append(charts.figure_html(fig, title + ("。" if zh else ". ") + _join(
                [f"{fmt_date(d, L)} {int(v)}" for d, v in zip(tot["date"], tot["projects_total"])], L)))
        df = pd.DataFrame({("日期" if zh else "Date"): ms["date"].map(lambda d: fmt_date(d, L)),
                           ("事件" if zh else "Event"): ms["event_zh" if zh else "event_en"],
                           ("累计总数" if zh else "Total"): ms["projects_total"].map(lambda v: "—" if pd.isna(v) else fmt_number(v)),
                           t("source_col", L): [self.cite(s) for s in ms["source_id"]]})
        parts.append(table(df, "项目里程碑" if zh else "Programme milestones", numeric=[df.columns[2]]))
        op = coverage.openings(self.ds)
        if not op.empty:
            df = pd.DataFrame({("开诊" if zh else "Opened"): op["open_date"].map(lambda d: fmt_date(d, L)),
                               t("centre", L): [self.cname(r) for _, r in op.iterrows()],
                               t("province", L): op["province_code"].map(self.pname),
                               t("source_col", L): [self.cite(s) for s in op["source_ids"]]})
            parts.append(table(df, (f"有开诊日期记载的中心（{len(op)}个）" if zh else f"Centres with a known opening date ({len(op)})")))
        return Section(parts)

    def performance(self) -> Section:
        zh, L = _zh(self.lang), self.lang
        parts: list = [h(2, t("national_performance", L), "performance")]
        nat = self.figs
        if nat.empty:
            parts.append(p("—"))
        else:
            parts.append(self.figures_table(nat, "全国性数据" if zh else "National figures", with_subject=False))
        # dataset completeness by province
        prov = self.table_all[self.table_all["stated"].notna()]
        if not prov.empty:
            df = pd.DataFrame({t("province", L): prov["name_zh_short" if zh else "name_en"],
                               ("来源所称总数" if zh else "Stated total"): prov["stated"].map(fmt_number),
                               ("已具名" if zh else "Named"): prov["centers"],
                               t("as_of", L): prov["stated_as_of"].map(lambda d: fmt_date(d, L)),
                               t("source_col", L): [self.cite(s) for s in prov["stated_source"]]})
            parts.append(table(df, "数据集完整度：来源所称总数与已具名中心" if zh else "Completeness: stated totals against named centres",
                               numeric=[df.columns[1], df.columns[2]]))
        return Section(parts)

    def context(self) -> Section:
        zh, L = _zh(self.lang), self.lang
        parts: list = [h(2, t("national_context", L), "context")]
        pc = self.ds.provincial_centers
        parts.append(p(escape("省级区域医疗中心是另一项目：由各省建设，不属于国家区域医疗中心，列此仅供参照。" if zh else
                              "Provincial regional medical centres are a different programme, built by the provinces; shown for context only.")))
        if not pc.empty:
            df = pd.DataFrame({t("centre", L): [Markup(escape(r["name_zh"] if zh or not r["name_en"] else r["name_en"])) for _, r in pc.iterrows()],
                               t("province", L): pc["province_code"].map(self.pname),
                               ("说明" if zh else "Note"): pc["role_zh"].where(pc["role_zh"] != "", pc["specialty_note"]),
                               t("source_col", L): [self.cite(s) for s in pc["source_ids"]]})
            parts.append(table(df, "来源提及的省级区域医疗中心" if zh else "Provincial regional medical centres named in sources"))
        pf = performance.figures(self.ds, None)
        pf = pf[pf["metric"].str.startswith("provincial_")]
        for _, r in pf.iterrows():
            parts.append(p(Markup("{}：{}{}").format(r["label_zh" if zh else "label_en"], r["display_zh" if zh else "display_en"],
                                                     self.cite(r["source_id"]))))
        return Section(parts)

    def sources_notes(self) -> Section:
        zh, L = _zh(self.lang), self.lang
        self.cite(POP_SOURCE, "R06")
        parts: list = [self.sources_section("national_sources").html]
        allflag = self.ds.metrics[self.ds.metrics["flag"] != ""]
        if not allflag.empty:
            names = performance.subject_names(self.ds).set_index("subject_id")
            defs = self.ds.metric_definitions.set_index("code")
            items = [Markup("{}：{} {}（{}）。{} {}").format(
                names.loc[r["subject_id"], "name_zh" if zh else "name_en"], defs.loc[r["metric"], "label_zh" if zh else "label_en"],
                fmt_value(r["value"], r["unit"], r["qualifier"], L), pick(FLAGS[r["flag"]], L),
                r["flag_reason_zh" if zh else "note"], self.cite(r["source_id"])) for _, r in allflag.iterrows()]
            parts += [h(3, "存疑数据（全部）" if zh else "Flagged figures (all)"), ul(items)]
        return Section(parts)


