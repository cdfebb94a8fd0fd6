"""Plugin discovery, checks and ordering: each broken case stops start-up with one sentence naming the plugin."""
import textwrap

import pytest

from pc_app.plugins import PluginError
from pc_app.testing import EVENT_RECORDER, write_plugin_distribution

from .conftest import throwaway

PLUGINS = ["schema_one", "schema_two", "exploding", "needs_ghost", "wants_core_2", "wants_old_recorder",
           "cycle_a", "cycle_b", "misspelled_hook", "extra_argument", "import_error", "no_metadata", "bad_version",
           "z_base", "a_child"]
EXTRA = {**{name: throwaway(name) for name in PLUGINS}, **EVENT_RECORDER}


def build(app_config, *enabled):
    """An app with exactly these throwaway plugins (every PC_EXTRA_PLUGINS entry is enabled)."""
    from pc_app import create_app

    return create_app({**app_config, "PC_PLUGINS": list(enabled),
                       "PC_EXTRA_PLUGINS": {name: EXTRA[name] for name in enabled if name in EXTRA}})


def refusal(app_config, *enabled) -> str:
    with pytest.raises(PluginError) as refused:
        build(app_config, *enabled)
    message = str(refused.value)
    assert "\n" not in message and message.endswith((".", "?")), message
    return message


# --- refusals -------------------------------------------------------------------------------------

def test_missing_dependency_is_refused_naming_plugin_and_dependency(app_config):
    assert refusal(app_config, "needs_ghost") == \
        "Plugin 'needs_ghost' requires 'ghost', which is not installed or not enabled."


def test_dependency_not_enabled_is_refused(app_config):
    assert refusal(app_config, "a_child") == "Plugin 'a_child' requires 'z_base', which is not installed or not enabled."


def test_incompatible_core_version_is_refused(app_config):
    from pc_app import __version__

    assert refusal(app_config, "wants_core_2") == \
        f"Plugin 'wants_core_2' requires pc_app>=2,<3, but pc_app {__version__} is installed."


def test_incompatible_plugin_version_is_refused(app_config):
    assert refusal(app_config, "event_recorder", "wants_old_recorder") == \
        "Plugin 'wants_old_recorder' requires event_recorder<1, but event_recorder 1.0.0 is installed."


def test_dependency_cycle_is_refused(app_config):
    message = refusal(app_config, "cycle_a", "cycle_b")
    assert message == "Plugin 'cycle_a' is part of a dependency cycle: cycle_a -> cycle_b -> cycle_a."


def test_misspelled_hook_is_refused_with_a_suggestion(app_config):
    assert refusal(app_config, "misspelled_hook") == (
        "Plugin 'misspelled_hook' implements 'pc_register_evnets', which is not a hook the core or its required "
        "plugins offer; did you mean 'pc_register_events'?")


def test_hook_argument_the_hook_never_passes_is_refused(app_config):
    assert refusal(app_config, "extra_argument") == (
        "Plugin 'extra_argument' implements 'pc_onboarding_steps' with argument(s) lead that the hook does not "
        "pass (it passes partner).")


def test_import_error_is_refused_naming_the_plugin_and_cause(app_config):
    message = refusal(app_config, "import_error")
    assert message.startswith("Plugin 'import_error' could not be imported from ")
    assert "No module named 'pc_app_no_such_dependency'" in message


def test_missing_metadata_is_refused(app_config):
    assert refusal(app_config, "no_metadata") == "Plugin 'no_metadata' does not declare __version__, REQUIRES."


def test_invalid_version_is_refused(app_config):
    assert refusal(app_config, "bad_version") == "Plugin 'bad_version' has an invalid version 'one point oh'."


def test_enabled_but_not_installed_is_refused(app_config):
    assert refusal(app_config, "nowhere") == "Plugin 'nowhere' is enabled in PC_PLUGINS but not installed."


def test_check_pending_still_guards_hooks_registered_another_way():
    """The plugin manager's own check catches what the early check cannot see."""
    import pluggy

    from pc_app import hookspecs

    pm = pluggy.PluginManager(hookspecs.PROJECT)
    pm.add_hookspecs(hookspecs)

    class Sneaky:
        @hookspecs.hookimpl
        def pc_unknown_thing(self):
            pass

    pm.register(Sneaky())
    with pytest.raises(pluggy.PluginValidationError):
        pm.check_pending()


# --- ordering, listing, side by side ---------------------------------------------------------

