"""Does a figure's value agree with its quote? The numbers a quote prints, read as a reader reads them.

`numbers_in(quote)` finds every number of a quote with its magnitude (万, 亿), whether it is a
percentage (%, ‰, 百分之, 个百分点) and its qualifier (余, 多, 超过, 近, 约, 左右, 以上 … or
over, about, nearly … in an English quote): Arabic numerals with decimals and thousands
separators, full-width digits, Chinese numerals (九, 十二, 两, 三十几, 二〇二三). `mismatch()` says
whether a metrics.csv row's value (in its unit, which may be 万 + the base unit) and qualifier are
among them; `check_quotes()` is the rule `nrmc validate` runs: every row with a quote and no
`quote_mismatch_reason` must agree with its quote, else it is refused with line, column and a
reason that shows what the quote prints.

Chinese numerals are read by the small parser below rather than by a library: `cn2an` reads them
too (the tests use it as the oracle for this parser), but importing it takes about 0.3 s (it loads
an unrelated address-masking package), and every load of the dataset runs this check.
"""
from __future__ import annotations

import functools
import math
import re
from dataclasses import dataclass
from decimal import Decimal

import pandas as pd

__all__ = ["QuotedNumber", "numbers_in", "chinese_numeral", "mismatch", "check_quotes", "QUALIFIER_WORDS"]

WAN = "万"
# what each qualifier of a quote allows as the row's `qualifier` ("" = none)
MORE, ABOUT, NEARLY, AT_LEAST, LESS = "more_than", "about", "nearly", "at_least", "less_than"
QUALIFIER_WORDS = {  # the row's qualifier → the words of a quote that say it (for messages)
    MORE: "余/多/几/超/超过/逾/以上, over/more than",
    ABOUT: "约/左右/上下, about/around",
    NEARLY: "近/将近/接近, nearly/almost",
    AT_LEAST: "至少/不少于/以上, at least",
    LESS: "不足/不到/少于/以下, less than/under",
}
# words before a number (longest first: 不超过 is not 超过)
_BEFORE = {
    "不超过": {LESS}, "不少于": {AT_LEAST}, "不低于": {AT_LEAST}, "不足": {LESS}, "不到": {LESS},
    "少于": {LESS}, "低于": {LESS}, "至少": {AT_LEAST}, "超过": {MORE}, "超出": {MORE}, "多于": {MORE},
    "高于": {MORE}, "突破": {MORE}, "将近": {NEARLY}, "接近": {NEARLY}, "近乎": {NEARLY}, "大约": {ABOUT},
    "约": {ABOUT}, "近": {NEARLY}, "逾": {MORE}, "超": {MORE},
    "more than": {MORE}, "over": {MORE}, "above": {MORE}, "exceeding": {MORE}, "in excess of": {MORE},
    "upwards of": {MORE}, "nearly": {NEARLY}, "almost": {NEARLY}, "close to": {NEARLY}, "about": {ABOUT},
    "around": {ABOUT}, "approximately": {ABOUT}, "roughly": {ABOUT}, "some": {ABOUT}, "at least": {AT_LEAST},
    "no fewer than": {AT_LEAST}, "no less than": {AT_LEAST}, "less than": {LESS}, "fewer than": {LESS},
    "under": {LESS}, "below": {LESS},
}
# words right after a number (三十几, 50余, 3000多万, 20+) and after its measure word (120个左右)
_AFTER = {"余": {MORE}, "多": {MORE}, "几": {MORE}, "来": {ABOUT}, "+": {MORE}}
_AFTER_WORD = {"左右": {ABOUT}, "上下": {ABOUT}, "以上": {MORE, AT_LEAST}, "以下": {LESS}, "之多": {MORE},
               "有余": {MORE}, "or more": {AT_LEAST}}

# full-width digits, and the traditional forms of numerals and qualifiers (增至41萬人次, 兩千餘人, 約, 超過)
_FULL_WIDTH = str.maketrans("０１２３４５６７８９．％萬億兩貳參陸餘約過", "0123456789.%万亿两贰叁陆余约过")
_CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9,
              "壹": 1, "贰": 2, "叁": 3, "肆": 4, "伍": 5, "陆": 6, "柒": 7, "捌": 8, "玖": 9}  # and the financial forms
_CN_SMALL = {"十": 10, "百": 100, "千": 1000, "拾": 10, "佰": 100, "仟": 1000}
_CN_START = "".join(_CN_DIGITS) + "十拾"
_CN_ALL = _CN_START + "百千万亿佰仟"
_CN_BIG = {"万": 10**4, "亿": 10**8}
_EN_WORDS = {w: i for i, w in enumerate(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
    "seventeen eighteen nineteen twenty".split())}
_MEASURE = "人次|[个项人例家张次名位场期条批所台种元天年月位]"

