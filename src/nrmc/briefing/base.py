"""What the province and national briefings share: the dataset as of a date, the language, names
in the reader's language, citations, the data window, and the parts every briefing has (the
annex's figures by theme, flagged figures, sources, method)."""
from __future__ import annotations

import functools
from datetime import date
from pathlib import Path

import pandas as pd
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup, escape

from nrmc import coverage, dates, inputs, lifecycle, performance
from nrmc.citations import Citations, split_ids
from nrmc.data import Dataset, load
from nrmc.parameters import normalize_as_of
from nrmc.labels import check_lang, fmt_breakdown, fmt_number, fmt_period, fmt_value
from nrmc.render import META_MIME, Section, table
from nrmc.safety import safe_url

TEMPLATES = Path(__file__).resolve().parents[1] / "templates" / "sections"
CSS_FILE = Path(__file__).resolve().parents[1] / "templates" / "nrmc_briefing" / "static" / "briefing.css"
POP_SOURCE = "R04"
TILE_SOURCE = "R06"
BASELINE_METRIC = "outside_region_treatment_share"
OUTFLOW_METRIC = "patient_outflow_decline"


@functools.lru_cache(maxsize=1)
def _env() -> Environment:
    return Environment(loader=FileSystemLoader(str(TEMPLATES)), autoescape=select_autoescape(default=True),
                       trim_blocks=False, lstrip_blocks=False, keep_trailing_newline=False)


@functools.lru_cache(maxsize=1)
def inline_css() -> str:
    """The briefing stylesheet, carried by every part so that a cell's output looks right in
    JupyterLab and in stock `jupyter nbconvert --to html` (the report template strips it, since
    its own <head> has the same rules)."""
    return CSS_FILE.read_text(encoding="utf-8")


