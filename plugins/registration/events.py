"""The events the registration plugin emits (its part of the event catalog)."""
from pc_app.toolkit import EventType

EVENTS = [
    EventType("registration.partner_registered", "A company registered itself; its owner must verify the e-mail.",
              {"partnerId": "the new partner", "userId": "its owner", "name": "the company name",
               "slug": "the partner's slug"}),
    EventType("registration.partner_verified", "The owner verified the e-mail and chose a password; onboarding starts.",
              {"partnerId": "the partner", "userId": "its owner"}),
    EventType("registration.partner_activated", "The partner finished the required onboarding steps and may trade.",
              {"partnerId": "the partner", "from": "the status it left"}),
    EventType("registration.partner_suspended", "Platform staff suspended the partner: it can no longer trade.",
              {"partnerId": "the partner", "from": "the status it left", "reason": "why, as staff wrote it"}),
    EventType("registration.partner_reinstated", "Platform staff lifted the partner's suspension.",
              {"partnerId": "the partner", "to": "the status it returned to"}),
]
