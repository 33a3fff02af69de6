"""Findings in words: each language's own sentence templates, fed by a finding's parameters."""
from __future__ import annotations

from markupsafe import Markup

from nrmc.findings import Finding


def claim(b, f: Finding, ev: bool = False) -> Markup:
    """The finding's claim (bold on page 1); `ev`: its numbers open their evidence."""
    return b.say(f.theme, f.name + "_claim", p=f.params, ev=ev)


def context(b, f: Finding, ev: bool = False) -> Markup:
    """One sentence of context after the claim (may be empty)."""
    return b.say(f.theme, f.name + "_context", p=f.params, ev=ev)


def watch(b, f: Finding) -> Markup:
    """What to watch: the briefing's own reading of the data (never a source's words)."""
    return b.say(f.theme, f.name + "_watch", p=f.params, ev=False) if f.watch else Markup("")


def sentence(b, f: Finding, ev: bool = False) -> Markup:
    """Claim and context as running text, each a sentence, the sources cited at the end."""
    stop = Markup(b.L("stop"))
    gap = Markup("" if b.zh else " ")
    text = claim(b, f, ev) + stop
    x = context(b, f, ev)
    if x:
        text += gap + x + stop
    return text + b.refs(*f.source_ids())


def say_all(b, findings: list[Finding]) -> list[Markup]:
    return [sentence(b, f) for f in findings]


def say_all_with_watch(b, findings: list[Finding]) -> list[Markup]:
    """As `say_all`, each sentence followed by what to watch where the finding has it (the
    briefing's own reading, after the sources of the finding)."""
    out = []
    for f in findings:
        s = sentence(b, f)
        w = watch(b, f)
        if w:
            s = s + Markup(" " if not b.zh else "") + Markup('<span class="watch">{}{}</span>').format(w, b.L("stop"))
        out.append(s)
    return out
