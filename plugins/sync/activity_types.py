"""How the sync plugin's events read in the activity feed, mails and webhooks (its ``pc_activity_types``).

A finished sync is routine (in the app and on webhooks); a failed one and a conflict need a
person, so they are mailed too.
"""

TYPES = {
    "sync.task_completed": {
        "sentence": "HubSpot sync finished: {created} deals created, {updated} updated, {pulled} leads from HubSpot, "
                    "{conflicts} conflicts.",
        "icon": "refresh-cw", "subjects": {"syncTask": "taskId"}},
    "sync.task_failed": {
        "sentence": "HubSpot sync stopped: {reason}", "icon": "alert-triangle", "audience": "owners",
        "channels": ["in_app", "email", "webhook"], "subjects": {"syncTask": "taskId"}},
    "sync.conflict_detected": {
        "sentence": "{leadName} changed both here and in HubSpot; choose which values to keep.",
        "icon": "git-merge", "channels": ["in_app", "email", "webhook"],
        "subjects": {"syncConflict": "conflictId", "lead": "leadId"}},
    "sync.conflict_resolved": {
        "sentence": "{actorName} resolved the HubSpot conflict of {leadName}.", "icon": "check-circle",
        "subjects": {"syncConflict": "conflictId", "lead": "leadId"}},
}
