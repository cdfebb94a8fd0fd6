"""Keep the hooks honest (datasette's idea): each is documented with its signature and has its own test."""
import inspect
import re
from pathlib import Path

import pytest

from pc_app import hookspecs

ROOT = Path(__file__).resolve().parent.parent
HOOKS = sorted(name for name, func in vars(hookspecs).items()
               if name.startswith("pc_") and callable(func) and hasattr(func, f"{hookspecs.PROJECT}_spec"))


def test_the_hooks_are_found():
    assert "pc_on_event" in HOOKS and "pc_register_blueprints" in HOOKS


@pytest.mark.parametrize("hook", HOOKS)
def test_hook_is_documented_with_its_signature(hook):
    docs = (ROOT / "docs" / "hooks.md").read_text()
    signature = f"{hook}{inspect.signature(getattr(hookspecs, hook))}"
    assert re.search(rf"^## {hook}$", docs, re.M), f"docs/hooks.md has no '## {hook}' section"
    assert signature in docs, f"docs/hooks.md does not show the signature {signature}"


@pytest.mark.parametrize("hook", HOOKS)
def test_hook_has_a_test_of_its_own(hook):
    pattern = re.compile(rf"^\s*def test_hook_{hook}\b", re.M)
    found = [path for path in (ROOT / "tests").rglob("test_*.py") if pattern.search(path.read_text())]
    assert found, f"no test named test_hook_{hook} under tests/"


@pytest.mark.parametrize("hook", HOOKS)
def test_hook_spec_says_what_it_receives_and_returns(hook):
    func = getattr(hookspecs, hook)
    doc = inspect.getdoc(func) or ""
    for arg in inspect.signature(func).parameters:
        assert f":param {arg}:" in doc, f"{hook} does not document :param {arg}:"
