"""ONE way for tests to compose a briefing's HTML in process, from any data folder and as-of date,
without a kernel or a browser (tests/briefings.py caches the shipped data's briefings).

When the briefing layer's entry point changes, only this helper changes: today a context
(`nrmc.context.Briefing`) composed by `nrmc.assemble.compose_html`, in notebook order.
`scope` is a province in any form nrmc.regions accepts (安徽, anhui, 340000) or "national".
"""
from __future__ import annotations

import os


def compose_html(scope: str, lang: str, data_dir: str | os.PathLike, as_of: str | None = None) -> str:
    """The HTML of one briefing as the notebook shows it (its parts, without the page around them
    that nbconvert adds)."""
    from nrmc.assemble import compose_html as compose
    from nrmc.context import Briefing

    return compose(Briefing(scope, lang=lang, as_of=as_of, data_dir=str(data_dir)))
