"""Deals created in HubSpot, in the Partner Connector pipeline and with a contact, become the partner's leads.

A deal carrying our marker is one of ours whose link an interrupted run did not record: it is linked
back to its lead, never imported twice. A deal whose contact's e-mail is already one of the
partner's leads (not linked to another deal) is linked to that lead; where the two disagree, a
conflict asks a person (nothing is overwritten). Any other deal becomes a new lead (``source`` and
``updatedBy`` ``hubspot``), validated like a lead created through the API.
"""
from __future__ import annotations

import marshmallow as ma
from mongoengine.errors import NotUniqueError

from pc_app.toolkit import HUBSPOT, DuplicateLeadEmail, Lead, LeadWriteSchema, create_lead, utcnow

from ..models import DealLink
from .deal_fields import MARKER_PROPERTY, UnreadableValue, derived_deal_name, hubspot_values, status_for_stage
from .links import links_by_key, write_links
from .reconciling import Pair

OPTIONAL_CONTACT_FIELDS = ("lastName", "phone", "company", "jobTitle")


def _lead_data(contact: dict, status: str, amount: int) -> dict:
    email = (contact.get("email") or "").strip()
    first = (contact.get("firstname") or "").strip() or (contact.get("lastname") or "").strip() \
        or email.split("@")[0]
    data = {"firstName": first[:100], "lastName": (contact.get("lastname") or "").strip()[:100], "email": email,
            "phone": (contact.get("phone") or "").strip() or None, "company": contact.get("company") or None,
            "jobTitle": contact.get("jobtitle") or None, "dealStatus": status, "dealAmount": amount,
            "source": "hubspot"}
    return {k: v for k, v in data.items() if v is not None}


def validated_lead(contact: dict, status: str, amount: int) -> dict | None:
    """The lead's fields, validated like ``POST /v1/leads``; a bad optional field is left out, a bad e-mail
    means no lead."""
    data = _lead_data(contact, status, amount)
    schema = LeadWriteSchema()
    for _attempt in range(len(OPTIONAL_CONTACT_FIELDS) + 1):
        try:
            return schema.load(data)
        except ma.ValidationError as invalid:
            bad = [name for name in invalid.messages if name in OPTIONAL_CONTACT_FIELDS]
            if not bad:
                return None
            for name in bad:
                data.pop(name, None)
    return None


