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


def settings_in(text: str) -> list[tuple[str, str, str]]:
    """(name, commented default, the comment line above it) for every setting line."""
    lines = text.splitlines()
    return [(match[1], match[2], lines[i - 1] if i else "")
            for i, line in enumerate(lines) if (match := re.fullmatch(r"#([A-Z][A-Z0-9_]*)=(.*)", line))]


GENERATED_NOTES = ("secret: never commit a real value", "required in production", "at least ")


def test_every_setting_in_env_example_says_what_it_is_for():
    undescribed = [name for name, _, comment in settings_in((REPO / ".env.example").read_text())
                   if not comment.startswith("# ") or comment[2:].startswith(GENERATED_NOTES)]
    assert undescribed == []


def test_every_commented_default_parses_back_to_the_default_through_the_config_validation():
    from pc_app.config import load_config
    from pc_app.plugins import plugin_settings

    app = app_with_every_installed_plugin()
    declared = plugin_settings(app.extensions["pc_plugin_manager"], app.extensions["pc_plugins"])
    defaults = load_config(extra_settings=declared, environ={})
    for name, value, _ in settings_in((REPO / ".env.example").read_text()):
        if name in GUNICORN_SETTINGS or name in app.extensions["pc_secret_settings"]:
            continue  # gunicorn's are not the app's; secrets are listed empty on purpose
        # Uncommenting the line changes nothing: the value is read, validated and equal to the default.
        assert load_config(extra_settings=declared, environ={name: value})[name] == defaults[name], name
