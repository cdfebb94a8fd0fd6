"""Events become daily rollups through the durable subscription, exactly once though delivered at least once."""
import threading

from .conftest import at


def test_a_sale_adds_to_the_seller_the_buyer_and_the_marketplace_on_its_own_day(script, actors, rollup):
    seller, buyer = actors.partner(), actors.partner()
    listing = script.list(at("2026-11-02", "09:00"), seller.id, 10_000, industry="fintech")
    reservation = script.reserve(at("2026-11-03"), listing, buyer.id)
    script.purchase(at("2026-11-04", "15:30"), listing, buyer.id, reservation)
    assert script.fold() == 3

    assert rollup(f"p:{seller.id}:2026-11-02") == {"listed": 1}
    assert rollup(f"p:{seller.id}:2026-11-03") == {"reservationsReceived": 1}
    # Listed Monday 09:00, sold Wednesday 15:30: 54.5 hours, counted in the 54-hour bucket.
    assert rollup(f"p:{seller.id}:2026-11-04") == {"sold": 1, "salesAmount": 10_000, "salesFee": 2_000,
                                                  "salesPayout": 8_000, "tts:54": 1}
    assert rollup(f"p:{buyer.id}:2026-11-03") == {"reserved": 1}
    assert rollup(f"p:{buyer.id}:2026-11-04") == {"purchased": 1, "spent": 10_000}
    assert rollup("m:2026-11-02") == {"listed": 1, "ind:fintech:listed": 1}
    assert rollup("m:2026-11-04") == {"transactions": 1, "gmv": 10_000, "platformFee": 2_000, "sellerPayout": 8_000,
                                      "ind:fintech:transactions": 1, "ind:fintech:gmv": 10_000, "tts:54": 1,
                                      # the leaders, kept in the marketplace's rollup
                                      f"sel:{seller.id}:sales": 1, f"sel:{seller.id}:gmv": 10_000,
                                      f"sel:{seller.id}:revenue": 8_000, f"buy:{buyer.id}:purchases": 1,
                                      f"buy:{buyer.id}:spend": 10_000}


def test_a_refund_subtracts_on_the_refunds_day_and_leaves_the_sales_day_alone(script, actors, rollup):
    seller, buyer = actors.partner(), actors.partner()
    listing = script.list(at("2026-11-02"), seller.id, 5_000, industry=None)
    purchase = script.purchase(at("2026-11-03"), listing, buyer.id, script.reserve(at("2026-11-03"), listing, buyer.id))
    script.fold()
    sale_day = rollup("m:2026-11-03")
    script.refund(at("2026-11-20"), purchase)
    script.fold()
    assert rollup("m:2026-11-03") == sale_day
    assert rollup("m:2026-11-20") == {"refunds": 1, "refundedGmv": 5_000, "refundedFee": 1_000,
                                      "refundedPayout": 4_000, "ind:unknown:refunds": 1,
                                      "ind:unknown:refundedGmv": 5_000, f"sel:{seller.id}:refunds": 1,
                                      f"sel:{seller.id}:gmv": -5_000, f"sel:{seller.id}:revenue": -4_000,
                                      f"buy:{buyer.id}:refunds": 1, f"buy:{buyer.id}:spend": -5_000}
    assert rollup(f"p:{seller.id}:2026-11-20") == {"salesRefunded": 1, "refundedSalesAmount": 5_000,
                                                   "refundedSalesFee": 1_000, "refundedPayout": 4_000}
    assert rollup(f"p:{buyer.id}:2026-11-20") == {"purchasesRefunded": 1, "refundedSpend": 5_000}


def test_views_count_for_the_seller_and_the_viewer_and_first_views_as_unique(script, actors, rollup):
    seller, buyer = actors.partner(), actors.partner()
    listing = script.list(at("2026-11-02"), seller.id, 5_000)
    script.view(at("2026-11-02", "10:00"), listing, buyer.id, first=True)
    script.view(at("2026-11-02", "11:00"), listing, buyer.id, first=False)
    script.fold()
    assert rollup(f"p:{seller.id}:2026-11-02") == {"listed": 1, "views": 2, "uniqueViewers": 1}
    assert rollup(f"p:{buyer.id}:2026-11-02") == {"viewsMade": 2}


