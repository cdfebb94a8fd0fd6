"""The events the marketplace plugin emits (its part of the event catalog)."""
from pc_app.toolkit import EventType

EVENTS = [
    EventType("marketplace.lead_listed", "A seller offered a lead on the marketplace.",
              {"listingId": "the listing", "leadId": "the lead",
               "sellerPartnerId": "the seller (in activities and webhooks: the seller's only, not the matching "
                                  "partners')",
               "price": "price in cents", "currency": "ISO currency, lower-case",
               "matchingPartnerIds": "active partners whose ICP scores the listing at MARKETPLACE_NOTIFY_SCORE "
                                     "or more (told about it)",
               "industry": "the lead's industry, or null", "listedAt": "when it was listed (ISO time)"},
              concerns="the seller"),
    EventType("marketplace.listing_repriced", "A seller changed the price of a listed lead.",
              {"listingId": "the listing", "leadId": "the lead", "oldPrice": "cents", "price": "cents",
               "currency": "ISO currency"}, concerns="the seller"),
    EventType("marketplace.lead_delisted", "A listing left the marketplace unsold.",
              {"listingId": "the listing", "leadId": "the lead",
               "reason": "seller, lead_deleted, seller_suspended (the platform suspended the seller) or another "
                         "plugin's reason (e.g. deal won in HubSpot)",
               "industry": "the lead's industry, or null", "price": "the price it was listed at, in cents"},
              concerns="the seller"),
    EventType("marketplace.lead_viewed", "A buyer opened a listing's detail.",
              {"listingId": "the listing", "leadId": "the lead",
               "viewerPartnerId": "the buyer (never in the seller's activities and webhooks)",
               "firstView": "whether it is this buyer's first view"}, concerns="the seller"),
    EventType("marketplace.unmask_limit_reached",
              "A buyer opened as many listings' contact data today as MARKETPLACE_UNMASK_DAILY_LIMIT allows; "
              "further detail views are refused until midnight UTC.",
              {"partnerId": "the buyer", "limit": "the daily limit", "day": "the UTC day (YYYY-MM-DD)"},
              concerns="the buyer"),
]
