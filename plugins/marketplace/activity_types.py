"""How the marketplace's events read in the activity feed (answer to ``pc_activity_types``).

A new listing also reaches the partners whose ICP it matches (``alsoNotify``), who read a
sentence of their own and never the list of other matching partners, nor the seller (``onlyToNamed``:
a field naming a partner reaches that partner only, as browse cards hide the seller). The seller
hears a listing was viewed without learning by whom.
"""

TYPES = {
    "marketplace.lead_listed": {
        "sentence": "{actorName} listed {leadName} on the marketplace for {price:money}.",
        "sentences": {"matchingPartnerIds": "A new lead matching your ideal customer profile is on the marketplace "
                                            "for {price:money}."},
        "icon": "tag", "alsoNotify": "matchingPartnerIds", "private": ["matchingPartnerIds"],
        "onlyToNamed": ["sellerPartnerId"],
        "subjects": {"listing": "listingId", "lead": "leadId"}},
    "marketplace.listing_repriced": {"sentence": "{actorName} changed the price of {leadName} to {price:money}.",
                                     "icon": "tag", "subjects": {"listing": "listingId", "lead": "leadId"}},
    "marketplace.lead_delisted": {"sentence": "{leadName} left the marketplace unsold.", "icon": "archive",
                                  "subjects": {"listing": "listingId", "lead": "leadId"}},
    "marketplace.lead_viewed": {"sentence": "A buyer opened the listing of {leadName}.", "icon": "eye",
                                "onlyToNamed": ["viewerPartnerId"], "subjects": {"listing": "listingId", "lead": "leadId"}},
}