class Briefing:
    """Base class: build with `lang`, `as_of` (only what was known by then) and `data_dir`."""

    kind = "briefing"

    def __init__(self, lang: str = "zh", as_of=None, data_dir: str | None = None, ds: Dataset | None = None,
                 code: str | None = None, full: bool = False):
        check_lang(lang)
        self.lang = lang
        self.as_of = normalize_as_of(as_of)  # the same rule as `nrmc build --as-of`
        base = ds if ds is not None else load(data_dir or None)
        # A province's briefing sees only what it reads (nrmc.inputs), so that the build's digest
        # of that subset says exactly when the briefing can change. `full=True` composes from the
        # whole dataset (the tests check both give the same briefing).
        self.ds = base.as_of(self.as_of) if full else inputs.scope_dataset(base.as_of(self.as_of), code)
        self.cit = Citations(self.ds.sources)
        self.life = lifecycle.lifecycles(self.ds)
        self.status = coverage.province_status(self.ds)
        self.nat = coverage.national_count(self.ds)
        self.pop_year = self.status.attrs["pop_year"]
        self._dates: list[tuple[str, str]] = []  # dates of what the briefing reports about its subject
        self._context_dates: list[tuple[str, str]] = []  # national and peer context
        self._parts: dict[str, Section] | None = None

    # ---- language -----------------------------------------------------------------------------
    @property
    def zh(self) -> bool:
        return self.lang == "zh"

    def T(self, zh: str, en: str) -> str:
        return zh if self.zh else en

    @staticmethod
    def noun_en(n: int, noun: str, plural: str | None = None) -> str:
        """An English noun in the number of `n`: "centre" for 1, else "centres" (or `plural`)."""
        return noun if n == 1 else plural or noun + "s"

    @classmethod
    def n_en(cls, n: int, noun: str, plural: str | None = None) -> str:
        """An English count with its noun in the right number: "1 centre", "2 centres"."""
        return f"{n} {cls.noun_en(n, noun, plural)}"

    def join(self, items) -> str:
        items = [str(i) for i in items if str(i)]
        if not items:
            return ""
        if self.zh:
            return "、".join(items)
        return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]

    def stop(self) -> str:
        return "。" if self.zh else "."

    @property
    def html_lang(self) -> str:
        return "zh-CN" if self.zh else "en"

    def gloss(self, zh_text: str) -> Markup:
        """The Chinese original beside an English name, marked as Chinese."""
        return Markup('<span lang="zh-CN" class="gloss">{}</span>').format(zh_text)

    # ---- names ----------------------------------------------------------------------------------
    @functools.cached_property
    def _prov(self) -> pd.DataFrame:
        return self.ds.provinces.set_index("code")

    def pname(self, code: str, full: bool = False) -> str:
        r = self._prov.loc[code]
        if self.zh:
            return r["name_zh"] if full else r["name_zh_short"]
        return r["name_en"]

    def region_name(self, code: str) -> str:
        r = self._prov.loc[code]
        return f"{r['region']}地区" if self.zh else f"the {r['region_en']} region"

    @functools.cached_property
    def _hosp(self) -> dict[str, dict]:
        return {r["name_zh"]: r for r in self.ds.hospitals.to_dict("records")}

    def hospital(self, name_zh: str, short: bool = False) -> str:
        """A hospital's name in the reader's language (the published Chinese in zh)."""
        if not name_zh:
            return ""
        h = self._hosp.get(name_zh, {})
        if self.zh:
            return (h.get("short_zh") or name_zh) if short else name_zh
        en = (h.get("short_en") if short else "") or h.get("name_en") or ""
        return en or self.T(name_zh, "(English name not recorded)")

    def centre(self, row, short: bool = False, gloss: bool = False) -> Markup:
        """A centre's name: Chinese as published (zh), or its English name with the Chinese as a
        marked gloss (en, when `gloss`)."""
        if self.zh:
            text = (row.get("short_zh") or row["name_zh"]) if short else row["name_zh"]
            return Markup(escape(text))
        en = (row.get("short_en") if short else "") or row.get("name_en") or ""
        if not en:
            return Markup('<span lang="zh-CN">{}</span>').format(row["name_zh"])
        if gloss:
            return Markup("{} {}").format(en, self.gloss(row["name_zh"]))
        return Markup(escape(en))

    def centre_text(self, row, short: bool = True) -> str:
        """A centre's name as plain text for charts (no gloss)."""
        if self.zh:
            return (row.get("short_zh") or row["name_zh"]) if short else row["name_zh"]
        return ((row.get("short_en") if short else "") or row.get("name_en") or "").strip() or "(name in Chinese only)"

    def specialty_name(self, code: str) -> str:
        r = self.ds.specialties.set_index("code").loc[code]
        return r["name_zh"] if self.zh else r["name_en"]

    @functools.cached_property
    def _cities(self) -> dict[str, str]:
        return dict(zip(self.ds.cities["name_zh"], self.ds.cities["name_en"]))

    def city_en(self, zh: str) -> str:
        return self._cities.get(zh, "")

    def city(self, row) -> str:
        z = row.get("city_zh") or ""
        if not z:
            return ""
        text = z if self.zh else self.city_en(z)
        if row.get("city_basis") == "inferred":
            text += self.T("（推断）", " (inferred)")
        return text

    # ---- dates and the data window --------------------------------------------------------------
    def date(self, text: str, basis: str = "stated", record: bool = True) -> str:
        """A date in words; `record` adds it to the briefing's data window (the dates of what the
        briefing reports about its subject; context such as national totals is not recorded)."""
        if text and basis != "expected":
            (self._dates if record else self._context_dates).append((text, basis))
        return dates.qualified(text, basis, self.lang)

    def record_sources(self, source_ids) -> None:
        """Add the dates of the sources behind listed centres to the data window (a list as of a
        date is data of that date)."""
        src = self.ds.sources.set_index("source_id")
        for sid in split_ids(source_ids):
            if sid in src.index and src.loc[sid, "date"]:
                self._dates.append((src.loc[sid, "date"], src.loc[sid, "date_basis"] or "stated"))

    def _marked_date(self, r) -> str:
        """A figure's date in a table cell (compact; the table's note says what ≥ ≈ ≤ mean)."""
        self.date(r["as_of"], r["date_basis"])  # recorded in the data window like any printed date
        return dates.marked(r["as_of"], r["date_basis"], self.lang)

    def fig_date(self, r, record: bool = True) -> str:
        return self.date(r["as_of"], r["date_basis"], record)

    @property
    def window(self) -> dates.Window | None:
        """The span of the dates this briefing prints about its subject; when the sources say
        nothing about it, the span of the context it prints instead."""
        return dates.window(self._dates) or dates.window(self._context_dates)

    def window_text(self) -> str:
        w = self.window
        if not w:
            return "—"
        if not dates.window(self._dates):  # nothing about the subject itself: the national context
            return w.text(self.lang) + self.T("（全国背景数据）", " (national context)")
        return w.text(self.lang)

    @functools.cached_property
    def ref_date(self) -> date:
        """The date ages are counted to: the end of the briefing's as-of date, else the latest
        date in the data the briefing reads (its scope's subset, also when composed with
        full=True, so that both compositions agree)."""
        if self.ds.as_of_date is not None:
            return self.ds.as_of_date.date()
        return inputs.scope_dataset(self.ds, getattr(self, "code", None)).latest_date.date()

    # ---- figures --------------------------------------------------------------------------------
    def value(self, r) -> str:
        return r["display_zh"] if self.zh else r["display_en"]

    def metric_label(self, r, with_breakdown: bool = True) -> str:
        label = r["label_zh"] if self.zh else r["label_en"]
        if with_breakdown and r.get("breakdown"):
            sp = {x["code"]: (x["name_zh"], x["name_en"]) for x in self.ds.specialties.to_dict("records")}
            part = fmt_breakdown(r["breakdown"], self.lang, sp, self._cities)
            label += f"（{part}）" if self.zh else f" ({part})"
        return label

    def amount(self, r) -> str:
        """A figure as a phrase: '新技术新项目814项' / '814 new technologies and projects' (for
        running text; tables use `value`)."""
        if self.zh:
            return f"{self.metric_label(r)}{self.value(r)}"
        label = self.metric_label(r)
        label = label[0].lower() + label[1:] if label[:2] != label[:2].upper() else label
        n = fmt_value(r["value"], r["unit"] if r["unit"] in ("%",) else ("万" if str(r["unit"]).startswith("万") and len(r["unit"]) > 1 else ""),
                      r["qualifier"], "en").strip()
        if r["base_unit"] in ("位", "批", "%"):
            return f"{label}: {self.value(r)}"
        return f"{n} {label}"

    def period(self, p: str) -> str:
        return fmt_period(p, self.lang)

    def subject(self, r, short: bool = False) -> str:
        """Who a figure is about, saying that a province figure is a total over its centres
        (`short`: a centre's short name, for tables beside the full list)."""
        if r["kind"] == "province":
            n = self.status.set_index("code").loc[r["subject_id"], "count"]
            name = self.pname(r["subject_id"])
            if r["metric"] in ("nrmc_count", "first_approval_batch", "nrmc_count_national_rank", "outflow_decline_rank") \
                    or r.get("theme") in ("policy", "provincial", "coverage"):
                return name
            if pd.isna(n):
                return self.T(f"{name}各中心合计", f"{name}'s centres combined")
            return self.T(f"{name}{int(n)}个中心合计", f"{name}'s {int(n)} centres combined")
        if r["kind"] == "national":
            return self.T("全国", "China")
        if r["kind"] == "centre":
            row = self.ds.centers.set_index("center_id").loc[r["subject_id"]]
            return self.centre_text(row, short=short)
        return r["name_zh"] if self.zh else r["name_en"]

    # ---- blocks ---------------------------------------------------------------------------------
    def source_line(self, *ids: str, population: bool = False, tiles: bool = False) -> str:
        ids = split_ids(ids) + ([POP_SOURCE] if population else []) + ([TILE_SOURCE] if tiles else [])
        refs = self.cit.brackets(*ids)
        extra = self.T(f"；人口为{self.pop_year}年末常住人口", f"; population at year-end {self.pop_year}") if population else ""
        return self.T(f"来源：{refs}{extra}（见附录“来源”）", f"Sources: {refs}{extra} (see Annex, Sources)")

    def figure(self, chart, title: str, source: str, *, note: str | Markup | None = None, flex: bool = True,
               cls: str = "") -> dict:
        return {"type": "figure", "svg": Markup(chart.svg), "title": title, "source": source, "note": note,
                "flex": flex, "cls": cls}

    @staticmethod
    def p(text, cls: str | None = None) -> dict:
        return {"type": "p", "text": text, "cls": cls}

    @staticmethod
    def h3(text, ident: str | None = None) -> dict:
        return {"type": "h3", "text": text, "id": ident}

    @staticmethod
    def html(markup: Markup) -> dict:
        return {"type": "html", "html": markup}

    NUMERALS = "一二三四五六七八九十"

    def analysis_pages(self, groups: list[list[dict]]) -> list[dict]:
        """Printed analysis pages: each group of section-pages becomes one page whose sections keep
        their headings, numbered in reading order (一、二、… / 1. 2. …)."""
        out: list[dict] = []
        n = 0
        for group in groups:
            blocks: list[dict] = []
            first_id = None
            for sec in group:
                n += 1
                num = f"{self.NUMERALS[n - 1]}、" if self.zh else f"{n}. "
                blocks.append({"type": "h2", "text": num + sec["heading"], "id": sec.get("heading_id")})
                blocks.extend(sec["blocks"])
                first_id = first_id or sec.get("id")
            if blocks:
                out.append({"kind": "analysis", "classes": [], "id": first_id, "heading": None, "blocks": blocks})
        return out

    def render_part(self, part: str, pages: list[dict], meta: dict | None = None) -> Section:
        html = _env().get_template("part.html.j2").render(part=part, pages=pages, html_lang=self.html_lang,
                                                          style=inline_css())
        return Section([Markup(html)], meta=meta)

    # ---- the annex: shared parts ------------------------------------------------------------------
    def milestones_table(self, title: str, event_header: str, record: bool = True) -> Markup:
        """The programme's national milestones, oldest first (dates kept on one line)."""
        T = self.T
        ms = self.ds.milestones.copy()
        ms["_k"] = ms["date"].map(dates.sort_key)
        ms = ms.sort_values("_k")
        date_h, total_h, source_h = T("日期", "Date"), T("累计总数", "Total"), T("来源", "Source")
        df = pd.DataFrame({date_h: [self.date(d, b, record=record) for d, b in zip(ms["date"], ms["date_basis"])],
                           event_header: ms["event_zh" if self.zh else "event_en"],
                           total_h: ms["projects_total"].map(lambda v: "—" if pd.isna(v) else str(int(v))),
                           source_h: [self.cit.refs(s) for s in ms["source_id"]]})
        return table(df, title, numeric=[total_h], nowrap=[date_h, source_h], cls="data milestones")

    def figures_by_theme(self, figs: pd.DataFrame, limit: int = 400) -> list[dict]:
        """The annex's figure tables, one per theme, each figure with its subject, value, date,
        period, source and flag. Above `limit` rows a theme shows each subject's latest figure of
        each metric and says how many more the data has."""
        blocks: list[dict] = []
        if figs.empty:
            return [self.p(self.T("来源未提供数据。", "The sources give no figures."))]
        order = list(performance.THEMES)
        figs = figs.assign(theme=figs["theme"].where(figs["kind"] != "provincial_centre", "provincial"))
        for theme in order:
            f = figs[figs["theme"] == theme]
            if f.empty:
                continue
            shown = f
            if len(f) > limit:
                shown = f.sort_values("as_of_dt").groupby(["subject_id", "metric", "breakdown"]).tail(1).head(limit)
            rows = []
            for r in shown.to_dict("records"):
                flag = r["flag_zh"] if self.zh else r["flag_en"]
                rows.append({
                    self.T("对象", "Subject"): self.subject(r, short=True),
                    self.T("指标", "Metric"): self.metric_label(r),
                    self.T("数值", "Value"): self.value(r),
                    self.T("截至", "As of"): self._marked_date(r),
                    self.T("口径", "Period"): self.period(r["period"]),
                    self.T("来源", "Source"): self.cit.refs(r["source_id"]),
                    self.T("标记", "Flag"): flag,
                })
            name = performance.THEMES[theme][0 if self.zh else 1]
            note = None
            if len(shown) < len(f):
                note = self.T(f"共{len(f)}项，此处列出每个对象每项指标最近的{len(shown)}项。",
                              f"{len(f)} figures; each subject's latest figure of each metric is shown ({len(shown)}).")
            df = pd.DataFrame(rows)
            if any(b in ("about", "not_after", "not_before") for b in shown["date_basis"]):
                mark = dates.MARKS_NOTE[0 if self.zh else 1]
                note = mark if note is None else note + " " + mark
            blocks.append(self.html(table(df, f"{name}（{len(f)}项）" if self.zh else f"{name} ({len(f)})",
                                          numeric=[self.T("数值", "Value")],
                                          nowrap=[self.T("来源", "Source"), self.T("标记", "Flag"), self.T("截至", "As of"),
                                                  self.T("口径", "Period")], note=note,
                                          cls="data figures")))
        return blocks

    def flagged_block(self, figs: pd.DataFrame, centres: pd.DataFrame | None = None) -> list[dict]:
        """The flagged figures with their reasons, and the centres whose published name is doubtful."""
        fl = figs[figs["flag"] != ""]
        doubtful = centres[centres["flag"] != ""] if centres is not None and len(centres) else None
        if fl.empty and (doubtful is None or doubtful.empty):
            return [self.p(self.T("本简报所列数据中没有存疑数据。", "No figure in this briefing is flagged."))]
        items = []
        for r in ([] if doubtful is None else doubtful.to_dict("records")):
            items.append(Markup("{}：{}。{} {}" if self.zh else "{}: {}. {} {}").format(
                self.centre(r, gloss=True), self.T("名称存疑", "doubtful name"), r["flag_reason_zh" if self.zh else "flag_reason_en"],
                self.cit.refs(r["source_ids"])))
        for r in fl.to_dict("records"):
            reason = r["flag_reason_zh"] if self.zh else r["flag_reason_en"]
            items.append(Markup("{}：{} {}（{}，{}）。{} {}" if self.zh else "{}: {} {} ({}, {}). {} {}").format(
                self.subject(r), self.metric_label(r), self.value(r), r["flag_zh"] if self.zh else r["flag_en"],
                self.fig_date(r), reason, self.cit.refs(r["source_id"])))
        return [{"type": "block", "title": None, "items": items, "cls": "flagged"}]

    def sources_block(self) -> Markup:
        """The numbered list of the sources this briefing cites, in citation order."""
        s = self.ds.sources.set_index("source_id")
        items = []
        for n, sid in self.cit.used():
            r = s.loc[sid]
            when = dates.qualified(r["date"], r["date_basis"] or "stated", self.lang) if r["date"] else \
                self.T("日期未注明", "undated")
            if self.zh:
                text = Markup("[{}] {}，《{}》，{}").format(n, r["publisher"], r["title"], when)
            else:
                title_en = r["title_en"] or ""
                pub = r["publisher_en"] or ""
                parts = []
                parts.append(Markup("{}").format(pub) if pub else Markup(""))
                if title_en:
                    t = Markup("“{}”").format(title_en)
                    # the Chinese title as a gloss, when it is a title (not our bracketed description)
                    if title_en != r["title"] and not r["title"].startswith(("〔", "[")) and sid.startswith("S"):  # articles
                        t += Markup(" ") + self.gloss(r["title"])
                else:
                    t = self.gloss(r["title"])
                text = Markup("[{}] {}, {}, {}").format(n, parts[0], t, when) if pub else \
                    Markup("[{}] {}, {}").format(n, t, when)
            href = safe_url(r["url"])  # only http(s) becomes a link; anything else is shown as text
            if href:
                text += Markup(' <a href="{0}">{0}</a>').format(href)
            elif r["url"]:
                text += Markup(" {}").format(r["url"])
            if r["date_basis"] in ("about", "not_before"):
                text += Markup('；<span class="muted">{}</span>' if self.zh else '; <span class="muted">{}</span>').format(self.T(
                    "未印日期，系推断", "undated; date inferred"))
            items.append(Markup('<li value="{}">{}</li>').format(n, text))
        return Markup('<ol class="sources">{}</ol>').format(Markup("").join(items))

    # ---- composition ----------------------------------------------------------------------------
    def _compose(self) -> dict[str, Section]:  # pragma: no cover - abstract
        raise NotImplementedError

    def _part(self, name: str) -> Section:
        if self._parts is None:
            self._parts = self._compose()
        return self._parts[name]

    def summary(self) -> Section:
        """The leader's summary: exactly the first two printed pages."""
        return self._part("summary")

    def analysis(self) -> Section:
        """The analysis: short sections, each with one chart and the sentence that reads it."""
        return self._part("analysis")

    def annex(self) -> Section:
        """The annex: every figure by theme, what is not known, flagged figures, method, sources."""
        return self._part("annex")

    def meta(self) -> dict:
        """What the report header and the front page show about this briefing (JSON-safe)."""
        if self._parts is None:
            self._parts = self._compose()
        return self._meta

    def title(self) -> Section:
        """The title block; it carries the report's header fields for the exporter (META_MIME)."""
        m = self.meta()
        sub = self.T(f"数据时间：{m['window']}；人口为{self.pop_year}年末常住人口", f"Data: {m['window']}; population at year-end {self.pop_year}")
        return Section([Markup('<div class="nb-title">'), Markup("<h1>{}</h1>").format(m["title"]),
                        Markup('<p class="subtitle">{}</p>').format(sub), Markup("</div>")], meta=m)

    def _repr_html_(self) -> str:
        return "".join(self._part(n)._repr_html_() for n in self.parts)

    parts: tuple[str, ...] = ()


__all__ = ["Briefing", "META_MIME", "fmt_value", "fmt_number"]
