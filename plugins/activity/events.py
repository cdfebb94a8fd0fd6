"""The events the activity plugin emits (its part of the event catalog)."""
from pc_app.toolkit import EventType

EVENTS = [
    EventType("activity.webhook_disabled",
              "A webhook endpoint kept failing past the retry window and was disabled; it gets no events until enabled.",
              {"endpointId": "the webhook endpoint", "url": "its URL", "reason": "the last failure"},
              concerns="the partner owning the endpoint"),
]
