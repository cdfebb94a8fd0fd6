""".env.example names every setting the core and the installed plugins read, with its default, and no secret."""
import re
from pathlib import Path

from pc_app import create_app
from pc_app.env_example import GUNICORN_SETTINGS, render_env_example

REPO = Path(__file__).resolve().parents[2]


def app_with_every_installed_plugin():
    return create_app({"PC_PLUGINS": [], "PC_ENV": "test"})


def names_in(text: str) -> list[str]:
    return re.findall(r"^#?([A-Z][A-Z0-9_]*)=", text, re.MULTILINE)


def test_env_example_is_generated_from_the_declared_settings():
    assert (REPO / ".env.example").read_text() == render_env_example(app_with_every_installed_plugin()), \
        "regenerate it: PC_PLUGINS= .venv/bin/pc-app env-example > .env.example"


def test_env_example_names_every_setting_once_and_gunicorns_too():
    from pc_app.config import CORE_SETTINGS
    from pc_app.plugins import plugin_settings

    app = app_with_every_installed_plugin()
    declared = set(CORE_SETTINGS) | set(plugin_settings(app.extensions["pc_plugin_manager"],
                                                        app.extensions["pc_plugins"]))
    names = names_in((REPO / ".env.example").read_text())
    assert len(names) == len(set(names))
    gunicorn_reads = set(re.findall(r"os\.environ\.get\([\"']([A-Z_]+)[\"']", (REPO / "gunicorn.conf.py").read_text()))
    gunicorn_reads.discard("PC_PLUGINS")  # an app setting gunicorn reads to check the plugins early
    assert gunicorn_reads <= set(names)
    assert set(names) == declared | set(GUNICORN_SETTINGS)


def test_env_example_holds_no_secret_value_and_sourcing_it_changes_nothing():
    app = app_with_every_installed_plugin()
    text = (REPO / ".env.example").read_text()
    for name in app.extensions["pc_secret_settings"]:
        assert re.search(rf"^#{name}=$", text, re.MULTILINE), f"{name} must be listed empty"
    assert all(line.startswith("#") for line in text.splitlines() if line.strip())  # every line commented
