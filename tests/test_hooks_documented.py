"""Keep the hooks honest (datasette's idea): each is documented with its signature and has its own test.

"Each hook" is the core's (``pc_app/hookspecs.py``) and every plugin-owned one
(``plugins/<name>/hookspecs.py``, added through ``pc_add_hookspecs``).
"""
import importlib
import inspect
import re
from pathlib import Path

import pytest

from pc_app import hookspecs

ROOT = Path(__file__).resolve().parent.parent
SPEC_MARKER = f"{hookspecs.PROJECT}_spec"


def _specs_of(module) -> dict:
    return {name: func for name, func in vars(module).items()
            if name.startswith("pc_") and callable(func) and hasattr(func, SPEC_MARKER)}


SPECS = _specs_of(hookspecs)
OWNERS = {name: "core" for name in SPECS}
for path in sorted((ROOT / "plugins").glob("*/hookspecs.py")):
    plugin_specs = _specs_of(importlib.import_module(f"plugins.{path.parent.name}.hookspecs"))
    SPECS.update(plugin_specs)
    OWNERS.update({name: path.parent.name for name in plugin_specs})
HOOKS = sorted(SPECS)


def test_the_hooks_are_found():
    assert {"pc_register_subscriptions", "pc_register_blueprints", "pc_add_hookspecs"} <= set(HOOKS)
    assert OWNERS["pc_listing_vetoes"] == "marketplace"


@pytest.mark.parametrize("hook", HOOKS)
def test_hook_is_documented_with_its_signature(hook):
    docs = (ROOT / "docs" / "hooks.md").read_text()
    signature = f"{hook}{inspect.signature(SPECS[hook])}"
    assert re.search(rf"^## {hook}$", docs, re.M), f"docs/hooks.md has no '## {hook}' section"
    assert signature in docs, f"docs/hooks.md does not show the signature {signature}"


@pytest.mark.parametrize("hook", HOOKS)
def test_hook_has_a_test_of_its_own(hook):
    pattern = re.compile(rf"^\s*def test_hook_{hook}\b", re.M)
    found = [path for path in (ROOT / "tests").rglob("test_*.py") if pattern.search(path.read_text())]
    assert found, f"no test named test_hook_{hook} under tests/"


@pytest.mark.parametrize("hook", HOOKS)
def test_hook_spec_says_what_it_receives_and_returns(hook):
    doc = inspect.getdoc(SPECS[hook]) or ""
    summary = doc.split("\n", 1)[0]
    assert summary.endswith(".") and len(summary) > 15, f"{hook} needs a one-line summary sentence"
    for arg in inspect.signature(SPECS[hook]).parameters:
        assert f":param {arg}:" in doc, f"{hook} does not document :param {arg}:"
    returns = re.search(r":return:\s*(\S.*)", doc)
    assert returns, f"{hook} does not say what it returns (:return:)"
