"""Expiry and reminders: a job at ``expiresAt`` and a sweeper every minute, both idempotent; one relist, one event."""
from __future__ import annotations

import time

from rq.registry import ScheduledJobRegistry

from plugins.payments import jobs as payment_jobs

SHORT_HOURS = 0.0003  # 1.08 s: expiry can be watched without long sleeps (time enough to start a payment)
TINY_HOURS = 0.0001   # 0.36 s: for holds nobody acts on before they end


def _scheduled(app) -> dict:
    from pc_app.toolkit import get_queue

    with app.app_context():
        registry = ScheduledJobRegistry(queue=get_queue("default"))
        return {job_id: registry.get_scheduled_time(job_id) for job_id in registry.get_job_ids()}


def test_reserving_schedules_the_expiry_job_extending_moves_it_cancelling_removes_it(shop, seller, buyer, app,
                                                                                     client):
    reservation = shop.reserved(buyer, shop.listed(seller))
    job_id = f"payments-expire-{reservation['id']}"
    first = _scheduled(app)[job_id]
    client.patch(f"/v1/marketplace/reservations/{reservation['id']}/extend", headers=buyer.headers)
    moved = _scheduled(app)[job_id]
    assert 168 * 3600 - 2 <= (moved - first).total_seconds() <= 168 * 3600 + 2
    client.delete(f"/v1/marketplace/reservations/{reservation['id']}", headers=buyer.headers)
    assert job_id not in _scheduled(app)


def test_expiry_by_job_run_twice_relists_once_and_tells_the_buyer_once(shop, seller, buyer, app, client, events):
    app.config["PAYMENTS_RESERVATION_HOURS"] = TINY_HOURS
    listing = shop.listed(seller)
    reservation = shop.reserved(buyer, listing)
    assert shop.run_in_app(payment_jobs.expire_reservation, reservation["id"]) is False  # not yet due
    shop.wait_past(reservation)
    assert shop.run_in_app(payment_jobs.expire_reservation, reservation["id"]) is True
    assert shop.run_in_app(payment_jobs.expire_reservation, reservation["id"]) is False
    assert client.get(f"/v1/marketplace/reservations/{reservation['id']}",
                      headers=buyer.headers).get_json()["status"] == "expired"
    assert client.get("/v1/marketplace/leads", headers=buyer.headers).get_json()["total"] == 1
    [expired] = events.named("payments.reservation_expired")
    assert set(expired.partner_ids) == {buyer.partner_id, seller.partner_id}
    assert expired.payload["reservationId"] == reservation["id"]
    assert shop.reserve(shop.buyer(), listing["leadId"]).status_code == 201


def test_expiry_by_sweeper_run_twice_relists_once(shop, seller, buyer, app, client, events):
    app.config["PAYMENTS_RESERVATION_HOURS"] = TINY_HOURS
    listing = shop.listed(seller)
    reservation = shop.reserved(buyer, listing)
    shop.wait_past(reservation)
    first = shop.run_in_app(payment_jobs.sweep)
    second = shop.run_in_app(payment_jobs.sweep)
    assert first["expired"] == 1 and second["expired"] == 0
    assert len(events.named("payments.reservation_expired")) == 1
    assert client.get("/v1/marketplace/leads", headers=buyer.headers).get_json()["total"] == 1
    # The job arriving after the sweeper finds nothing to do.
    assert shop.run_in_app(payment_jobs.expire_reservation, reservation["id"]) is False
    assert len(events.named("payments.reservation_expired")) == 1


def test_the_sweeper_is_a_periodic_job_every_minute(app):
    from pc_app.jobs import registered_job_specs

    spec = registered_job_specs(app)["payments.sweep_reservations"]
    assert spec.interval == 60 and spec.func == "plugins.payments.jobs.sweep"


def test_expired_reservation_cannot_be_extended_or_bought(shop, seller, buyer, app, client):
    app.config["PAYMENTS_RESERVATION_HOURS"] = TINY_HOURS
    reservation = shop.reserved(buyer, shop.listed(seller))
    shop.wait_past(reservation)  # lapsed, not yet swept: still refused
    response = client.patch(f"/v1/marketplace/reservations/{reservation['id']}/extend", headers=buyer.headers)
    assert response.status_code == 409 and "reservationNotActive" in response.get_json()["errors"]
    response = shop.buy(buyer, reservation["id"])
    assert response.status_code == 409 and "reservationNotActive" in response.get_json()["errors"]
    assert shop.intents() == []


