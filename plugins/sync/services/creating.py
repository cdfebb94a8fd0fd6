"""New leads become deals: the person as a contact (found by e-mail, else created), the deal, their association.

Per batch of up to 100 leads: one call to find contacts by e-mail, one to create the missing ones,
one to create the deals, one to associate them. HubSpot has no idempotency keys, so before a deal
create is sent each link is marked ``create_attempted``; a resumed sync (or a create that failed
without telling whether it happened) first looks for deals carrying our marker (``pc_lead_id``) and
creates only what is really missing: no lead ever gets two deals. Contacts are found by e-mail
before any create, which makes them just as safe. Deals are associated with their contacts before
the links record them, so a link that says ``associated`` is.
"""
from __future__ import annotations

from plugins.hubspot import services as hubspot_services
from pc_app.toolkit import config, utcnow

from .deal_fields import (CLOSED_STATUSES, MARKER_PROPERTY, UnreadableValue, deal_properties, hubspot_values,
                          pc_values)
from ..models import DealLink
from .links import iso_time, write_links
from .portal_api import HubSpotRefused, MaybeCreated


def _sentence(failure) -> str:
    return failure.sentence if isinstance(failure, MaybeCreated) else failure.message.rstrip(".")


def _contact_properties(lead) -> dict:
    properties = {"email": lead.email.lower(), "firstname": lead.first_name, "lastname": lead.last_name or "",
                  "company": lead.company or "", "jobtitle": lead.job_title or ""}
    if lead.phone:
        properties["phone"] = lead.phone
    return {k: v for k, v in properties.items() if v is not None}