_NUMBER = re.compile(
    r"(?P<arabic>[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]+)?|[0-9]+(?:\.[0-9]+)?)(?P<amult>[百千万亿]*)"
    # a Chinese numeral starts with a digit or 十 (百姓, 千方百计, 万人 are not numbers), and not
    # after 几/数 (几十, 数百: some tens, some hundreds)
    r"|(?<![几数])(?P<cn>[" + _CN_START + "][" + _CN_ALL + "]*)"
    r"|(?P<en>\b(?:" + "|".join(_EN_WORDS) + r")\b)",
    re.IGNORECASE)
_SUFFIX = re.compile(
    r"(?P<q1>[余多几来+])?(?P<mult>[万亿]*)(?P<q2>[余多])?\s*(?P<pct>%|‰|个?百分点)?\s*"
    r"(?:" + _MEASURE + r")?(?P<q3>左右|上下|以上|以下|之多|有余|\s*or more)?", re.IGNORECASE)
# a fall stated in words (下降12.5%, down 30%) or with a minus sign also reads as a negative change
_DOWN_RE = re.compile(r"(?:下降|降低|减少|下滑|回落|缩减|减|降|down|fell|fallen|dropped|declined?|decreased?)"
                      r"(?:了|\s*by|\s*of)?\s*$|(?<![0-9A-Za-z])[-−－]$", re.IGNORECASE)
_WINDOW = 24  # characters before a number where its qualifier or a 下降 may stand
_BEFORE_RE = re.compile(r"(?:" + "|".join(sorted(map(re.escape, _BEFORE), key=len, reverse=True)) + r")\s*$",
                        re.IGNORECASE)


@dataclass(frozen=True)
class QuotedNumber:
    """One number of a quote: `value` in plain units (万 and 亿 applied, ‰ as %), whether it is a
    percentage, the row qualifiers it allows ("" = an exact number) and the text as printed."""

    text: str
    value: float
    percent: bool
    qualifiers: frozenset[str]

    def shown(self) -> str:
        """“3.5万余例” = 35,000 more_than"""
        q = "/".join(sorted(self.qualifiers - {""}))
        return f"“{self.text}” = {_fmt(self.value)}" + (" %" if self.percent else "") + (f" {q}" if q else "")


def _fmt(x: float) -> str:
    return f"{x:,.0f}" if float(x).is_integer() else f"{x:,.6g}"


def chinese_numeral(text: str) -> int | None:
    """九 → 9, 十二 → 12, 两千 → 2000, 一百零五 → 105, 三千五百万 → 35,000,000, 二〇二三 → 2023
    (digits read in place); None when `text` is not one number (三四: 'three or four')."""
    if not text:
        return None
    if all(c in _CN_DIGITS for c in text):
        if len(text) == 1:
            return _CN_DIGITS[text]
        return int("".join(str(_CN_DIGITS[c]) for c in text)) if len(text) >= 3 or text[-1] in "零〇" else None
    total, section, digit, last_small, last_big = 0, 0, None, 10**5, 10**13
    for c in text:
        if c in _CN_DIGITS:
            if digit is not None:
                return None  # two digits with no unit between them
            digit = None if c in "零〇" else _CN_DIGITS[c]
        elif c in _CN_SMALL:
            unit = _CN_SMALL[c]
            if unit >= last_small:
                return None  # 十百: units must fall
            section += (1 if digit is None else digit) * unit
            digit, last_small = None, unit
        else:
            unit = _CN_BIG[c]
            section += digit or 0
            if section == 0 and total == 0:
                return None  # 万 alone is not a number
            if unit > last_big:  # 一万亿: a larger unit multiplies all before it
                total = (total + section) * unit
            else:
                total += section * unit
            section, digit, last_small, last_big = 0, None, 10**5, unit
    return total + section + (digit or 0)


def _values_of(m: re.Match) -> list[tuple[str, Decimal]]:
    """The number(s) a match stands for, with the text to show (decimal: 141.33万 is 1,413,300)."""
    if m.group("arabic"):
        mult = Decimal(1)
        for c in m.group("amult"):
            mult *= {"百": 100, "千": 1000, "万": 10**4, "亿": 10**8}[c]
        return [(m.group(0), Decimal(m.group("arabic").replace(",", "")) * mult)]
    if m.group("en"):
        return [(m.group(0), Decimal(_EN_WORDS[m.group("en").lower()]))]
    run = m.group("cn")
    n = chinese_numeral(run)
    out = [(run, Decimal(n))] if n is not None else []
    if all(c in _CN_DIGITS for c in run) and len(run) > 1:  # 三四级: three and four
        out += [(c, Decimal(_CN_DIGITS[c])) for c in run]
    return out