def test_sync_registration_and_money_in_another_currency(script, actors, rollup):
    seller, buyer = actors.partner(), actors.partner()
    script.synced(at("2026-11-02"), seller.id, created=3, updated=2, pulled=1, conflicts=1)
    script.registered(at("2026-11-02"), buyer.id)
    script.activated(at("2026-11-02"), buyer.id)
    listing = script.list(at("2026-11-02"), seller.id, 5_000)
    script.purchase(at("2026-11-02"), listing, buyer.id, "0" * 24, currency="eur")
    script.fold()
    assert rollup(f"p:{seller.id}:2026-11-02") == {"syncTasks": 1, "leadsSynced": 6, "syncConflicts": 1,
                                                   "listed": 1, "sold": 1, "otherCurrency": 1, "tts:0": 1}
    market = rollup("m:2026-11-02")
    assert market["partnersRegistered"] == 1 and market["partnersActivated"] == 1
    # Euros are counted as a sale but never added to dollar sums.
    assert market["transactions"] == 1 and market["otherCurrency"] == 1 and "gmv" not in market


def _stored(app, event_id):
    from pc_app.event_delivery import StoredEvent

    with app.app_context():
        return StoredEvent._get_collection().find_one({"_id": event_id})


def test_an_event_delivered_twice_counts_once(app, script, actors, rollup, jobs):
    from pc_app.event_delivery import deliver_event, delivery_key
    from pc_app.jobs import enqueue

    seller, buyer = actors.partner(), actors.partner()
    listing = script.list(at("2026-11-02"), seller.id, 5_000)
    sale = script.purchase(at("2026-11-02"), listing, buyer.id, "0" * 24)
    script.fold()
    before = {doc: rollup(doc) for doc in ("m:2026-11-02", f"p:{seller.id}:2026-11-02", f"p:{buyer.id}:2026-11-02")}
    event_id = script.emitted[-1].id
    key = delivery_key("analytics.fold_events")
    assert _stored(app, event_id)["deliveries"][key]["status"] == "delivered"

    # At least once: the same stored event is delivered again (as after a worker died before recording it).
    with app.app_context():
        from pc_app.event_delivery import StoredEvent
        StoredEvent._get_collection().update_one({"_id": event_id}, {
            "$set": {f"deliveries.{key}.status": "pending", f"deliveries.{key}.due_ms": 0},
            "$inc": {"open_deliveries": 1}})
        enqueue(deliver_event, event_id)
    assert jobs.run() == 1
    assert _stored(app, event_id)["deliveries"][key]["status"] == "delivered"
    assert {doc: rollup(doc) for doc in before} == before
    assert before["m:2026-11-02"]["gmv"] == sale.amount


def test_a_fold_interrupted_half_way_finishes_without_counting_anything_twice(app, script, actors, rollup):
    from plugins.analytics.models import Fact
    from plugins.analytics.services.folding import add_to_rollups, fold

    seller, buyer = actors.partner(), actors.partner()
    listing = script.list(at("2026-11-02"), seller.id, 5_000)
    script.fold()
    script.purchase(at("2026-11-02"), listing, buyer.id, "0" * 24)
    event = script.emitted[-1]
    with app.app_context():
        # A worker recorded the fact, added to one rollup, then died (its claim has expired).
        fold_parts = _parts_of(event)
        Fact._get_collection().insert_one({"_id": event.id, "name": event.name, "day": "2026-11-02",
                                           "occurred_ms": 0, "status": "pending", "contributions": fold_parts,
                                           "owner": "a" * 24, "lease_ms": 0})
        first = fold_parts[0]
        assert add_to_rollups(event.id, [first]) == 1
        assert fold(event) is True            # the redelivery finishes the job
        assert fold(event) is False           # and a third delivery changes nothing
        fact = Fact._get_collection().find_one({"_id": event.id})
    assert fact["status"] == "applied"
    assert rollup(f"p:{seller.id}:2026-11-02") == {"listed": 1, "sold": 1, "salesAmount": 5_000, "salesFee": 1_000,
                                                   "salesPayout": 4_000, "tts:0": 1}
    assert rollup(f"p:{buyer.id}:2026-11-02") == {"purchased": 1, "spent": 5_000}
    assert rollup("m:2026-11-02")["gmv"] == 5_000
    with app.app_context():
        from plugins.analytics.models import Rollup
        assert all(not doc.get("inflight") for doc in Rollup._get_collection().find())