class DealCreator:
    """Creates the deals (and contacts) of one batch of a partner's leads that have none yet."""

    def __init__(self, run):
        self.run = run

    def create(self, leads: list, links: dict, fresh: set = frozenset()) -> None:
        """``leads`` without a deal; ``links`` their (pending) links by lead id; ``fresh``: the leads whose links
        this run just inserted (no earlier run can have created their deals).

        Two writes to our database per batch: the pending links (``create_attempted`` from the start),
        then the linked deals with their contacts, associated.
        """
        if not leads:
            return
        contacts = self._contacts(leads, links)
        self._deals(leads, links, contacts, fresh)

    # --- contacts ---------------------------------------------------------------------------------

    def _contacts(self, leads: list, links: dict) -> dict:
        """``{lead id: contact id}``: found by e-mail, else created."""
        run = self.run
        known = {lead.id: links[lead.id].contact_id for lead in leads if links[lead.id].contact_id}
        wanted = {lead.email.lower(): lead for lead in leads if lead.id not in known}
        if not wanted:
            return known
        found = run.api.contacts_by_email(sorted(wanted))
        attempts = 0
        while True:
            missing = [wanted[email] for email in sorted(wanted) if email not in found]
            if not missing:
                break
            attempts += 1
            try:
                found.update(run.api.create_contacts([_contact_properties(lead) for lead in missing]))
            except (MaybeCreated, HubSpotRefused) as failure:
                # Created meanwhile (409) or perhaps created (5xx, timeout): look again before creating again.
                if isinstance(failure, HubSpotRefused) and failure.http_status != 409:
                    raise
                if attempts >= 3:
                    raise hubspot_services.HubSpotUnavailable(f"{_sentence(failure)}, {attempts} times.") from None
                found.update(run.api.contacts_by_email([lead.email.lower() for lead in missing]))
        return {**known, **{lead.id: found[email] for email, lead in wanted.items()}}

    # --- deals ------------------------------------------------------------------------------------

    def _new_values(self, lead, link) -> dict:
        values = pc_values(lead, link, self.run.mapping)
        if values["closeDate"] is None and lead.deal_status in CLOSED_STATUSES:
            values["closeDate"] = self.run.today
        return values

    def _deals(self, leads: list, links: dict, contacts: dict, fresh: set) -> None:
        run = self.run
        todo = {lead.id: lead for lead in leads if not links[lead.id].deal_id}
        # Links inserted by this run are marked already; only those of an earlier run need a look first.
        maybe = [lead_id for lead_id in todo if links[lead_id].create_attempted and lead_id not in fresh]
        attempts = 0
        made: dict = {}  # lead id -> the link's fields once its deal exists
        while todo:
            if maybe:
                for lead_id, (deal_id, properties) in run.api.find_deals_by_marker(sorted(maybe)).items():
                    if lead_id in todo:
                        made[lead_id] = self._found_fields(todo.pop(lead_id), deal_id, properties)
                if not todo:
                    break
            attempts += 1
            values = {lead_id: self._new_values(lead, links[lead_id]) for lead_id, lead in todo.items()}
            unmarked = [lead_id for lead_id in todo if not links[lead_id].create_attempted]
            if unmarked:  # written before the call: if we die during it, the next run looks before creating again
                write_links([(links[lead_id].id, {}, {"create_attempted": True}) for lead_id in unmarked])
                for lead_id in unmarked:
                    links[lead_id].create_attempted = True
            inputs = [{**deal_properties(values[lead_id]), "pipeline": str(run.pipeline_id),
                       MARKER_PROPERTY: lead_id} for lead_id in todo]
            try:
                created = run.api.create_deals(inputs)
            except MaybeCreated as failure:
                if attempts >= max(int(config("SYNC_CALL_ATTEMPTS")), 1):
                    raise hubspot_services.HubSpotUnavailable(f"{failure.sentence}, {attempts} times.") from None
                maybe = sorted(todo)
                continue
            for lead_id, (deal_id, _properties) in created.items():
                if lead_id in todo:
                    made[lead_id] = self._created_fields(todo.pop(lead_id), deal_id, values[lead_id])
            maybe = sorted(todo)  # anything HubSpot did not return is looked for before another try
        pairs = [(fields["deal_id"], contacts[lead_id]) for lead_id, fields in made.items() if contacts.get(lead_id)]
        if pairs:
            run.api.associate_deals_with_contacts(pairs)
        write_links([(links[lead_id].id, {}, {**fields, "contact_id": contacts.get(lead_id),
                                                "associated": bool(contacts.get(lead_id))})
                     for lead_id, fields in made.items()])
        for lead_id, fields in made.items():
            links[lead_id].deal_id, links[lead_id].status = fields["deal_id"], "linked"
        run.count("created", len(made))

    def _created_fields(self, lead, deal_id: str, values: dict) -> dict:
        now = utcnow()
        pc_time = iso_time(lead.updated_at) or now.isoformat()
        return {"deal_id": deal_id, "deal_key": DealLink.deal_key_for(self.run.portal, deal_id), "status": "linked",
                "status_reason": None, "snapshot": values, "close_date": values["closeDate"],
                "changed_at": {name: {"pc": pc_time} for name in values}, "last_synced_at": now,
                "create_attempted": False}

    def _found_fields(self, lead, deal_id: str, properties: dict) -> dict:
        """A deal an interrupted run created: linked with HubSpot's values as the base, so any change
        made in PC since is pushed by the next comparison, none is lost."""
        try:
            base = hubspot_values(properties)
        except UnreadableValue:
            base = {}  # unreadable values: compared from scratch (a person decides) next time
        return {"deal_id": deal_id, "deal_key": DealLink.deal_key_for(self.run.portal, deal_id), "status": "linked",
                "status_reason": None, "snapshot": base, "close_date": base.get("closeDate"),
                "last_synced_at": utcnow(), "create_attempted": False}

    # --- associations -----------------------------------------------------------------------------

    def associate(self, links: list) -> None:
        """The default deal→contact association for links that lack it (one call per 100)."""
        pending = [link for link in links if link.deal_id and link.contact_id and not link.associated]
        if not pending:
            return
        self.run.api.associate_deals_with_contacts([(link.deal_id, link.contact_id) for link in pending])
        write_links([(link.id, {}, {"associated": True}) for link in pending])
        for link in pending:
            link.associated = True
