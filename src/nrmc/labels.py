"""Words and number formats of the briefings, in Chinese (default) and English.

Formatting rules (DESIGN.md): thousands separators, units as published (万人次, 项, 人), a missing
figure is "—", never 0, NaN or None; a qualifier of the source (余, 超, 约, 近) is kept.
"""
from __future__ import annotations

import math
import re

import pandas as pd

LANGS = ("zh", "en")

_L: dict[str, tuple[str, str]] = {
    # sections
    "headline": ("要点", "Key points"),
    "coverage": ("一、覆盖", "1. Coverage"),
    "specialty": ("二、专科结构", "2. Specialty mix"),
    "performance": ("三、建设成效", "3. Performance"),
    "sources": ("四、来源与说明", "4. Sources and notes"),
    "national_map": ("一、全国布局", "1. Where the centres are"),
    "national_flows": ("二、输出医院来自哪里", "2. Where the output hospitals come from"),
    "national_specialty": ("三、专科结构", "3. Specialty mix"),
    "national_time": ("四、进展与里程碑", "4. Progress and milestones"),
    "national_performance": ("五、全国性数据", "5. National figures"),
    "national_context": ("六、背景：省级区域医疗中心", "6. Context: provincial regional medical centres"),
    "national_sources": ("七、来源与说明", "7. Sources and notes"),
    # words
    "province": ("省份", "Province"),
    "centre": ("项目", "Centre"),
    "centres": ("国家区域医疗中心", "national regional medical centres"),
    "host": ("依托医院", "Local partner hospital"),
    "output": ("输出医院", "Lead hospital"),
    "output_province": ("输出医院所在省份", "Lead hospital's province"),
    "city": ("城市", "City"),
    "specialty_col": ("专科", "Specialty"),
    "basis": ("专科依据", "Specialty basis"),
    "stated": ("来源明示", "stated in a source"),
    "inferred": ("据输出医院推断", "inferred from the lead hospital"),
    "status": ("状态", "Status"),
    "opened": ("开诊", "Opening"),
    "source_col": ("来源", "Source"),
    "metric": ("指标", "Metric"),
    "value": ("数值", "Value"),
    "as_of": ("截至", "As of"),
    "period": ("口径", "Period"),
    "flag": ("标记", "Flag"),
    "note": ("说明", "Note"),
    "subject": ("对象", "Subject"),
    "count": ("数量", "Count"),
    "share": ("占比", "Share"),
    "national": ("全国", "China"),
    "missing": ("—", "—"),
    "rank": ("位次", "Rank"),
    "per_10m": ("每千万人口中心数", "Centres per 10 million residents"),
    "population": ("常住人口（万人）", "Resident population (10,000)"),
    "has": ("已有", "present"),
    "lacks": ("尚缺", "missing"),
    "has_unnamed": ("已获批（来源未列名称）", "approved (source gives no name)"),
    "in_province": ("本省", "This province"),
    "in_nation": ("全国", "China"),
    "unknown": ("未知", "not known"),
}

FLAGS = {
    "suspect_unit": ("疑似单位有误", "the unit may be wrong"),
    "inconsistent": ("与其他数据不一致", "inconsistent with other figures"),
    "ambiguous": ("口径不明", "scope unclear"),
}
PERIODS = {
    "cumulative": ("累计", "cumulative"),
    "snapshot": ("时点数", "at that date"),
    "change": ("增幅", "change"),
}
QUALIFIERS = {
    "more_than": ("超过", "more than "),
    "about": ("约", "about "),
    "at_least": ("至少", "at least "),
    "less_than": ("不足", "under "),
    "nearly": ("近", "nearly "),
}
MONTHS_EN = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


def check_lang(lang: str) -> str:
    if lang not in LANGS:
        raise ValueError(f"lang must be one of {', '.join(LANGS)}, not {lang!r}")
    return lang


