"""The context of one briefing: one scope (a province or the nation), one language, one as-of date.

`Briefing` holds what every section of the briefing reads — the dataset as known at the as-of
date (a province's briefing reads only its part: `nrmc.inputs.scope_dataset`), the provinces'
status, the centres' lifecycles — and what the sections share as they are shown one after the
other in the notebook: the numbering of the sources (in the order the briefing cites them), the
evidence of the key messages (for the annex), the dates the briefing prints (its data window).

    >>> b = Briefing("anhui", lang="zh")      # any name form: 安徽省, 皖, 340000, CN-AH; or "national"
    >>> b.role                                # 'host', 'exporter', 'known', 'unknown' or 'national'
"""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from datetime import date

import pandas as pd
from markupsafe import Markup, escape

from nrmc import coverage, dates, i18n, inputs, lifecycle, performance
from nrmc.citations import Citations, split_ids
from nrmc.data import Dataset, is_reference_fact, load, records
from nrmc.findings import Num, Row, When
from nrmc.parameters import normalize_as_of

NATIONAL = "national"
_CJK = re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef]")


@dataclass
class EvidenceEntry:
    """A number of a key message and the rows it rests on, for the popover and the annex."""

    ident: str
    text: str
    rows: tuple[Row, ...]
    how: str


class ShortName(str):
    """A short name that spells itself out at its first use in a briefing's running text.

    As a str it is the short name ('Fudan Children's', 'NHC'): what a chart draws and what Python
    code joins or formats. Printed as HTML (Jinja2's autoescaping, `Markup.format`, `escape`), it
    asks its briefing how to print: the full name with the short one in brackets the first time
    ('Children's Hospital of Fudan University (Fudan Children's)'), the short name after. A
    briefing's parts are rendered in reading order, so the first printed is the first read."""

    def __new__(cls, short: str, full: str, key: tuple, briefing: "Briefing", parent: tuple | None = None):
        obj = super().__new__(cls, short)
        obj.full, obj.key, obj.parent, obj._briefing = full, key, parent, briefing
        return obj

    def __html__(self) -> Markup:
        return escape(self._briefing.spell_out(self))  # Markup: Markup.format escapes a plain str again


class FullName(str):
    """An English full name with no short form that takes "the" in running text (a description
    such as "First Affiliated Hospital of Nanchang University"): as a str, the name; printed as
    HTML, the name after i18n.ARTICLE, which the block resolves to "The", "the" or nothing."""

    def __html__(self) -> Markup:
        return i18n.ARTICLE + escape(str(self))


class Suffixed(str):
    """A short name with words after it ('Wuhan Tongji Xiangyang (Hubei)'): as a str, both joined;
    printed as HTML, the name still spells itself out at its first use."""

    def __new__(cls, name: str, suffix: str):
        obj = super().__new__(cls, f"{name}{suffix}")
        obj._name, obj._suffix = name, suffix
        return obj

    def __html__(self) -> Markup:
        return escape(self._name) + escape(self._suffix)


