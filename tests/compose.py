"""ONE way for tests to compose a briefing's HTML in process, without a kernel or a browser.

The briefing layer is being rewritten: when its entry point changes, only this helper changes.
`scope` is a province in any form nrmc.regions accepts (安徽, anhui, 340000) or "national".
"""
from __future__ import annotations

import os


def compose_html(scope: str, lang: str, data_dir: str | os.PathLike, as_of: str | None = None) -> str:
    """The HTML of one briefing as the notebook would display it (its parts, without the page
    around them that nbconvert adds)."""
    from nrmc.briefing import NationalBriefing, ProvinceBriefing

    if str(scope).lower() == "national":
        b = NationalBriefing(lang=lang, data_dir=str(data_dir), as_of=as_of)
    else:
        b = ProvinceBriefing(scope, lang=lang, data_dir=str(data_dir), as_of=as_of)
    return b._repr_html_()
