"""The events the HubSpot plugin emits (its part of the event catalog)."""
from pc_app.toolkit import EventType

EVENTS = [
    EventType("hubspot.connected", "The partner connected a HubSpot portal through OAuth.",
              {"partnerId": "the partner", "hubId": "the HubSpot portal id", "scopes": "the granted scopes"}),
    EventType("hubspot.disconnected", "The partner disconnected HubSpot; its tokens were erased.",
              {"partnerId": "the partner", "hubId": "the portal", "revokedAtHubSpot": "whether HubSpot confirmed "
               "the revocation"}),
    EventType("hubspot.connection_failed", "HubSpot refused to refresh the partner's token; it must reconnect.",
              {"partnerId": "the partner", "hubId": "the portal", "reason": "what HubSpot answered"}),
    EventType("hubspot.webhook_received", "HubSpot delivered new, de-duplicated webhook events for a portal.",
              {"partnerId": "the partner owning the portal", "portalId": "the portal",
               "events": "HubSpot's events as received (subscriptionType, objectId, propertyName…)"}),
]
