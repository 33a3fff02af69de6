"""Nothing lost between languages (issue 20, point 3): every caveat and qualifier the Chinese
briefing prints has its English counterpart, briefing by briefing.

Each pair below is a Chinese qualifier and the English words for it; in the reading text of each
briefing (pages before the glossary and the annex) the English says it as often as the Chinese.
A flagged figure (存疑) is flagged (or, for a centre's name, doubtful) in English; a total that is
not a sum (不相加, 之和) is 'not added up' / 'not sums'; what is not counted (不计入) is 'not counted';
a listing that is not a ranking (只并列) is 'not ranked'; the briefing's own reading (值得关注) is
'Worth watching'; what is not guessed at (不作推测) is 'not guessed at'.
"""
from __future__ import annotations

import re

import pytest

import briefing_texts as bt

PAIRS: dict[str, tuple[str, str]] = {
    "flagged": (r"存疑", r"(?i)\bflagged\b|\bdoubtful\b"),
    "not added up": (r"不相加|之和", r"\bnot added\b|\bnever added\b|\bnot sums\b"),
    "not counted": (r"不计入", r"\b[Nn]ot counted\b(?! as opening)"),
    "not ranked": (r"只并列", r"\bnot ranked\b"),
    "worth watching": (r"值得关注", r"Worth watching"),
    "not guessed at": (r"不作推测|不推测", r"\bnot guess"),
}


def reading_text(scope: str, lang: str) -> str:
    blocks = bt.compose(scope, lang)
    return "\n".join(bt.visible_text(blk.html, chinese=lang == "zh") for name, blk in blocks
                     if name not in ("glossary", "annex"))


def lost(zh: str, en: str) -> list[str]:
    out = []
    for what, (z, e) in PAIRS.items():
        nz, ne = len(re.findall(z, zh)), len(re.findall(e, en))
        if nz != ne:
            out.append(f"{what}: Chinese {nz}, English {ne}")
    return out


@pytest.mark.parametrize("scope", bt.SCOPES)
def test_every_chinese_caveat_has_its_english_counterpart(scope):
    problems = lost(reading_text(scope, "zh"), reading_text(scope, "en"))
    assert not problems, f"{scope}: " + "; ".join(problems)


def test_the_check_finds_a_lost_caveat():
    zh = "专科系按输出医院推断；另有所述重点，不计入专科。1项数据存疑。"
    assert lost(zh, "The specialty is inferred. One figure is flagged.") == ["not counted: Chinese 1, English 0"]
    assert lost(zh, "Inferred; its focus is not counted as a specialty. One figure is flagged.") == []