class Briefing:
    """A briefing's context. Build it with a scope, `lang` ('zh' or 'en'), `as_of` (only what was
    known by then) and `data_dir` (default: $NRMC_DATA or the bundled data)."""

    def __init__(self, scope: object = NATIONAL, lang: str = "zh", as_of=None, data_dir: str | None = None,
                 ds: Dataset | None = None, full: bool = False):
        from nrmc.regions import resolve_scope

        self.lang = i18n.check_lang(lang)
        self.as_of = normalize_as_of(as_of)
        base = ds if ds is not None else load(data_dir or None)
        sc = resolve_scope(scope, base.data_dir)
        self.national = sc.kind == "national"
        self.code: str | None = None if self.national else sc.code
        self.slug = sc.slug
        known = base.as_of(self.as_of)
        # a province's briefing sees only what it prints (the build's digest of that subset says
        # when it can change); `full=True` composes from the whole dataset (tests check both agree)
        self.ds = known if (full or self.national) else inputs.scope_dataset(known, self.code)
        self.status = coverage.province_status(self.ds)
        self.nat = coverage.national_count(self.ds, self.status)
        self.life = lifecycle.lifecycles(self.ds)
        self.cit = Citations(self.ds.sources)
        self.evidence: list[EvidenceEntry] = []
        self._dates: list[tuple[str, str]] = []
        self._context_dates: list[tuple[str, str]] = []
        # short names handed out (key -> (short, full English, Chinese)), for the glossary; and
        # those already spelled out in running text (Briefing.spell_out)
        self.short_names: dict[tuple, tuple[str, str, str]] = {}
        self._spelled: set[tuple] = set()
        if self.national:
            self.role = "national"
            self.row = None
        else:
            self.row = self.status.set_index("code").loc[self.code]
            self.role = self.row["role"]
        self._cache: dict = {}

    # ---- language ----------------------------------------------------------------------------
    @property
    def zh(self) -> bool:
        return self.lang == "zh"

    @property
    def html_lang(self) -> str:
        return "zh-CN" if self.zh else "en"

    def L(self, key: str, **params) -> str:
        """A label of the briefing's language (i18n/labels/<lang>.toml)."""
        return i18n.label(self.lang, key, **params)

    def say(self, theme: str, macro: str, **params) -> Markup:
        """A sentence: macro `macro` of the language's templates/<lang>/<theme>.j2."""
        return i18n.sentence(self.lang, theme, macro, r=self, **params)

    def listing(self, items, style: str = "standard") -> Markup:
        return i18n.mlisting(list(items), self.lang, style)

    def plural(self, n: float) -> str:
        return i18n.plural(n, self.lang)

    def lang_of(self, text: str) -> str:
        """The lang attribute of a text as published (a quote): 'zh-CN' when it has a Chinese
        character, else 'en' (the reference facts are quoted in English). It picks the font."""
        return "zh-CN" if _CJK.search(str(text or "")) else "en"

    def gloss(self, zh_text: str) -> Markup:
        """The Chinese original beside an English name, marked as Chinese (English briefings)."""
        return Markup('<span lang="zh-CN" class="gloss">{}</span>').format(zh_text)

    # ---- names -------------------------------------------------------------------------------
    @functools.cached_property
    def _prov(self) -> dict[str, dict]:
        """provinces.csv by code (a dict: a name is looked up a hundred times a briefing)."""
        return {r["code"]: r for r in self.ds.provinces.pipe(records)}

    @property
    def name(self) -> str:
        """The scope's short name: 安徽 / Anhui; 全国 / China."""
        return self.L("china") if self.national else self.pname(self.code)

    @property
    def full_name(self) -> str:
        return self.L("china") if self.national else self.pname(self.code, full=True)

    def pname(self, code: str, full: bool = False) -> str:
        r = self._prov[code]
        if self.zh:
            return r["name_zh"] if full else r["name_zh_short"]
        return r["name_en"]

    def region(self, code: str | None = None) -> str:
        r = self._prov[code or self.code]
        return self.L(f"region.{r['region_en']}")

    @functools.cached_property
    def _hosp(self) -> dict[str, dict]:
        return {r["name_zh"]: r for r in self.ds.hospitals.pipe(records)}

    def hospital(self, name_zh: str, short: bool = False, spell: bool = True) -> str:
        """A hospital's name in the reader's language (the published Chinese in zh).

        English, `short=True`: the hospital's short name ('Fudan Children's') as a `ShortName`, a
        str that spells itself out where it is first printed in running text ('Children's Hospital
        of Fudan University (Fudan Children's)') and is the short name everywhere after. Tables and
        charts pass `spell=False` (a chart draws str(), which is the short name anyway): the short
        name only, which the glossary's list of short names explains."""
        if not name_zh:
            return ""
        h = self._hosp.get(name_zh, {})
        if self.zh:
            return (h.get("short_zh") or name_zh) if short else name_zh
        full = (h.get("name_en") or "").strip() or self.L("name_zh_only")
        abbr = (h.get("short_en") or "").strip() if short else ""
        if not abbr or abbr == full:
            return self._full(full, spell)
        return self._short(("hospital", name_zh), abbr, full, name_zh, spell)

    def centre(self, row, short: bool = False, spell: bool = True) -> str:
        """A centre's name as text: Chinese as published (zh), or its English name. An English
        short name spells itself out at its first use in running text, as `hospital`'s does; a
        centre named after its lead hospital ('Fudan Children's Anhui') needs no spelling out once
        the hospital was spelled out, and spelling it out spells out the hospital too."""
        if self.zh:
            return (row.get("short_zh") or row["name_zh"]) if short else row["name_zh"]
        full = (row.get("name_en") or "").strip() or self.L("name_zh_only")
        abbr = (row.get("short_en") or "").strip() if short else ""
        if not abbr or abbr == full:
            return self._full(full, spell)
        lead = row.get("output_hospital_zh") or ""
        h = self._hosp.get(lead, {})
        h_short, h_full = (h.get("short_en") or "").strip(), (h.get("name_en") or "").strip()
        parent = None
        if h_short and h_full and abbr.startswith(h_short) and full.startswith(h_full):
            parent = ("hospital", lead)
            self.short_names.setdefault(parent, (h_short, h_full, lead))  # the glossary lists it
        return self._short(("centre", row.get("center_id") or row["name_zh"]), abbr, full, row["name_zh"], spell,
                           parent=parent)

    def abbr(self, key: str) -> str:
        """An abbreviation of the programme ('NHC', 'NDRC', 'NRMC'; i18n/labels/en/glossary.toml,
        [glossary.abbr]) for running text: spelled out at its first use ('National Health
        Commission (NHC)'), the abbreviation after. (Chinese briefings write their own terms.)"""
        if self.zh:
            return key
        return self._short(("abbr", key), key, self.L(f"glossary.abbr.{key}"), "", True)

    @staticmethod
    def _full(full: str, spell: bool) -> str:
        return FullName(full) if spell and i18n.takes_article(full) else full

    def _short(self, key: tuple, abbr: str, full: str, zh: str, spell: bool, parent: tuple | None = None) -> str:
        self.short_names.setdefault(key, (abbr, full, zh))
        if not spell:
            return abbr
        return ShortName(abbr, full, key, self, parent)

    def spell_out(self, name: "ShortName") -> str:
        """How `name` prints now: its full name with the short one in brackets the first time, the
        short name after (also once its lead hospital was spelled out, for a centre)."""
        done = self._spelled
        first = name.key not in done and (name.parent is None or name.parent not in done)
        done.add(name.key)
        if name.parent is not None:
            done.add(name.parent)
        if not first:
            return str(name)
        spelled = escape(self.L("glossary.spelled_out", full=name.full, short=str(name)))
        return i18n.ARTICLE + spelled if i18n.takes_article(name.full) else spelled

    @functools.cached_property
    def centres_by_id(self) -> dict[str, dict]:
        return {r["center_id"]: r for r in self.ds.centers.pipe(records)}

    def specialty(self, code: str) -> str:
        r = self._specs[code]
        return r["name_zh"] if self.zh else r["name_en"]

    @functools.cached_property
    def _specs(self) -> dict[str, dict]:
        return {r["code"]: r for r in self.ds.specialties.pipe(records)}

    @functools.cached_property
    def _cities(self) -> dict[str, str]:
        return dict(zip(self.ds.cities["name_zh"], self.ds.cities["name_en"]))

    def city(self, zh: str) -> str:
        return zh if self.zh else (self._cities.get(zh) or zh)

    @functools.cached_property
    def sources(self) -> dict[str, dict]:
        """sources.csv as a dict by source id."""
        return {r["source_id"]: r for r in self.ds.sources.pipe(records)}

    @functools.lru_cache(maxsize=None)
    def source_words(self, source_id: str) -> str:
        """A source in words for a chart's source line: '贵州日报，约2024年10月' / 'Guizhou Daily, about October 2024'."""
        s = self.sources[source_id]
        pub = s["publisher"] if self.zh else (s.get("publisher_en") or s["publisher"])
        when = i18n.qualified_date(s["date"], s["date_basis"] or "stated", self.lang) if s["date"] else ""
        return f"{pub}，{when}" if self.zh and when else (f"{pub}, {when}" if when else pub)

    # ---- numbers and dates --------------------------------------------------------------------
    def fig(self, n: Num) -> str:
        """A number as a sentence prints it. A source's figure keeps its unit and qualifier as
        published in Chinese ('50余项', '3.5万余例'); in English its qualifier and number only
        (the sentence names the thing: 'more than 50 technologies'). Computed numbers print at
        their own precision."""
        if n.kind == "rate":
            return i18n.number(n.value, self.lang, n.decimals if n.decimals is not None else 2)
        if n.kind in ("count", "rank"):
            return i18n.number(n.whole, self.lang)
        return published(n, self.lang)

    def n(self, n: Num, link: bool = False, of: str = "") -> Markup:
        """A number as Markup; with `link`, it opens its evidence (HTML) or points to the annex row
        that holds it (print). `of` names what a bare count in a list is of ('Inner Mongolia (4)'):
        the annex lists it as '4 (Inner Mongolia)', not a bare 4 among others."""
        text = self.fig(n)
        if not link:
            return Markup(escape(text))
        return self.evidence_link(text, n.rows, n.how(self.lang), label=self.L("evidence.of", n=text, of=of) if of else None)

    def evidence_link(self, text: str, rows, how: str = "", label: str | None = None) -> Markup:
        """`text` as printed, opening its evidence; the annex lists the number as `label` (its
        digits where the sentence spells it out: "five" in a sentence, 5 in the annex's table)."""
        ident = f"ev-{len(self.evidence) + 1}"
        rows = tuple(rows)
        self.evidence.append(EvidenceEntry(ident, label or text, rows, how))
        for r in rows:
            self.cit.number(r.source_id) if r.source_id else None
        return Markup(i18n.environment().get_template("evidence.html.j2").module.link(
            ident=ident, text=text, groups=self.evidence_groups(rows), how=how, r=self))

    def evidence_groups(self, rows) -> list[dict]:
        """Evidence rows by source, in order: the source in words, how many rows, their dates, the
        quotes (a count of 75 named centres reads as a few sources, not 75 lines) and, for rows
        without a quote, what they are. A reference fact (R01…) is said by what it is: its quote is
        the reference list's English summary of the source, not the source's words, so it is never
        printed as a quotation. The popover and the annex both print these groups."""
        groups: dict[str, dict] = {}
        for r in rows:
            sid = r.source_id or ""
            g = groups.setdefault(sid, {"source_id": sid, "source": self.source_words(sid) if sid else "",
                                        "n": 0, "quotes": [], "whats": [], "dates": set(), "basis": r.basis})
            g["n"] += 1
            if r.date:
                g["dates"].add(r.date)
            quote = "" if is_reference_fact(sid) else r.quote
            what = r.what(self.lang)
            if quote and quote not in g["quotes"]:
                g["quotes"].append(quote)
            elif not quote and what and what not in g["whats"]:
                g["whats"].append(what if self.zh else i18n.lower_first(what))
        return list(groups.values())

    def d(self, w: When, record: bool = True, short: bool = False) -> str:
        """A date at the precision its source gives, with its basis in words (约, 不晚于 …)."""
        if record and w.text:
            self._dates.append((w.text, w.basis))
        return i18n.qualified_date(w.text, w.basis, self.lang, short=short)

    def context_date(self, w: When) -> str:
        """A date of context (a national total): printed, not part of the briefing's own window."""
        self._context_dates.append((w.text, w.basis))
        return i18n.qualified_date(w.text, w.basis, self.lang)

    def refs(self, *ids: str) -> Markup:
        return self.cit.refs(*ids)

    def record(self, text: str, basis: str = "stated") -> None:
        if text:
            self._dates.append((text, basis))

    @property
    def window(self) -> dates.Window | None:
        return dates.window(self._dates) or dates.window(self._context_dates)

    @functools.cached_property
    def ref_date(self) -> date:
        """The date ages are counted to: the end of the as-of date, else the latest date in the data
        the briefing reads (its scope's subset, also when composed with full=True, so that both
        compositions agree once another province has later figures)."""
        if self.ds.as_of_date is not None:
            return self.ds.as_of_date.date()
        return self.ds.latest_date.date()  # a subset's latest_date is the whole dataset's

    @functools.cached_property
    def ref_text(self) -> str:
        """`ref_date` as its source gives it (the as-of date, else the latest row's date: '2026-01')."""
        if self.ds.as_of_date is not None and self.as_of:
            return str(self.as_of)
        return self.ds.latest_date_text

    # ---- the report's header -------------------------------------------------------------------
    @property
    def title(self) -> str:
        return self.L("title_national") if self.national else self.L("title_province", name=self.full_name)

    def window_text(self) -> str:
        w = self.window
        if not w:
            return "—"
        return w.text(self.lang) if self.zh else w.text("en")

    def meta(self) -> dict:
        """What the report header and the front page show about this briefing (JSON-safe)."""
        w = self.window
        out = {"title": self.title, "scope": self.full_name, "slug": self.slug, "code": self.code or "",
               "kind": "national" if self.national else "province", "lang": self.lang, "role": self.role,
               "as_of": self.window_text(), "window": self.window_text(),
               "window_first": w.first if w else None, "window_last": w.last if w else None,
               "pop_year": self.nat.pop_year}
        if not self.national:
            r = self.row
            num = lambda v: None if pd.isna(v) else int(v)  # noqa: E731
            out.update({"named": int(r["named"]), "stated": num(r["stated"]), "count": num(r["count"]),
                        "first_batch": num(r["first_batch"]), "exported": int(r["exported"]),
                        "centres_text": self.count_text()})
        return out

    def count_text(self) -> str:
        """'9（具名7）' / '9 (7 named)'; '≥1' for a province known to have centres; '—' when unknown."""
        r = self.row
        if pd.isna(r["count"]):
            return "≥1" if self.role == "known" else "—"
        if r["count_basis"] == "stated" and r["stated"] != r["named"]:
            return self.L("count_with_named", n=int(r["count"]), named=int(r["named"]))
        return str(int(r["count"]))

    def header(self):
        """The title as Jupyter shows it; it carries the report's header fields (the exporter
        prints its own header from them)."""
        from nrmc.sections.base import Block, render

        return Block(render("header.html.j2", title=self.title, r=self), "header", "header", self.lang,
                     meta={k: v for k, v in self.meta().items() if k not in ("as_of", "window", "window_first", "window_last")})

    # ---- the scope's data ----------------------------------------------------------------------
    @functools.cached_property
    def centres(self) -> pd.DataFrame:
        """The province's approved centres (none for the national scope)."""
        if self.national:
            return self.ds.counted_centers.iloc[0:0]
        c = coverage.province_centers(self.ds, self.code, include_planned=False)
        return c.reset_index(drop=True)

    @functools.cached_property
    def planned_centres(self) -> pd.DataFrame:
        if self.national:
            return self.ds.centers[self.ds.centers["status"] == "planned"]
        c = coverage.province_centers(self.ds, self.code)
        return c[c["status"] == "planned"].reset_index(drop=True)

    @functools.cached_property
    def figures(self) -> pd.DataFrame:
        """Every figure about the scope (a province and its centres; or the nation)."""
        f = performance.figures(self.ds, None if self.national else self.code)
        return f.reset_index(drop=True)

    @functools.cached_property
    def national_figures(self) -> pd.DataFrame:
        return performance.figures(self.ds, None)

    @functools.cached_property
    def exported(self) -> pd.DataFrame:
        """Centres in other provinces whose output hospital is in this province."""
        if self.national:
            return self.ds.counted_centers.iloc[0:0]
        return coverage.as_origin(self.ds, self.code)

    def source_ids_of(self, centres: pd.DataFrame) -> list[str]:
        return split_ids(centres["source_ids"]) if len(centres) else []