def test_plugins_are_ordered_by_dependency_and_listed(app_config):
    app = build(app_config, "a_child", "z_base", "exploding")
    listed = app.test_client().get("/v1/plugins").get_json()
    assert [p["name"] for p in listed] == ["z_base", "a_child", "exploding"]
    assert listed[0] == {"name": "z_base", "version": "2.1.0", "requires": {"pc_app": ">=1,<2"}, "blueprints": []}
    assert listed[2]["blueprints"] == ["exploding"]
    assert listed[1]["requires"] == {"pc_app": ">=1,<2", "z_base": ">=2"}


def test_listeners_run_in_dependency_order(app_config):
    from pc_app.events import emit

    app = build(app_config, "a_child", "z_base")
    with app.app_context():
        emit("z_base.something_happened")
    assert app.extensions["listener_order"] == ["z_base", "a_child"]


def test_two_apps_with_different_plugin_sets_live_side_by_side(app_config):
    from pc_app.events import emit

    recording = build(app_config, "event_recorder")
    exploding = build(app_config, "exploding")
    assert recording.extensions["pc_plugin_manager"] is not exploding.extensions["pc_plugin_manager"]
    assert recording.test_client().get("/v1/exploding").status_code == 404
    assert exploding.test_client().get("/v1/exploding").status_code == 500
    assert [p["name"] for p in recording.test_client().get("/v1/plugins").get_json()] == ["event_recorder"]
    assert [p["name"] for p in exploding.test_client().get("/v1/plugins").get_json()] == ["exploding"]
    with exploding.app_context():
        emit("core.lead_created", payload={"leadId": "x" * 24})
    with recording.app_context():
        emit("core.lead_deleted", payload={"leadId": "y" * 24})
    assert [e.name for e in recording.extensions["recorded_events"]] == ["core.lead_deleted"]
    assert "recorded_events" not in exploding.extensions


def test_schemas_of_the_same_name_in_two_plugins_do_not_collide(app_config):
    app = build(app_config, "schema_one", "schema_two")
    client = app.test_client()
    schemas = client.get("/openapi.json").get_json()["components"]["schemas"]
    assert set(schemas["SchemaOneThing"]["properties"]) == {"one"}
    assert set(schemas["SchemaTwoThing"]["properties"]) == {"two"}
    assert "Thing" not in schemas and "Lead" in schemas
    assert client.get("/v1/schema-two/thing").get_json() == {"two": "two"}


def test_the_shipped_plugins_are_discovered_through_entry_points():
    from pc_app.plugins import discover

    found = discover()
    for name in ("registration", "hubspot", "marketplace"):
        assert found[name] == f"plugins.{name}.plugin"


# --- a plugin shipped as its own distribution ---------------------------------------------------

PROBE_PLUGIN = textwrap.dedent('''\
        """Hook implementations of the probe plugin."""
        from pc_app import hookimpl
        from pc_app.api import Blueprint

        blp = Blueprint("probe", __name__, url_prefix="/v1/probe")
        HEARD = []


        @blp.route("/ping")
        def ping():
            """Answer from the plugin."""
            return {"pong": True}


        @hookimpl
        def pc_register_blueprints(app):
            """Add the probe route."""
            return [blp]


        def remember(event):
            HEARD.append(event.name)


        @hookimpl
        def pc_register_subscriptions():
            """Remember core events."""
            from pc_app.toolkit import Subscription

            return [Subscription("probe.remember", "core.*", remember)]
''')


def test_plugin_distribution_is_discovered_by_entry_point_adds_a_route_and_hears_events(
        app_config, tmp_path, monkeypatch):
    import sys

    from pc_app import create_app
    from pc_app.events import emit
    from pc_app.plugins import discover

    write_plugin_distribution(tmp_path, "probe", version="1.0", plugin_source=PROBE_PLUGIN)
    monkeypatch.syspath_prepend(str(tmp_path))
    try:
        assert discover()["probe"] == "pc_probe_plugin.plugin"
        config = {key: value for key, value in app_config.items() if key != "PC_EXTRA_PLUGINS"}
        app = create_app({**config, "PC_PLUGINS": "probe"})
        client = app.test_client()
        assert client.get("/v1/probe/ping").get_json() == {"pong": True}
        assert client.get("/v1/plugins").get_json() == [
            {"name": "probe", "version": "1.0", "requires": {"pc_app": ">=1,<2"}, "blueprints": ["probe"]}]
        assert "/v1/probe/ping" in client.get("/openapi.json").get_json()["paths"]
        with app.app_context():
            emit("core.lead_created", payload={"leadId": "x" * 24})
        assert sys.modules["pc_probe_plugin.plugin"].HEARD == ["core.lead_created"]
    finally:
        for name in ("pc_probe_plugin", "pc_probe_plugin.plugin"):
            sys.modules.pop(name, None)