@functools.lru_cache(maxsize=65536)
def numbers_in(quote: str) -> tuple[QuotedNumber, ...]:
    """Every number printed in `quote`, in order (a few may stand for the same digits)."""
    text = str(quote or "").translate(_FULL_WIDTH)
    found: list[QuotedNumber] = []
    for m in _NUMBER.finditer(text):
        start = m.start()
        percent, scale = False, Decimal(1)
        for word, sc in (("百分之", Decimal(1)), ("千分之", Decimal("0.1"))):
            if text[:start].endswith(word):
                percent, scale, start = True, sc, start - len(word)
        quals: set[str] = set()
        # the words just before the number (a window: searching all the text before it for a
        # pattern anchored at its end would take time growing with the square of its length)
        b = _BEFORE_RE.search(text, max(0, start - _WINDOW), start)
        if b:
            quals |= _BEFORE[_key(b.group(0))]
        s = _SUFFIX.match(text, m.end())
        mult = Decimal(1)
        for c in s.group("mult") or "":
            mult *= _CN_BIG[c]
        for g in ("q1", "q2"):
            if s.group(g):
                quals |= _AFTER[s.group(g)]
        if s.group("q3"):
            quals |= _AFTER_WORD[_key(s.group("q3"))]
        if s.group("pct"):
            percent = True
            scale = Decimal("0.1") if s.group("pct") == "‰" else scale
        shown = text[b.start() if b else start: s.end()].strip()
        head = b.start() if b else start
        down = _DOWN_RE.search(text, max(0, head - _WINDOW), head)
        for label, v in _values_of(m):
            label = shown if label == m.group(0) else label
            variants = [(label, v)] + ([(text[down.start(): s.end()].strip(), -v)] if down else [])
            for what, x in variants:
                found.append(QuotedNumber(what, float(x * mult * scale), percent, frozenset(quals or {""})))
    return tuple(found)


def _key(word: str) -> str:
    return " ".join(word.lower().split())


def _close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)


def mismatch(value: float, unit: str, qualifier: str, quote: str) -> tuple[str, str] | None:
    """Why a row's `value` (in `unit`: the base unit or 万 + it) and `qualifier` disagree with
    `quote`: (column, reason), or None when the quote prints that number with that qualifier."""
    unit = str(unit or "")
    base_unit = unit[len(WAN):] if unit.startswith(WAN) and len(unit) > len(WAN) else unit
    base = float(value) * (10_000 if base_unit != unit else 1)
    percent = base_unit in ("%", "‰")
    nums = numbers_in(quote)
    shown = "; ".join(n.shown() for n in nums) if nums else ""
    printed = f"the quote prints {shown}" if nums else "the quote prints no number"
    same = [n for n in nums if _close(n.value, base) and n.percent == percent]
    if not same:
        as_base = f" (= {_fmt(base)} {base_unit})" if base_unit != unit else ""
        return "value", (f"{_fmt(float(value))} {unit}{as_base} is not a number the quote prints: {printed}"
                         f" in “{_cut(quote)}”. Correct the value, or say in quote_mismatch_reason why it differs")
    allowed = set().union(*(n.qualifiers for n in same))
    q = str(qualifier or "")
    if q in allowed:
        return None
    wanted = " or ".join(repr(a) if a else "empty" for a in sorted(allowed))
    said = f"{q!r} ({QUALIFIER_WORDS.get(q, q)})" if q else "empty (an exact number)"
    return "qualifier", (f"is {said}, but the quote prints {'; '.join(n.shown() for n in same)}: the qualifier "
                         f"should be {wanted}; else say in quote_mismatch_reason why it differs")


def _cut(text: str, limit: int = 80) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def check_quotes(tables: dict[str, pd.DataFrame], problems: list) -> None:
    """The rule of `nrmc validate`: metrics.csv rows with a quote and no quote_mismatch_reason must
    agree with their quote. A value already refused (not a number, out of its range) is not
    reported again."""
    from nrmc.data import Problem  # nrmc.data imports this module

    m = tables.get("metrics")
    if m is None or m.empty:
        return
    refused = {p.line for p in problems if p.file == "metrics.csv" and p.column in ("value", "qualifier", "unit")}
    for row in m.to_dict("records"):
        line = int(row["_line"])
        quote, reason, value = row.get("quote"), row.get("quote_mismatch_reason"), row.get("value")
        if _empty(quote) or not _empty(reason) or _empty(value) or line in refused:
            continue
        found = mismatch(value, row.get("unit") or "", "" if _empty(row.get("qualifier")) else row["qualifier"], quote)
        if found:
            problems.append(Problem("metrics.csv", line, *found))


def _empty(x) -> bool:
    return x is None or (isinstance(x, float) and math.isnan(x)) or (isinstance(x, str) and not x.strip()) \
        or x is pd.NA
