"""Every enabled plugin hears every event; one failing listener harms nobody and is logged."""
import logging

import pytest

from pc_app.events import emit

from .conftest import QUIET_PLUGIN
from .event_plugins import heard

LISTENERS = {name: f"tests.runtime.event_plugins.{module}" for name, module in
             [("listener_first", "first"), ("listener_broken", "broken"), ("listener_last", "last")]}


@pytest.fixture
def app_config(app_config):
    return {**app_config, "PC_PLUGINS": list(LISTENERS), "PC_EXTRA_PLUGINS": {**QUIET_PLUGIN, **LISTENERS}}


def test_event_reaches_every_enabled_plugin_once(app_ctx):
    event = emit("runtime.thing_happened", partner_ids=["p1", None, "p2"], actor="system", payload={"n": 1})

    assert sorted(heard(app_ctx)) == [f"listener_first:runtime.thing_happened:{event.id}",
                                      f"listener_last:runtime.thing_happened:{event.id}"]
    assert event.partner_ids == ("p1", "p2")
    assert event.as_dict()["occurredAt"].endswith("+00:00")


def test_disabled_plugin_hears_nothing(app, app_config):
    from pc_app import create_app

    app = create_app({**app_config, "PC_PLUGINS": ["listener_last"],
                      "PC_EXTRA_PLUGINS": {"listener_last": LISTENERS["listener_last"]}})
    with app.app_context():
        event = emit("runtime.thing_happened")
    assert heard(app) == [f"listener_last:runtime.thing_happened:{event.id}"]


def test_failing_listener_neither_breaks_the_request_nor_the_other_listeners(client, app, actors, caplog):
    seller = actors.partner_owner()
    caplog.set_level(logging.ERROR, logger="pc_app.events")

    response = client.post("/v1/leads", headers=seller.headers,
                           json={"firstName": "Ada", "lastName": "Lovelace", "email": "ada@example.com"})

    assert response.status_code == 201, response.get_json()
    heard_now = heard(app)
    assert [entry.split(":")[0] for entry in sorted(heard_now)] == ["listener_first", "listener_last"]
    event_id = heard_now[0].rsplit(":", 1)[1]
    failures = [r for r in caplog.records if r.name == "pc_app.events"]
    assert len(failures) == 1
    assert "listener_broken" in failures[0].getMessage() and event_id in failures[0].getMessage()
    assert failures[0].exc_info is not None
