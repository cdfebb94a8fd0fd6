"""One event → for each partner concerned: the activity (and its live publication), the e-mails, the webhooks.

Runs in the durable delivery job of the ``activity.fan_out`` subscription, never in the request
that emitted the event. Every step is idempotent, because the job may run again: the activity's
id derives from the event and the partner, mail is guarded per event and partner, and webhook
deliveries carry a unique ``<endpoint>:<event>`` key.
"""
from __future__ import annotations

from pc_app.toolkit import Actor, Lead, User, is_object_id, utcnow

from ..activity_types import activity_type, public_payload, sentence_for, subjects_of
from . import feed, live_stream, notification_mail, preferences, webhook_delivery


def recipients_of(event, spec) -> list[str]:
    """The partners concerned, then those the type's ``alsoNotify`` field names (each once)."""
    partners = list(event.partner_ids)
    if spec.also_notify:
        extra = event.payload.get(spec.also_notify) or []
        partners += [p for p in (extra if isinstance(extra, (list, tuple)) else [extra]) if is_object_id(p)]
    return list(dict.fromkeys(str(p) for p in partners))


MACHINE_NAMES = {"system": "Partner Connector", "hubspot": "HubSpot", "stripe": "Stripe"}
# How another partner's user (or platform staff) reads to a recipient: no id, no name.
ANONYMOUS = {"actor": "partner", "actor_name": None, "sentence_name": "Another partner"}
STAFF = {"actor": "system", "actor_name": MACHINE_NAMES["system"], "sentence_name": MACHINE_NAMES["system"]}


def _actor_of(actor: Actor | None) -> dict:
    """``{actor, actor_name, sentence_name, partner}``: who did it, and the partner of a user actor."""
    if not actor:
        return {"actor": None, "actor_name": None, "sentence_name": None, "partner": None}
    if actor.startswith("user:"):
        user = User.objects(id=actor[5:]).only("name", "partner").first() if is_object_id(actor[5:]) else None
        partner = str(user.partner) if user and user.partner else None
        name = user.name if user else "Someone"
        return {"actor": actor, "actor_name": name, "sentence_name": name, "partner": partner,
                "staff": bool(user and not user.partner)}
    name = MACHINE_NAMES.get(actor, actor)
    return {"actor": actor, "actor_name": name, "sentence_name": name, "partner": None}


def actor_for(who: dict, partner_id: str) -> dict:
    """The actor as ``partner_id`` may see it: a user is named only to the partner the user belongs to;
    to any other partner it is ``partner`` without id or name (platform staff read as the platform)."""
    if not (who["actor"] or "").startswith("user:") or who["partner"] == partner_id:
        return who
    return STAFF if who.get("staff") else ANONYMOUS


def _lead_names(payload: dict) -> dict:
    """The lead's owner and a display name, so only the partner owning the lead reads it by name."""
    lead_id = payload.get("leadId")
    if not is_object_id(lead_id):
        return {}
    lead = Lead.objects(id=lead_id).only("partner", "first_name", "last_name", "company").first()
    if lead is None:
        return {}
    name = " ".join(part for part in (lead.first_name, lead.last_name) if part)
    return {"owner": str(lead.partner), "name": f"{name} ({lead.company})" if lead.company else name}


def fan_out(event) -> dict:
    """Turn one event into activities, mails and webhook deliveries, as each partner's preferences say.

    Each partner reads the event as it may: a user actor named only when the user is one of its own
    (``actor_for``), the payload without the fields naming other partners (``public_payload``).

    :return: counts for the job log: ``{activities, mails, webhooks}``.
    """
    spec = activity_type(event.name)
    partners = recipients_of(event, spec)
    counts = {"activities": 0, "mails": 0, "webhooks": 0}
    if not partners:
        return counts
    channels = preferences.channels_for(partners, event.name)
    who = _actor_of(event.actor)
    lead = _lead_names(event.payload)
    subjects = subjects_of(spec, event.payload)
    for partner_id in partners:
        lead_name = lead.get("name") if lead.get("owner") == partner_id else "a lead"
        actor = actor_for(who, partner_id)
        data = public_payload(spec, event.payload, partner_id)
        context = {"actorName": actor["sentence_name"] or "Someone", "leadName": lead_name or "a lead"}
        doc = {"_id": feed.activity_id(event.id, partner_id), "partner": partner_id, "type": event.name,
               "sentence": sentence_for(spec, event.payload, partner_id, context), "icon": spec.icon,
               "audience": spec.audience, "actor": actor["actor"], "actor_name": actor["actor_name"],
               "subjects": subjects, "data": data, "event_id": event.id, "occurred_at": event.occurred_at, "read_by": []}
        doc.update(created_at=utcnow(), created_ms=feed.now_ms())
        wants = channels[partner_id]
        if wants["in_app"] and feed.store_activity(doc):
            counts["activities"] += 1
            live_stream.publish(partner_id, spec.audience, feed.serialize(doc))
        if wants["email"]:
            counts["mails"] += notification_mail.mail_partner(event, partner_id, feed.serialize(doc), spec.audience)
        if wants["webhook"]:
            counts["webhooks"] += webhook_delivery.queue_event(event, partner_id, data)
    return counts