def t(key: str, lang: str = "zh") -> str:
    zh, en = _L[key]
    return zh if lang == "zh" else en


def pick(pair: tuple[str, str], lang: str) -> str:
    return pair[0] if lang == "zh" else pair[1]


def is_missing(value) -> bool:
    """None, NaN, pandas NA/NaT and the empty string all mean 'not known'."""
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    if isinstance(value, str):
        return value.strip() == ""
    try:
        return math.isnan(value)
    except TypeError:
        return False


def fmt_number(value, decimals: int | None = None) -> str:
    """1234.5 → '1,234.5'; 4200.0 → '4,200'; missing → '—'."""
    if is_missing(value):
        return "—"
    v = float(value)
    if decimals is None:
        if v == int(v):
            return f"{int(v):,}"
        text = f"{v:,.2f}".rstrip("0").rstrip(".")
        return text
    return f"{v:,.{decimals}f}"


def fmt_value(value, unit: str, qualifier: str = "", lang: str = "zh") -> str:
    """A figure with its unit and qualifier as a reader expects it.

    Chinese keeps the unit as published: '超过50项', '3.5万例', '第16位'. English converts 万 into
    digits and words: 3.5万例 → 'over 35,000 cases', 29063万人次 → '290.63 million visits'; ranks
    read '16th'. Missing → '—'."""
    if is_missing(value):
        return "—"
    v = float(value)
    base = unit[1:] if unit.startswith("万") and len(unit) > 1 else unit
    if lang == "zh":
        q = pick(QUALIFIERS[qualifier], "zh") if qualifier else ""
        if base == "位":
            return f"{q}第{fmt_number(v)}位"
        if base == "批":
            return f"第{fmt_number(v)}批"
        return f"{q}{fmt_number(v)}{unit}"
    q = pick(QUALIFIERS[qualifier], "en") if qualifier else ""
    if base == "位":
        return f"{q}{ordinal(v)}"
    if base == "批":
        return f"batch {fmt_number(v)}"
    n = v * (10_000 if unit.startswith("万") and len(unit) > 1 else 1)
    u = _UNITS_EN.get(base, base)
    if u == "%":
        return f"{q}{fmt_number(n)}%"
    if n == 1 and not q:
        u = _SINGULAR_EN.get(u, u)
    return f"{q}{fmt_count_en(n)}{(' ' + u) if u else ''}"


_SINGULAR_EN = {"items": "item", "people": "person", "visits": "visit", "cases": "case", "beds": "bed", "times": "time",
                "institutions": "institution", "sessions": "session", "admissions": "admission",
                "points": "point", "operations": "operation", "courses": "course"}


def fmt_count_en(n: float) -> str:
    """35000 → '35,000'; a million or more reads in millions with the published precision
    (290,630,000 → '290.63 million')."""
    if abs(n) >= 1_000_000:
        text = f"{n / 1_000_000:,.6f}".rstrip("0").rstrip(".")
        return f"{text} million"
    return fmt_number(round(n, 6))


def ordinal(v: float) -> str:
    n = int(v)
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


# Units in English (base units; 万 is converted into digits by fmt_value).
_UNITS_EN = {
    "项": "items", "个": "", "人": "people", "人次": "visits", "例": "cases", "张": "beds", "次": "times",
    "%": "%", "条": "items", "家": "institutions", "名": "", "位": "", "场": "sessions", "期": "sessions",
    "批": "", "分": "points", "台": "operations", "台次": "operations", "门": "courses", "所": "institutions",
}


def unit_en(unit: str) -> str:
    """The English word for a unit (万 units are converted by fmt_value, not here)."""
    base = unit[1:] if unit.startswith("万") and len(unit) > 1 else unit
    return _UNITS_EN.get(base, base)


