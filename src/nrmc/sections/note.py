"""A short note for a province the sources say little or nothing about: what is known about it
and its region, what is not known, and who publishes the answer (at most a page, before the annex)."""
from __future__ import annotations

from nrmc.sections.base import Block, render

__all__ = ["note"]


# The English names of the provincial health commissions (autonomous regions and municipalities
# are not "provinces" in their own names).
COMMISSION_EN = {"540000": "the Health Commission of the Tibet Autonomous Region",
                 "150000": "the Health Commission of the Inner Mongolia Autonomous Region",
                 "450000": "the Health Commission of the Guangxi Zhuang Autonomous Region",
                 "640000": "the Health Commission of the Ningxia Hui Autonomous Region",
                 "650000": "the Health Commission of the Xinjiang Uygur Autonomous Region",
                 "110000": "the Beijing Municipal Health Commission", "120000": "the Tianjin Municipal Health Commission",
                 "310000": "the Shanghai Municipal Health Commission", "500000": "the Chongqing Municipal Health Commission"}


def note(b) -> Block | None:
    """The note for a province with no named centre (`known` or `unknown`); None otherwise."""
    if b.national or b.role not in ("known", "unknown"):
        return None
    st = b.status
    region = st[(st["region"] == b.row["region"]) & (st["code"] != b.code)]
    p = {"name": b.name, "full_name": b.full_name, "role": b.role, "region": b.region(),
         "peers": len(region), "known": int(region["known"].sum()), "named": int(region["named"].sum()),
         "first_batch": None if b.row["first_batch"] != b.row["first_batch"] else int(b.row["first_batch"]),
         "exported": len(b.exported), "official": b.nat.official_total, "named_total": b.nat.named,
         "commission_en": COMMISSION_EN.get(b.code, "the Health Commission of {} Province").format(b.name)}
    items = [b.say("note", "known", p=p), b.say("note", "unknown", p=p), b.say("note", "who", p=p)]
    html = render("note.html.j2", title=b.L("section.note"), items=items, labels=[b.L("note.known"), b.L("note.unknown"), b.L("note.who")])
    return Block(html, "note", "note", b.lang)
