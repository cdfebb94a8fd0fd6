"""Tag decisions: only your own live leads, a bounded number of tags, idempotent adds."""
from mongoengine.errors import NotUniqueError

from pc_app.toolkit import Actor, Conflict, Lead, NotFound, config, emit

from .models import LeadTag


def own_lead(partner_id: str, lead_id: str) -> Lead:
    """The partner's live lead; another partner's answers 404 exactly like a missing one."""
    lead = Lead.objects(id=lead_id, partner=partner_id, is_deleted=False).first()
    if lead is None:
        raise NotFound("lead")
    return lead


def tags_of(partner_id: str, lead_id: str) -> list[str]:
    own_lead(partner_id, lead_id)
    return sorted(t.tag for t in LeadTag.objects(lead=lead_id))


def add_tag(partner_id: str, lead_id: str, tag: str, actor: Actor) -> list[str]:
    """Tag the lead; tagging twice is a no-op, a tag beyond the limit is a 409 naming the rule."""
    lead = own_lead(partner_id, lead_id)
    tag = tag.strip().lower()
    limit = config("LEAD_TAGS_MAX_PER_LEAD")
    if LeadTag.objects(lead=lead.id).count() >= limit and not LeadTag.objects(lead=lead.id, tag=tag).first():
        raise Conflict("maxTags", f"A lead carries at most {limit} tags; remove one first.")
    try:
        LeadTag(partner=partner_id, lead=lead.id, tag=tag).save(force_insert=True)
    except NotUniqueError:
        return tags_of(partner_id, lead_id)  # already there: nothing happened, nothing to tell
    emit("lead_tags.tag_added", partner_ids=[partner_id], actor=actor, payload={"leadId": lead.id, "tag": tag})
    return tags_of(partner_id, lead_id)


def forget_lead(event) -> None:
    """Durable subscriber of ``core.lead_deleted``: deleting twice deletes nothing more (idempotent)."""
    LeadTag.objects(lead=event.payload["leadId"]).delete()
