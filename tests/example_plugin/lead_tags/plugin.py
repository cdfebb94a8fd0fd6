"""Hook implementations of the lead_tags example plugin."""
from pc_app import hookimpl


@hookimpl
def pc_config_defaults():
    """Declare LEAD_TAGS_MAX_PER_LEAD."""
    from pc_app.toolkit import Setting

    return {"LEAD_TAGS_MAX_PER_LEAD": Setting(3, "int", description="How many tags one lead may carry")}


@hookimpl
def pc_register_blueprints(app):
    """Add /v1/lead-tags."""
    from .routes import blp

    return [blp]


@hookimpl
def pc_register_models():
    """Declare the lead_tags collection."""
    from .models import LeadTag

    return [LeadTag]


@hookimpl
def pc_register_events():
    """Declare lead_tags.tag_added."""
    from pc_app.toolkit import EventType

    return [EventType("lead_tags.tag_added", "A partner user tagged a lead.",
                      {"leadId": "the lead", "tag": "the tag, lower-case"}, concerns="the partner owning the lead")]


@hookimpl
def pc_register_subscriptions():
    """Drop a deleted lead's tags, at least once (durable)."""
    from pc_app.toolkit import Subscription

    return [Subscription("lead_tags.forget_deleted_leads", "core.lead_deleted",
                         f"{__package__}.services.forget_lead", durable=True)]