def fmt_date(text: str, lang: str = "zh") -> str:
    """'2024-08' → '2024年8月' / 'Aug 2024'; '' → '—'."""
    if not text or is_missing(text):
        return "—"
    m = re.match(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$", str(text))
    if not m:
        return str(text)
    y, mo, d = m.groups()
    if lang == "zh":
        return f"{y}年" + (f"{int(mo)}月" if mo else "") + (f"{int(d)}日" if d else "")
    if not mo:
        return y
    return (f"{int(d)} " if d else "") + f"{MONTHS_EN[int(mo) - 1]} {y}"


def fmt_period(period: str, lang: str = "zh") -> str:
    if period in PERIODS:
        return pick(PERIODS[period], lang)
    if period.startswith("first_") and period.endswith("_months"):
        n = period[len("first_"):-len("_months")]
        if n == "6":
            return "开业后半年" if lang == "zh" else "first half-year after opening"
        return f"开业后{n}个月" if lang == "zh" else f"first {n} months after opening"
    if "/" in period:
        a, b = period.split("/")
        return f"{a}—{b}年" if lang == "zh" else f"{a}–{b}"
    if period.isdigit():
        return f"{period}年" if lang == "zh" else f"year {period}"
    return period


def fmt_share(value: float) -> str:
    return "—" if is_missing(value) else f"{value:.0f}%"


# Parts of a total (metrics.csv `breakdown`, key=value) as a reader says them.
BREAKDOWN_VALUES = {
    "care=inpatient": ("住院", "inpatient"),
    "care=outpatient": ("门诊", "outpatient"),
    "category=specialist": ("专科类", "specialist"),
    "level=3_4": ("三、四级", "level III and IV"),
    "level=3_4_complex": ("三、四级及疑难", "level III, level IV and complex"),
    "of=transferred_technologies": ("平移技术中", "of the transferred technologies and procedures"),
    "origin=output_hospital": ("来自输出医院", "from the lead hospital"),
    "procedure=hepatobiliary_tumour": ("肝胆肿瘤手术", "hepatobiliary tumour operations"),
    "procedure=laparoscopic_hilar_cholangiocarcinoma_radical": ("腹腔镜肝门部胆管癌根治术", "laparoscopic radical operations for hilar cholangiocarcinoma"),
    "role=academician": ("院士", "academicians"),
    "role=doctoral_supervisor": ("博士生导师", "doctoral supervisors"),
    "role=renowned_expert": ("知名专家", "renowned experts"),
    "type=anhui_famous_tcm": ("安徽省名中医工作室", "Anhui renowned TCM doctor studios"),
    "type=preventive_treatment_centre": ("治未病中心", "preventive treatment centre"),
    "type=qihuang_scholar": ("岐黄学者工作室", "Qihuang Scholar studios"),
    "type=quality_control_centre": ("质量控制中心", "quality control centre"),
    "type=tcm_rehabilitation_centre": ("区域中医康复中心", "regional TCM rehabilitation centre"),
    "type=tcm_specialty_cultivation": ("中医优势专科培育项目", "TCM specialty cultivation project"),
    "type=yangtze_delta_famous_tcm": ("长三角名中医工作室", "Yangtze River Delta renowned TCM doctor studios"),
}


def fmt_breakdown(breakdown: str, lang: str = "zh", specialties: dict | None = None, cities: dict | None = None) -> str:
    """'care=inpatient' → '住院' / 'inpatient'; 'specialty=oncology' → the specialty's name;
    'city=合肥市' → '合肥市'; 'batch=3' → '第3批'. Unknown parts show their value as written."""
    if not breakdown:
        return ""
    key, _, value = breakdown.partition("=")
    if breakdown in BREAKDOWN_VALUES:
        return pick(BREAKDOWN_VALUES[breakdown], lang)
    if key == "specialty" and specialties and value in specialties:
        return pick(specialties[value], lang)
    if key == "city" and lang != "zh" and cities and value in cities:
        return cities[value]
    if key == "batch":
        return f"第{value}批" if lang == "zh" else f"batch {value}"
    return value
