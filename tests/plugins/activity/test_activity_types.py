"""The hook the activity plugin owns: plugins describe their events; malformed descriptions stop start-up."""
from __future__ import annotations

import pytest

from pc_app.toolkit import new_id

HERE = __name__.rpartition(".")[0]
PROBE = {"describing_probe": f"{HERE}.describing_plugin"}


@pytest.fixture
def app_config(app_config):
    return {**app_config, "PC_PLUGINS": [*app_config["PC_PLUGINS"], "describing_probe"],
            "PC_EXTRA_PLUGINS": {**app_config["PC_EXTRA_PLUGINS"], **PROBE}}


def test_hook_pc_activity_types(client, actors, activities, outbox, seller, buyer):
    seller_member = actors.member(seller.partner)
    payload = {"dealId": new_id(), "leadId": new_id(), "amount": 123456, "currency": "eur",
               "buyerPartnerId": buyer.partner_id, "secretNote": "do not show"}
    activities.emit("probe.deal_closed", [seller.partner_id, buyer.partner_id], payload, actor=f"user:{seller.id}")
    activities.fan_out()

    [sold] = activities.feed(seller)["items"]
    assert sold["sentence"] == f"{seller.user.name} closed a deal worth €1,234.56."
    assert sold["icon"] == "handshake" and sold["subjects"] == [{"type": "deal", "id": payload["dealId"]}]
    assert "secretNote" not in sold["data"]
    [bought] = activities.feed(buyer)["items"]
    assert bought["sentence"] == "You bought a deal worth €1,234.56."
    assert activities.feed(seller_member)["items"] == []  # owners only
    assert sorted(m["to"] for m in outbox()) == sorted([seller.user.email, buyer.user.email])
    prefs = client.get(f"/v1/partners/{seller.partner_id}/notification-preferences", headers=seller.headers)
    [probe] = [t for t in prefs.get_json()["types"] if t["type"] == "probe.deal_closed"]
    assert probe["defaults"] == {"in_app": True, "email": True, "webhook": False}


def test_a_malformed_description_stops_start_up_naming_the_plugin(app_config):
    from pc_app import create_app
    from pc_app.toolkit import ConfigError

    broken = {"broken_probe": f"{HERE}.broken_describing_plugin"}
    with pytest.raises(ConfigError, match=r"Plugin 'broken_probe' describes activity type core.lead_created: "
                                          r"unknown key\(s\) sentense"):
        create_app({**app_config, "PC_PLUGINS": ["activity", "broken_probe"], "PC_EXTRA_PLUGINS": broken})


def test_a_cooperating_plugin_loads_without_the_activity_plugin(app_config):
    from pc_app import create_app

    app = create_app({**app_config, "PC_PLUGINS": ["describing_probe"], "PC_EXTRA_PLUGINS": dict(PROBE)})
    assert "activity_types" not in app.extensions


def test_a_sentence_naming_a_missing_field_falls_back_to_the_catalog(app):
    from plugins.activity.activity_types import ActivityType, money, sentence_for

    spec = ActivityType("x.y_happened", "Y happened.", sentence="{nothing} happened to {price:money}")
    assert sentence_for(spec, {"price": 100}, new_id(), {}) == "Y happened."
    assert money(-150, "chf") == "-1.50 CHF" and money("n/a", "usd") == "n/a"
