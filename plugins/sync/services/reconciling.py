"""Bringing a batch of linked leads and their deals in step: decide per field, write HubSpot, write PC, snapshot.

Order of writes for a batch: HubSpot first (one batch update), then the leads (each a conditional
update), then the links' snapshots (one bulk write). A crash between two writes leaves both sides
equal and the snapshot behind, which the next sync settles without writing anything.
"""
from __future__ import annotations

from dataclasses import dataclass

from pc_app.toolkit import HUBSPOT, utcnow

from . import conflicts
from .deal_fields import (CLOSED_STATUSES, UnreadableValue, deal_properties, derived_deal_name, hubspot_change_time,
                          hubspot_values, pc_values, status_for_stage)
from .lead_writes import lead_changes, write_leads
from .links import iso_time, lead_left, write_links
from .listings import DELISTED, RESERVED, take_won_lead_off_the_market
from .three_way import Outcome, reconcile


@dataclass
class Pair:
    """A linked lead and the deal as HubSpot holds it now, with what the comparison decided."""
    link: object
    lead: object
    properties: dict
    pc: dict | None = None
    hubspot: dict | None = None
    outcome: Outcome | None = None


class Reconciler:
    """Applies the three-way comparison to pairs of one partner's leads and deals."""

    def __init__(self, run):
        self.run = run

    def reconcile(self, pairs: list[Pair]) -> None:
        decided = [pair for pair in pairs if self._decide(pair)]
        pushed = self._push(decided)
        self._pull_and_snapshot(pushed)

    # --- deciding ---------------------------------------------------------------------------------

    def _decide(self, pair: Pair) -> bool:
        """Compute the outcome; False when the pair needs no writes of its own (or cannot be compared)."""
        run, link, lead = self.run, pair.link, pair.lead
        if link.status == "paused":
            return False
        if link.status == "unlinked":
            self._deal_won_after_the_lead_left(pair)
            return False
        if str(pair.properties.get("pipeline") or "") != str(run.pipeline_id):
            run.unlink(link, "deal_left_pipeline")
            return False
        left = lead_left(lead, link)
        if left:
            run.unlink(link, left)
            self._deal_won_after_the_lead_left(pair)
            return False
        try:
            pair.hubspot = hubspot_values(pair.properties)
        except UnreadableValue as unreadable:
            run.error(f"The deal has a value we cannot read: {unreadable}.", lead.id, link.deal_id)
            return False
        pair.pc = pc_values(lead, link, run.mapping)
        outcome = reconcile(pair.pc, pair.hubspot, dict(link.snapshot or {}),
                            closed_in_pc=lead.deal_status in CLOSED_STATUSES, today=run.today)
        pair.pc["closeDate"] = outcome.push.get("closeDate", pair.pc["closeDate"])
        pair.outcome = outcome
        stage = outcome.pull.get("dealStatus")
        if stage is not None and status_for_stage(stage, run.mapping) is None:
            run.error(f"The deal is in stage {stage}, which the stage mapping does not name; map it to a "
                      f"dealStatus.", lead.id, link.deal_id)
            del outcome.pull["dealStatus"]
        if outcome.conflicts:
            conflicts.record(run, link, lead, pair.pc, pair.hubspot, outcome.conflicts,
                             "first_link" if outcome.first_link else "both_changed", pair.properties)
            return False
        if outcome.pull.get("dealStatus") is not None and outcome.pull["dealStatus"] == run.mapping.get("won"):
            verdict = take_won_lead_off_the_market(lead.id)
            if verdict == RESERVED:
                conflicts.record(run, link, lead, pair.pc, pair.hubspot, ["dealStatus"], "listing_reserved",
                                 pair.properties)
                return False
            if verdict == DELISTED:
                run.count("delisted")
        return True

    def _deal_won_after_the_lead_left(self, pair: Pair) -> None:
        """A sold lead's deal moved to the won stage: the sale and the CRM disagree; a person looks."""
        run, link = self.run, pair.link
        if link.status_reason != "lead_sold" and lead_left(pair.lead, link) != "lead_sold":
            return
        stage = pair.properties.get("dealstage")
        if stage is None or stage != run.mapping.get("won") or (link.snapshot or {}).get("dealStatus") == stage:
            return
        try:
            hubspot = hubspot_values(pair.properties)
        except UnreadableValue:
            return
        pc = pc_values(pair.lead, link, run.mapping) if pair.lead is not None else dict(link.snapshot or {})
        conflicts.record(run, link, pair.lead, pc, hubspot, ["dealStatus"], "lead_sold", pair.properties)

    # --- writing ----------------------------------------------------------------------------------

    def _push(self, pairs: list[Pair]) -> list[Pair]:
        """One batch update for every pair with something to push; returns the pairs still going on."""
        run = self.run
        changes = {pair.link.deal_id: deal_properties(pair.outcome.push) for pair in pairs if pair.outcome.push}
        if not changes:
            return pairs
        written, missing, refused = run.api.update_deals(changes)
        run.count("updated", len(written))
        kept = []
        for pair in pairs:
            deal_id = pair.link.deal_id
            if deal_id in missing:
                run.unlink(pair.link, "deal_deleted")
            elif deal_id in refused:
                run.error(refused[deal_id], pair.lead.id, deal_id)
            else:
                kept.append(pair)
        return kept

    def _pull_and_snapshot(self, pairs: list[Pair]) -> None:
        run = self.run
        now = utcnow()
        changes = {pair.lead.id: lead_changes(pair.lead, pair.outcome.pull, run.mapping) for pair in pairs}
        written = write_leads([(pair.lead, changes[pair.lead.id]) for pair in pairs], HUBSPOT)
        updates = []
        for pair in pairs:
            outcome = pair.outcome
            if changes[pair.lead.id] and pair.lead.id not in written:
                continue  # a person changed the lead meanwhile: compare again next time
            if changes[pair.lead.id] or "dealName" in outcome.pull or "closeDate" in outcome.pull:
                run.count("pulled")
            if outcome.snapshot_changes:
                updates.append(self._link_update(pair, now))
        write_links(updates)

    def _link_update(self, pair: Pair, now) -> tuple[str, dict, dict]:
        link, lead, outcome = pair.link, pair.lead, pair.outcome
        snapshot = {**(link.snapshot or {}), **outcome.snapshot_changes}
        changed_at = {name: dict(times) for name, times in (link.changed_at or {}).items()}
        pc_time = iso_time(lead.updated_at) or now.isoformat()
        hubspot_time = hubspot_change_time(pair.properties) or now.isoformat()
        for name in outcome.push:
            changed_at.setdefault(name, {})["pc"] = pc_time
        for name in outcome.pull:
            changed_at.setdefault(name, {})["hubspot"] = hubspot_time
        fields = {"snapshot": snapshot, "changed_at": changed_at, "last_synced_at": now}
        if "dealName" in outcome.pull:
            # a name HubSpot gave the deal sticks; one equal to the lead's own lets the name follow the lead again
            name = outcome.pull["dealName"]
            fields["deal_name"] = None if name == derived_deal_name(lead) else name
        if "closeDate" in outcome.snapshot_changes:
            fields["close_date"] = outcome.snapshot_changes["closeDate"]
        return link.id, {"status": link.status}, fields
