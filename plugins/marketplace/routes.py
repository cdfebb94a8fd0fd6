"""HTTP routes of the marketplace: list/reprice/delist a lead, browse, open a listing, my listings."""
from __future__ import annotations

from flask.views import MethodView

from pc_app.toolkit import (Blueprint, abort, current_partner, current_user, error_body, login_required, paginate,
                           parse_object_id, require_trading_partner)

from . import services
from .schemas import (BrowseArgsSchema, ListingCardPageSchema, ListingDetailSchema, MyListingPageSchema,
                      MyListingSchema, MyListingsArgsSchema, PriceSchema)

blp = Blueprint("marketplace", __name__, url_prefix="/v1/marketplace",
                description="Leads offered for sale: list, browse ranked by ICP fit, open, my listings")


def _actor() -> str:
    return f"user:{current_user().id}"


def _own_lead(partner, lead_id: str):
    lead = services.own_lead(partner.id, parse_object_id(lead_id, "lead"))
    if lead is None:
        abort(404, message="No such lead.")
    return lead


@blp.errorhandler(services.ListingRefused)
def _refused(exc: services.ListingRefused):
    """A refused listing change answers with its status and names the rule that failed."""
    return error_body(exc.status, exc.message, exc.errors), exc.status


@blp.errorhandler(services.UnmaskLimitReached)
def _unmask_limit(exc: services.UnmaskLimitReached):
    """Past the daily unmask limit: 429 with a sentence, and Retry-After until midnight UTC."""
    return error_body(429, exc.message, {"dailyUnmaskLimit": [exc.message]}), 429, \
        {"Retry-After": str(exc.retry_after)}


@blp.route("/leads")
class Browse(MethodView):
    @login_required
    @blp.arguments(BrowseArgsSchema, location="query")
    @blp.response(200, ListingCardPageSchema)
    def get(self, args):
        """Browse listed leads ranked by fit with your ICP; contact data is masked.

        Your own listings and leads whose e-mail your partner already owns never appear.
        """
        return services.browse(require_trading_partner(), args)


@blp.route("/leads/<objectid:listing_id>")
class ListingItem(MethodView):
    @login_required
    @blp.response(200, ListingDetailSchema)
    @blp.alt_response(429, description="The partner has unmasked MARKETPLACE_UNMASK_DAILY_LIMIT listings today")
    def get(self, listing_id):
        """Open a listing by its listing id (the card's ``id``); counts a view unless you are the seller.

        Contact data unmasks per ``MARKETPLACE_UNMASK``: ``view`` (on opening), ``reservation``
        or ``purchase``. Notes are never shown. Under ``view``, a partner unmasks at most
        ``MARKETPLACE_UNMASK_DAILY_LIMIT`` different listings a UTC day (429 beyond, with
        ``Retry-After`` until midnight UTC); re-opening one is free.
        """
        partner = require_trading_partner()
        detail = services.open_listing_detail(partner, parse_object_id(listing_id, "listing"), _actor())
        if detail is None:
            abort(404, message="No such listing.")
        return detail.as_dict()


@blp.route("/leads/<objectid:lead_id>/list")
class LeadListing(MethodView):
    @login_required
    @blp.arguments(PriceSchema)
    @blp.response(201, MyListingSchema)
    def post(self, data, lead_id):
        """List one of your leads for a price in cents."""
        partner = require_trading_partner()
        lead = _own_lead(partner, lead_id)
        return services.list_lead(partner, lead, data["price"], _actor())

    @login_required
    @blp.arguments(PriceSchema)
    @blp.response(200, MyListingSchema)
    def patch(self, data, lead_id):
        """Change the price of your listed lead (not once it is reserved or sold)."""
        partner = require_trading_partner()
        lead = _own_lead(partner, lead_id)
        return services.reprice_listing(partner, lead, data["price"], _actor())

    @login_required
    @blp.response(200, MyListingSchema)
    def delete(self, lead_id):
        """Take your lead off the marketplace (409 once it is reserved or sold)."""
        partner = require_trading_partner()
        lead = _own_lead(partner, lead_id)
        return services.delist_lead(partner, lead, _actor())


@blp.route("/my-listings")
class MyListings(MethodView):
    @login_required
    @blp.arguments(MyListingsArgsSchema, location="query")
    @blp.response(200, MyListingPageSchema)
    def get(self, args):
        """Your listings, newest first, with views, the reservation and the sale."""
        partner = current_partner()
        return paginate(services.my_listings(partner.id, args.get("status")), args["page"], args["perPage"])
