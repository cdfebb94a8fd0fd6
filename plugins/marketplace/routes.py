"""HTTP routes of the marketplace: list/reprice/delist a lead, browse, open a listing, my listings."""
from __future__ import annotations

from flask.views import MethodView

from pc_app.toolkit import (Blueprint, current_actor, current_partner, login_required, page_answer, reads_along,
                           require_trading_partner)

from . import services
from .browse import OWNED_EMAILS_ALONG
from .schemas import (LISTING_CARD_PAGE_EXAMPLE, BrowseArgsSchema, ListingCardPageSchema, ListingDetailSchema,
                      MyListingPageSchema, MyListingSchema, MyListingsArgsSchema, PriceSchema)

blp = Blueprint("marketplace", __name__, url_prefix="/v1/marketplace",
                description="Leads offered for sale: list, browse ranked by ICP fit, open, my listings")


@blp.route("/leads")
class Browse(MethodView):
    @reads_along(**OWNED_EMAILS_ALONG)
    @login_required
    @blp.arguments(BrowseArgsSchema, location="query")
    @blp.response(200, ListingCardPageSchema, example=LISTING_CARD_PAGE_EXAMPLE)
    @blp.errors(401, 403, 422)
    @blp.doc(operationId="listMarketplaceLeads")
    def get(self, args):
        """Browse listed leads ranked by fit with your ICP; contact data is masked.

        Your own listings and leads whose e-mail your partner already owns never appear.
        """
        return services.browse(require_trading_partner(), args, ListingCardPageSchema)


@blp.route("/leads/<objectid:lead_id>")
class ListingItem(MethodView):
    @login_required
    @blp.response(200, ListingDetailSchema)
    @blp.errors(401, 403, 404, 429)
    @blp.doc(operationId="getMarketplaceLead")
    def get(self, lead_id):
        """Open a listed lead by its lead id (the card's ``leadId``); counts a view unless you are the seller.

        Every ``/v1/marketplace/leads/{id}…`` route takes the lead id; the lead's open listing
        answers, else its latest one (sold or delisted, visible to its seller and buyer only).

        Contact data unmasks per ``MARKETPLACE_UNMASK``: ``view`` (on opening), ``reservation``
        or ``purchase``. Notes are never shown. Under ``view``, a partner unmasks at most
        ``MARKETPLACE_UNMASK_DAILY_LIMIT`` different listings a UTC day (429 beyond, with
        ``Retry-After`` until midnight UTC); re-opening one is free.
        """
        partner = require_trading_partner()
        return services.open_listing_detail(partner, lead_id, current_actor()).as_dict()


@blp.route("/leads/<objectid:lead_id>/list")
class LeadListing(MethodView):
    @login_required
    @blp.arguments(PriceSchema)
    @blp.response(201, MyListingSchema)
    @blp.errors(401, 403, 404, 409, 422)
    @blp.doc(operationId="listLeadOnMarketplace")
    def post(self, data, lead_id):
        """List one of your leads for a price in cents."""
        partner = require_trading_partner()
        lead = services.own_lead(partner.id, lead_id)
        return services.list_lead(partner, lead, data["price"], current_actor())

    @login_required
    @blp.arguments(PriceSchema)
    @blp.response(200, MyListingSchema)
    @blp.errors(401, 403, 404, 409, 422)
    @blp.doc(operationId="updateListingPrice")
    def patch(self, data, lead_id):
        """Change the price of your listed lead (not once it is reserved or sold)."""
        partner = require_trading_partner()
        lead = services.own_lead(partner.id, lead_id)
        return services.reprice_listing(partner, lead, data["price"], current_actor())

    @login_required
    @blp.response(200, MyListingSchema)
    @blp.errors(401, 403, 404, 409)
    @blp.doc(operationId="unlistLead")
    def delete(self, lead_id):
        """Take your lead off the marketplace (409 once it is reserved or sold)."""
        partner = require_trading_partner()
        lead = services.own_lead(partner.id, lead_id)
        return services.delist_lead(partner, lead, current_actor())


@blp.route("/my-listings")
class MyListings(MethodView):
    @login_required
    @blp.arguments(MyListingsArgsSchema, location="query")
    @blp.response(200, MyListingPageSchema)
    @blp.errors(401, 403, 422)
    @blp.doc(operationId="listMyListings")
    def get(self, args):
        """Your listings, newest first, with views, the reservation and the sale."""
        partner = current_partner()
        # Kept until the next write to this seller's listings (listings are counted per seller): a row is its
        # listing alone (views, reservation and sale are written on it), apart from leadAgeDays, which may
        # lag by the TTL as on a browse card.
        return page_answer(services.my_listings(partner.id, args.get("status")), args["page"], args["perPage"],
                           MyListingPageSchema)
