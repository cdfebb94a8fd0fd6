"""How the core's events and the activity plugin's own read as activities (its own ``pc_activity_types`` answer)."""

TYPES = {
    "core.lead_created": {"sentence": "{actorName} added {leadName}.", "icon": "user-plus"},
    "core.lead_updated": {"sentence": "{actorName} updated {leadName}.", "icon": "edit"},
    "core.lead_deleted": {"sentence": "{actorName} deleted a lead.", "icon": "trash"},
    "core.leads_imported": {"sentence": "{actorName} imported leads from a CSV file.", "icon": "upload",
                            "private": ["leadIds"]},
    "core.partner_updated": {"sentence": "{actorName} changed the partner's profile.", "icon": "settings",
                             "audience": "owners"},
    "core.password_changed": {"sentence": "A user changed their password.", "icon": "key",
                              "channels": ["in_app"]},
    "core.user_invited": {"sentence": "{actorName} invited a new user.", "icon": "user-plus"},
    "core.user_status_changed": {"sentence": "{actorName} changed a user's access.", "icon": "user-check"},
    "activity.webhook_disabled": {
        "sentence": "The webhook endpoint {url} kept failing for a day and was disabled.", "icon": "alert-triangle",
        "audience": "owners", "channels": ["in_app", "email"], "subjects": {"webhookEndpoint": "endpointId"}},
}