# ---------------------------------------------------------------------------------------------
def published(n: Num, lang: str) -> str:
    """A source's figure as published: in Chinese the number with its unit and qualifier as the
    quote prints them when the quote has it ('50余项'), else in the standard form; in English the
    qualifier and the number, 万 turned into digits ('more than 50', '35,000', '26%', '2nd')."""
    from nrmc.labels import fmt_value

    row = next((r for r in n.rows if r.value is not None), None)
    unit, q = n.unit, n.qualifier
    if lang == "zh":
        if row is not None and row.quote:
            hit = quoted_form(row.quote, n.value, unit, q)
            if hit:
                return hit
        return fmt_value(n.value, unit, q, "zh")
    base = unit[1:] if unit.startswith("万") and len(unit) > 1 else unit
    v = n.value * (10_000 if unit.startswith("万") and len(unit) > 1 else 1)
    qual = i18n.label("en", f"qualifier.{q}") if q else ""
    if base == "%":
        return f"{qual}{i18n.number(v, 'en')}%"
    if base == "位":
        from nrmc.labels import ordinal
        return f"{qual}{ordinal(v)}"
    if abs(v) >= 1_000_000:
        return f"{qual}{i18n.number(v / 1_000_000, 'en')} million"
    return f"{qual}{i18n.number(v, 'en')}"