def _parts_of(event):
    from plugins.analytics.services.contributions import contributions_of

    return [{"doc": doc, "inc": inc} for doc, inc in sorted(contributions_of(event, "usd").items())]


def _race(app, target, parties=2):
    barrier = threading.Barrier(parties)
    results, errors = [], []

    def run(i):
        with app.app_context():
            barrier.wait()
            try:
                results.append(target(i))
            except Exception as exc:  # surfaced below
                errors.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(parties)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(15)
    assert not errors, errors
    return results


def test_two_workers_folding_the_same_event_at_once_count_it_once(app, script, actors, rollup, db_latency):
    from plugins.analytics.services.folding import FoldInProgress, fold

    seller, buyer = actors.partner(), actors.partner()
    listing = script.list(at("2026-11-02"), seller.id, 5_000)
    script.fold()
    script.purchase(at("2026-11-02"), listing, buyer.id, "0" * 24)
    event = script.emitted[-1]
    # Both workers record the fact at the same moment. The winner waits before marking it applied,
    # so the loser reads it as pending; the loser gets that answer only after the winner has
    # finished (and cleaned up): it must not add what it read as still pending.
    both = db_latency.rendezvous("insert", "analytics_facts", parties=2, when="before")
    db_latency.delay("update", "analytics_facts", 0.5, when="before")
    db_latency.delay("find", "analytics_facts", 1.5)

    def fold_or_busy(_i):
        try:
            return fold(event)
        except FoldInProgress:
            return "busy"
    results = _race(app, fold_or_busy)
    assert both.met and sorted(results, key=str) == [True, "busy"]
    assert rollup("m:2026-11-02")["transactions"] == 1
    assert rollup(f"p:{seller.id}:2026-11-02")["sold"] == 1
    assert rollup(f"p:{buyer.id}:2026-11-02") == {"purchased": 1, "spent": 5_000}


def test_a_fold_whose_worker_died_is_taken_over_once_its_claim_expires(app, script, actors, rollup):
    from plugins.analytics.models import Fact
    from plugins.analytics.services.folding import FoldInProgress, add_to_rollups, fold

    seller, buyer = actors.partner(), actors.partner()
    listing = script.list(at("2026-11-02"), seller.id, 5_000)
    script.fold()
    script.purchase(at("2026-11-02"), listing, buyer.id, "0" * 24)
    event = script.emitted[-1]
    parts = _parts_of(event)
    with app.app_context():
        Fact._get_collection().insert_one({"_id": event.id, "name": event.name, "day": "2026-11-02",
                                           "occurred_ms": 0, "status": "pending", "contributions": parts,
                                           "owner": "a" * 24, "lease_ms": 2 ** 62})
        add_to_rollups(event.id, parts[:1])
        try:
            fold(event)
            raise AssertionError("a live claim must hold other workers off")
        except FoldInProgress:
            pass
        Fact._get_collection().update_one({"_id": event.id}, {"$set": {"lease_ms": 0}})  # the worker died
        assert fold(event) is True
    assert rollup(f"p:{buyer.id}:2026-11-02") == {"purchased": 1, "spent": 5_000}
    assert rollup("m:2026-11-02")["transactions"] == 1 and rollup(f"p:{seller.id}:2026-11-02")["sold"] == 1


def test_two_events_creating_the_same_days_rollup_at_once_both_count(app, script, actors, rollup, db_latency):
    from plugins.analytics.services.folding import fold

    seller = actors.partner()
    first = script.list(at("2026-11-02"), seller.id, 5_000)
    second = script.list(at("2026-11-02"), seller.id, 7_000)
    events = script.emitted[-2:]
    both = db_latency.rendezvous("update", "analytics_rollups", parties=2, when="before")
    assert _race(app, lambda i: fold(events[i])) == [True, True]
    assert both.met and first.id != second.id
    assert rollup(f"p:{seller.id}:2026-11-02") == {"listed": 2}
    assert rollup("m:2026-11-02") == {"listed": 2, "ind:saas:listed": 2}
