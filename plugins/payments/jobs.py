"""Jobs of the payments plugin: a reservation's expiry and reminder, and the per-minute sweeper.

Each takes ids and is idempotent; the sweeper does what the scheduled jobs do (so a job lost
with Redis costs at most a minute) and finishes what a crash left half done: open payment
attempts whose driver is gone, paid sales not completed, webhooks not applied.
"""
from __future__ import annotations

import logging

from .models import OPEN_PURCHASE_STATUSES, Purchase
from .services import purchases, reservations, sale, webhooks
from .services.clock import now_ms

log = logging.getLogger("plugins.payments.jobs")


def expire_reservation(reservation_id: str) -> bool:
    """Job at ``expiresAt``: expire the reservation and relist its lead (a no-op if it was bought or extended).

    A job that runs early (a clock behind the scheduler's) or while a payment holds the reservation
    schedules itself again for when the reservation can end.
    """
    if reservations.expire(reservation_id):
        return True
    from . import scheduling
    from .models import Reservation

    current = Reservation.objects(id=reservation_id, status="active").first()
    if current is not None:
        scheduling.schedule_expiry(current)
    return False


def remind_reservation(reservation_id: str) -> bool:
    """Job ``PAYMENTS_REMINDER_HOURS`` before the end: tell the buyer."""
    return reservations.remind(reservation_id)


def sweep() -> dict:
    """Job every minute: expiries, releases, reminders, then unfinished payments, sales and webhooks."""
    done = reservations.sweep()
    done.update(reconciled=0, completed=0, webhooks=0, failures=0)
    for row in Purchase._get_collection().find(
            {"status": {"$in": list(OPEN_PURCHASE_STATUSES)}, "lease_ms": {"$lte": now_ms()}}, {"_id": 1}).limit(200):
        done["reconciled"] += _safely(purchases.reconcile, str(row["_id"]), done) not in (None, "busy", "waiting")
    for purchase_id in sale.unfinished():
        done["completed"] += _safely(sale.complete, purchase_id, done) is not None
    for event_id in webhooks.unprocessed():
        done["webhooks"] += bool(_safely(webhooks.apply, event_id, done))
    if any(done.values()):
        log.info("payments sweep: %s", done)
    return done


def _safely(step, item_id: str, done: dict):
    """One item's failure (Stripe down) must not stop the sweep of the others; it is tried again next minute."""
    try:
        return step(item_id)
    except Exception:
        log.exception("payments sweep: %s(%s) failed; retried next minute", step.__name__, item_id)
        done["failures"] += 1
        return None
