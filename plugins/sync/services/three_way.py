"""The three-way comparison of one lead and its deal against the snapshot of the last sync (PRODUCT.md §6).

Per field: only PC changed → push; only HubSpot changed → pull; both changed to different values →
conflict; both to the same value → nothing to write, the snapshot takes the value. A field with no
snapshot yet (a lead and a deal that existed apart and are linked now) is a conflict when the sides
differ: nothing is overwritten without a person.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from .deal_fields import FIELDS


@dataclass
class Outcome:
    """What to write where for one lead; each value canonical (see ``deal_fields``)."""
    push: dict = field(default_factory=dict)
    pull: dict = field(default_factory=dict)
    settle: dict = field(default_factory=dict)
    conflicts: list = field(default_factory=list)
    first_link: bool = False

    @property
    def snapshot_changes(self) -> dict:
        """The snapshot after the writes: every field written or found equal."""
        return {**self.settle, **self.push, **self.pull}

    @property
    def writes_anything(self) -> bool:
        return bool(self.push or self.pull)


def reconcile(pc: dict, hubspot: dict, base: dict, *, closed_in_pc: bool = False, today: str | None = None) -> Outcome:
    """Compare each field of ``pc`` and ``hubspot`` with ``base`` (the snapshot).

    :param closed_in_pc: PC's dealStatus is a closed one (won or lost): when PC just closed the deal and
        neither side has a close date, PC dates it ``today`` (HubSpot does the same for its own users).
    """
    pc = dict(pc)
    if closed_in_pc and pc["dealStatus"] != base.get("dealStatus") and pc["closeDate"] is None \
            and hubspot["closeDate"] is None and today:
        pc["closeDate"] = today
    outcome = Outcome(first_link=not base)
    for name in FIELDS:
        mine, theirs = pc[name], hubspot[name]
        if mine == theirs:
            if name not in base or base[name] != mine:
                outcome.settle[name] = mine
        elif name not in base:
            outcome.conflicts.append(name)
        elif mine == base[name]:
            outcome.pull[name] = theirs
        elif theirs == base[name]:
            outcome.push[name] = mine
        else:
            outcome.conflicts.append(name)
    return outcome
