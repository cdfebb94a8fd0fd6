"""The events the sync plugin emits (its part of the event catalog; the contract in CONTRACT_EVENTS.md)."""
from pc_app.toolkit import EventType

EVENTS = [
    EventType("sync.task_completed", "A sync of the partner's leads and HubSpot deals finished.",
              {"taskId": "the task", "partnerId": "the partner", "created": "deals created in HubSpot",
               "updated": "deals updated in HubSpot", "pulled": "leads changed or created from HubSpot",
               "conflicts": "conflicts found", "errors": "records that could not be synced",
               "trigger": "manual, schedule, webhook, connected or resolution",
               "unlinked": "leads no longer synced (deal deleted in HubSpot, lead deleted or sold)",
               "leadsCreated": "leads created from deals made in HubSpot"},
              optional=("unlinked", "leadsCreated")),
    EventType("sync.task_failed", "A sync stopped (HubSpot unreachable, a token that cannot be refreshed); "
                                  "the next one resumes from its checkpoint.",
              {"taskId": "the task", "partnerId": "the partner", "reason": "a sentence for people"}),
    EventType("sync.conflict_detected", "Both sides changed a lead's fields differently; its sync pauses until a "
                                        "person decides.",
              {"conflictId": "the conflict", "partnerId": "the partner", "leadId": "the lead",
               "fields": "the conflicting fields (dealStatus, dealAmount, dealName, closeDate)",
               "reason": "both_changed, first_link, listing_reserved or lead_sold"},
              optional=("reason",)),
    EventType("sync.conflict_resolved", "A person resolved a conflict; both sides hold the chosen values.",
              {"conflictId": "the conflict", "partnerId": "the partner", "leadId": "the lead",
               "resolution": "use_pc, use_hubspot or merge", "fields": "the fields resolved"},
              optional=("fields",)),
]
