"""The events the core itself emits, declared like every plugin's (see ``pc_app.events``)."""
from ..event_model import EventType

CORE_EVENTS = [
    EventType("core.user_invited", "A user was invited and mailed a set-password link.",
              {"userId": "the invited user", "role": "owner, admin or user"},
              concerns="the partner the user joins (none for platform staff)"),
    EventType("core.user_status_changed", "Platform staff or a partner owner activated or deactivated a user.",
              {"userId": "the user", "isActive": "the new state"},
              concerns="the user's partner"),
    EventType("core.password_changed", "A user set a new password through a reset or invitation link.",
              {"userId": "the user"}, concerns="the user's partner"),
    EventType("core.partner_updated", "A partner's profile or ICP changed.",
              {"partnerId": "the partner", "fields": "the API names of the fields that changed"}),
    EventType("core.lead_created", "A lead was created by hand or through the API.",
              {"leadId": "the new lead"}, concerns="the partner owning the lead"),
    EventType("core.lead_updated", "A lead's fields changed.",
              {"leadId": "the lead", "fields": "the storage names of the fields that changed (e.g. deal_status)"},
              concerns="the partner owning the lead"),
    EventType("core.lead_deleted", "A lead was deleted (soft: its history stays).",
              {"leadId": "the lead"}, concerns="the partner owning the lead"),
    EventType("core.leads_imported", "Rows of a CSV import became leads.",
              {"leadIds": "the new leads' ids", "importId": "the import (null when answered inline)"},
              concerns="the importing partner"),
]
