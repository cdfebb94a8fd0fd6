"""Reservations: reserve a listed lead (by its lead id), list, extend and cancel your holds."""
from __future__ import annotations

from flask.views import MethodView

from pc_app.toolkit import (Blueprint, current_actor, current_user, login_required, page_answer,
                            require_trading_partner)

from .. import scheduling
from ..schemas import (RESERVATION_CLOCK, RESERVATION_EXAMPLE, ReservationArgsSchema, ReservationPageSchema,
                       ReservationSchema)
from ..services import reservations

blp = Blueprint("payments_reservations", __name__, url_prefix="/v1/marketplace",
                description="Reservations: a countdown hold on a listed lead before buying it")


@blp.route("/leads/<objectid:lead_id>/reserve", methods=["POST"])
@login_required
@blp.response(201, ReservationSchema, example=RESERVATION_EXAMPLE)
@blp.errors(401, 403, 404, 409)
@blp.doc(operationId="reserveLead")
def reserve(lead_id):
    """Reserve a listed lead by its lead id: exactly one buyer wins; the others get 409.

    The hold lasts ``PAYMENTS_RESERVATION_HOURS`` (168 by default); a buyer holds at most
    ``PAYMENTS_MAX_ACTIVE_RESERVATIONS`` (5) at once. 409 names the rule: ``alreadyReserved``,
    ``alreadySold``, ``ownListing``, ``notListed``, ``maxActiveReservations``.
    """
    buyer = require_trading_partner()
    reservation = reservations.reserve(buyer, current_user().id, lead_id, current_actor())
    scheduling.schedule(reservation)
    return reservation


@blp.route("/reservations")
class ReservationList(MethodView):
    @login_required
    @blp.arguments(ReservationArgsSchema, location="query")
    @blp.response(200, ReservationPageSchema)
    @blp.errors(401, 403, 422)
    def get(self, args):
        """Your partner's reservations, newest first, with ``expiresAt`` and ``secondsLeft``."""
        buyer = require_trading_partner()
        # Kept until the next write to the reservations; the countdown is worked out at every answer.
        return page_answer(reservations.reservations_of(buyer.id, args.get("status")), args["page"], args["perPage"],
                           ReservationPageSchema, clock=RESERVATION_CLOCK)


@blp.route("/reservations/<objectid:reservation_id>")
class ReservationItem(MethodView):
    @login_required
    @blp.response(200, ReservationSchema)
    @blp.errors(401, 403, 404)
    def get(self, reservation_id):
        """One of your reservations."""
        buyer = require_trading_partner()
        return reservations.own_reservation(buyer.id, reservation_id)

    @login_required
    @blp.response(200, ReservationSchema)
    @blp.errors(401, 403, 404, 409)
    @blp.doc(operationId="cancelReservation")
    def delete(self, reservation_id):
        """Cancel your reservation; the lead is listed again (409 while a payment is in flight)."""
        buyer = require_trading_partner()
        return reservations.cancel(buyer.id, reservation_id, current_actor())


@blp.route("/reservations/<objectid:reservation_id>/extend", methods=["PATCH"])
@login_required
@blp.response(200, ReservationSchema)
@blp.errors(401, 403, 404, 409)
@blp.doc(operationId="extendReservation")
def extend(reservation_id):
    """Extend once by ``PAYMENTS_EXTENSION_HOURS``; 409 ``noExtensionLeft`` or ``maxHold`` (14 days in all)."""
    buyer = require_trading_partner()
    return reservations.extend(buyer.id, reservation_id, current_actor())
