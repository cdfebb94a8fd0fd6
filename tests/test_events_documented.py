"""docs/events.md is the event catalog of every installed plugin, as generated; an emitted event is declared."""
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_events_page_is_the_catalog(app_config):
    from pc_app import create_app
    from pc_app.events import events_markdown

    app = create_app({**app_config, "PC_PLUGINS": []})  # every installed plugin
    expected = events_markdown(app)
    assert (ROOT / "docs" / "events.md").read_text() == expected, (
        "docs/events.md is out of date: run `pc-app events --markdown > docs/events.md`")


def test_every_emitted_event_name_is_declared(app_config):
    """Static check: each ``emit("<name>"`` in the code names an event of the catalog."""
    from pc_app import create_app

    app = create_app({**app_config, "PC_PLUGINS": []})
    declared = set(app.extensions["pc_events"].types)
    emitted = set()
    for path in [*ROOT.glob("pc_app/**/*.py"), *ROOT.glob("plugins/**/*.py")]:
        emitted.update(re.findall(r"""\bemit\(\s*["']([a-z_]+\.[a-z_]+)["']""", path.read_text()))
    assert emitted, "no emit() found: the pattern is wrong"
    assert emitted <= declared, f"emitted but not declared: {sorted(emitted - declared)}"
