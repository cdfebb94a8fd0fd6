"""How the HubSpot plugin's events read in the activity feed (answer to ``pc_activity_types``)."""

TYPES = {
    "hubspot.connected": {"sentence": "{actorName} connected HubSpot portal {hubId}.", "icon": "link",
                          "audience": "owners"},
    "hubspot.disconnected": {"sentence": "{actorName} disconnected HubSpot portal {hubId}.", "icon": "unlink",
                             "audience": "owners"},
    # The HubSpot plugin already mails the owners itself; no second e-mail by default.
    "hubspot.connection_failed": {"sentence": "HubSpot refused to refresh the connection: reconnect HubSpot.",
                                  "icon": "alert-triangle", "audience": "owners", "channels": ["in_app", "webhook"]},
    # Raw webhook batches are plumbing, not news: off by default, a partner may turn them on.
    "hubspot.webhook_received": {"sentence": "HubSpot sent changes from portal {portalId}.", "icon": "refresh-cw",
                                 "audience": "owners", "channels": []},
}