def test_the_buyer_is_reminded_once_before_the_end_and_again_after_an_extension(shop, seller, buyer, app, client,
                                                                                events):
    app.config.update(PAYMENTS_RESERVATION_HOURS=0.002, PAYMENTS_REMINDER_HOURS=0.0018, PAYMENTS_EXTENSION_HOURS=0.002)
    reservation = shop.reserved(buyer, shop.listed(seller))  # 7.2 s hold, reminder due after 0.72 s
    assert f"payments-remind-{reservation['id']}" in _scheduled(app)
    time.sleep(0.8)
    assert shop.run_in_app(payment_jobs.remind_reservation, reservation["id"]) is True
    assert shop.run_in_app(payment_jobs.remind_reservation, reservation["id"]) is False
    assert shop.run_in_app(payment_jobs.sweep)["reminded"] == 0
    [reminder] = events.named("payments.reservation_expiring")
    assert reminder.partner_ids == (buyer.partner_id,) and reminder.payload["expiresAt"] == reservation["expiresAt"]
    client.patch(f"/v1/marketplace/reservations/{reservation['id']}/extend", headers=buyer.headers)
    assert shop.run_in_app(payment_jobs.remind_reservation, reservation["id"]) is False  # re-armed for later
    assert len(events.named("payments.reservation_expiring")) == 1


def test_a_hold_shorter_than_the_reminder_lead_time_gets_no_reminder(shop, seller, buyer, app):
    app.config["PAYMENTS_RESERVATION_HOURS"] = SHORT_HOURS
    reservation = shop.reserved(buyer, shop.listed(seller))
    assert f"payments-remind-{reservation['id']}" not in _scheduled(app)


def test_a_late_release_of_an_old_hold_never_frees_the_same_buyers_new_one(shop, seller, buyer, app, client):
    from plugins.payments.models import Reservation
    from plugins.payments.services import reservations

    app.config["PAYMENTS_RESERVATION_HOURS"] = TINY_HOURS
    listing = shop.listed(seller)
    old = shop.reserved(buyer, listing)
    shop.wait_past(old)
    assert shop.run_in_app(payment_jobs.expire_reservation, old["id"]) is True
    app.config["PAYMENTS_RESERVATION_HOURS"] = 168.0
    new = shop.reserved(buyer, listing)
    with app.app_context():  # a retry of the old release (say, after a crash before it was recorded)
        Reservation.objects(id=old["id"]).update_one(set__listing_released=False)
        assert reservations.release_listing(Reservation.objects(id=old["id"]).first(), "system") is True
    mine = client.get("/v1/marketplace/my-listings", headers=seller.headers).get_json()["items"][0]
    assert mine["status"] == "reserved"
    assert client.get(f"/v1/marketplace/reservations/{new['id']}", headers=buyer.headers).get_json()["status"] == \
        "active"


def test_a_hold_left_without_its_reservation_by_a_crash_is_released_by_the_sweeper(shop, seller, buyer, app, client):
    from pc_app.toolkit import new_id
    from plugins.marketplace import services as marketplace
    from plugins.payments.services import reservations
    from plugins.payments.services.clock import from_ms, now_ms

    listing = shop.listed(seller)
    with app.app_context():  # the listing was reserved, then the process died before the reservation was written
        marketplace.mark_lead_reserved(listing["leadId"], buyer.partner_id, from_ms(now_ms() - 60_000),
                                       hold_id=new_id())
        assert reservations.sweep()["orphansRelisted"] == 1
        assert reservations.sweep()["orphansRelisted"] == 0
    assert client.get("/v1/marketplace/leads", headers=buyer.headers).get_json()["total"] == 1


def test_an_expiry_job_that_runs_early_schedules_itself_again(shop, seller, buyer, app):
    reservation = shop.reserved(buyer, shop.listed(seller))
    assert shop.run_in_app(payment_jobs.expire_reservation, reservation["id"]) is False
    again = [job_id for job_id in _scheduled(app) if job_id.startswith(f"payments-expire-{reservation['id']}-")]
    assert len(again) == 1
    assert _scheduled(app)[again[0]].timestamp() >= _scheduled(app)[f"payments-expire-{reservation['id']}"].timestamp()


def test_a_reservation_with_a_payment_in_flight_does_not_expire_under_it(shop, seller, buyer, app, client):
    app.config["PAYMENTS_RESERVATION_HOURS"] = SHORT_HOURS
    reservation = shop.reserved(buyer, shop.listed(seller))
    assert shop.buy(buyer, reservation["id"], "pm_card_authenticationRequired").status_code == 202
    shop.wait_past(reservation)
    assert shop.run_in_app(payment_jobs.expire_reservation, reservation["id"]) is False
    assert shop.run_in_app(payment_jobs.sweep)["expired"] == 0
    held = client.get(f"/v1/marketplace/reservations/{reservation['id']}", headers=buyer.headers).get_json()
    assert held["status"] == "active" and held["paymentInProgress"] is True
    cancel = client.delete(f"/v1/marketplace/reservations/{reservation['id']}", headers=buyer.headers)
    assert cancel.status_code == 409 and "paymentInProgress" in cancel.get_json()["errors"]
    # The expiry comes back when the payment's hold ends.
    later = [job_id for job_id in _scheduled(app) if job_id.startswith(f"payments-expire-{reservation['id']}-")]
    assert len(later) == 1