_ZH_DIGITS = {"0": "零"}


def quoted_form(quote: str, value: float, unit: str, qualifier: str) -> str | None:
    """The phrase of `quote` that prints `value` with its unit ('50余项' in '平移了50余项上海六院的
    新技术'), or None when the quote does not print it that way (a Chinese numeral, another unit)."""
    import re

    base = unit[1:] if unit.startswith("万") and len(unit) > 1 else unit
    wan = unit.startswith("万") and len(unit) > 1
    num = f"{value:.6f}".rstrip("0").rstrip(".")
    pattern = (r"(近|约|超过|超|逾|多达|达|共|累计)?\s*(" + re.escape(num) + r")\s*(余|多)?\s*(" + ("万" if wan else "")
               + r")\s*(余|多)?\s*(" + re.escape(base) + r")?")
    for m in re.finditer(pattern, quote):
        pre, digits, post1, w, post2, u = m.groups()
        if wan and not w:
            continue
        # the digits must not be part of a longer number (453 in 1453)
        if m.start(2) > 0 and quote[m.start(2) - 1].isdigit():
            continue
        if m.end(2) < len(quote) and (quote[m.end(2)].isdigit() or quote[m.end(2)] == "."):
            continue
        pre = pre if pre in ("近", "约", "超过", "超", "逾") else ""
        if (qualifier == "") != (not (pre or post1 or post2)):
            continue
        unit_txt = u or ""
        if not unit_txt and base not in ("", "%"):
            unit_txt = base
        return f"{pre}{digits}{post1 or ''}{w or ''}{post2 or ''}{unit_txt}"
    return None