class DealImporter:
    """Turns unlinked deals of the partner's pipeline into linked leads."""

    def __init__(self, run, reconciler):
        self.run = run
        self.reconciler = reconciler

    def import_deals(self, deals: dict) -> None:
        """``deals``: ``{deal id: properties}`` of deals no link knows, already in our pipeline."""
        if not deals:
            return
        ours = {deal_id: props for deal_id, props in deals.items() if props.get(MARKER_PROPERTY)}
        pairs, orphans = self._relink_ours(ours)
        others = {deal_id: props for deal_id, props in deals.items() if deal_id not in ours or deal_id in orphans}
        pairs += self._from_contacts(others)
        self.reconciler.reconcile(pairs)

    # --- deals we created -------------------------------------------------------------------------

    def _relink_ours(self, deals: dict) -> tuple[list, set]:
        """Deals carrying our marker back on their leads: ``(pairs to compare, deals naming no lead of ours)``."""
        run = self.run
        orphans = set()
        by_lead = {props[MARKER_PROPERTY]: deal_id for deal_id, props in deals.items()}
        leads = {lead.id: lead for lead in Lead.objects(id__in=sorted(by_lead), partner=run.partner_id,
                                                        is_deleted=False)}
        links = links_by_key(run.partner_id, sorted(leads))
        pairs = []
        for lead_id, deal_id in by_lead.items():
            lead = leads.get(lead_id)
            if lead is None:
                orphans.add(deal_id)  # a marker that names no lead of this partner: an ordinary deal
                continue
            link = links.get(lead_id)
            if link is not None and link.deal_id and link.deal_id != deal_id:
                run.error(f"HubSpot has a second deal ({deal_id}) for this lead; archive one of them.", lead_id,
                          link.deal_id)
                continue
            link = self._link(lead, link, deal_id, deals[deal_id], contact_id=None)
            if link is not None:
                run.count("created")  # created by an interrupted run, counted now
                pairs.append(Pair(link, lead, deals[deal_id]))
        return pairs, orphans

    # --- deals made in HubSpot --------------------------------------------------------------------

    def _from_contacts(self, deals: dict) -> list:
        run = self.run
        if not deals:
            return []
        contacts_of = run.api.contacts_of_deals(sorted(deals))
        first_contact = {deal_id: ids[0] for deal_id, ids in contacts_of.items() if ids}
        contacts = run.api.read_contacts(sorted(set(first_contact.values()))) if first_contact else {}
        pairs = []
        for deal_id in sorted(first_contact, key=int):
            contact = contacts.get(first_contact[deal_id])
            email = ((contact or {}).get("email") or "").strip().lower()
            if not email:
                continue  # no person to make a lead of yet; the deal is looked at again when it changes
            pair = self._lead_for(deal_id, deals[deal_id], contact, first_contact[deal_id], email)
            if pair is not None:
                pairs.append(pair)
        return pairs

    def _lead_for(self, deal_id: str, properties: dict, contact: dict, contact_id: str, email: str):
        run = self.run
        existing = Lead.objects(partner=run.partner_id, email_key=Lead.make_email_key(run.partner_id, email)).first()
        if existing is not None:
            link = links_by_key(run.partner_id, [existing.id]).get(existing.id)
            if link is not None and (link.deal_id or link.status != "pending"):
                run.error(f"The deal's contact {email} is already the lead of another deal; the deal was not "
                          f"imported.", existing.id, deal_id)
                return None
            # Two records that existed apart: no base, so any difference becomes a conflict for a person.
            link = self._link(existing, link, deal_id, properties, contact_id=contact_id, base={})
            return Pair(link, existing, properties) if link is not None else None
        try:
            values = hubspot_values(properties)
        except UnreadableValue as unreadable:
            run.error(f"The deal has a value we cannot read: {unreadable}.", None, deal_id)
            return None
        status = status_for_stage(values["dealStatus"], run.mapping)
        if status is None:
            run.error(f"The deal is in stage {values['dealStatus']}, which the stage mapping does not name.", None,
                      deal_id)
            return None
        data = validated_lead(contact, status, values["dealAmount"])
        if data is None:
            run.error(f"The deal's contact {email} cannot become a lead (its e-mail is not valid).", None, deal_id)
            return None
        try:
            lead = create_lead(run.partner_id, data, HUBSPOT)
        except DuplicateLeadEmail:
            return None  # created meanwhile by a person: the next sync links them
        run.count("leadsCreated")
        run.count("pulled")
        self._link(lead, None, deal_id, properties, contact_id=contact_id, base=values,
                   deal_name=None if values["dealName"] == derived_deal_name(lead) else values["dealName"])
        return None  # both sides hold the deal's values already

    def _link(self, lead, link, deal_id: str, properties: dict, *, contact_id: str | None, base: dict | None = None,
              deal_name: str | None = None):
        """Point the lead's link at the deal (creating the link); ``base`` defaults to the deal's values."""
        run = self.run
        if base is None:
            try:
                base = hubspot_values(properties)
            except UnreadableValue:
                base = {}
        fields = {"deal_id": deal_id, "deal_key": DealLink.deal_key_for(run.portal, deal_id), "status": "linked",
                  "status_reason": None, "snapshot": base, "create_attempted": False, "last_synced_at": utcnow(),
                  "associated": contact_id is not None}
        if contact_id is not None:
            fields["contact_id"] = contact_id
        if base.get("closeDate") is not None:
            fields["close_date"] = base["closeDate"]
        if deal_name is not None:
            fields["deal_name"] = deal_name
        if link is None:
            link = DealLink(partner=run.partner_id, lead=lead.id, link_key=DealLink.key_for(run.partner_id, lead.id),
                            portal=run.portal, **fields)
            try:
                link.save(force_insert=True)
            except NotUniqueError:  # a racing worker linked it first
                return None
            return link
        write_links([(link.id, {}, fields)])
        return DealLink.objects(id=link.id).first()
