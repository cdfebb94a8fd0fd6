"""Services take one actor form: a parameter named ``actor`` anywhere in the core or a plugin is an ``Actor``."""
from __future__ import annotations

import ast
import pickle
from pathlib import Path

import pytest

from pc_app.actors import HUBSPOT, SYSTEM, Actor, as_actor

ROOT = Path(__file__).resolve().parents[1]


def actor_parameters():
    for path in sorted([*ROOT.glob("pc_app/**/*.py"), *ROOT.glob("plugins/**/*.py")]):
        if "sandboxes" in path.parts or path.name in ("testing.py", "fuzzing.py"):
            continue  # stand-ins for HubSpot and Stripe, and the test kit's signed-in people: not services
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                for arg in [*node.args.args, *node.args.kwonlyargs]:
                    if arg.arg == "actor":
                        annotation = ast.unparse(arg.annotation) if arg.annotation else None
                        yield f"{path.relative_to(ROOT)}:{node.name}", annotation


def test_every_actor_parameter_is_typed_actor():
    found = dict(actor_parameters())
    assert len(found) > 40  # the scan sees the services
    assert {where: annotation for where, annotation in found.items()
            if annotation not in ("Actor", "Actor | None")} == {}


def test_no_service_spells_an_actor_by_hand():
    # "user:<id>" is made in one place (Actor.of_user); everywhere else passes the Actor.
    spelled = [str(path.relative_to(ROOT)) for path in [*ROOT.glob("pc_app/**/*.py"), *ROOT.glob("plugins/**/*.py")]
               if 'f"user:{' in path.read_text() and path.name != "actors.py"]
    assert spelled == []


def test_an_actor_is_its_stored_form_and_survives_a_job_queue():
    person = Actor.of_user("5f1d0c0e8b3e4a0012345678")
    assert person == "user:5f1d0c0e8b3e4a0012345678" and person.is_user and person.user_id.startswith("5f1d")
    assert (SYSTEM.kind, SYSTEM.user_id, HUBSPOT.is_user) == ("system", None, False)
    assert pickle.loads(pickle.dumps(person)) == person and type(pickle.loads(pickle.dumps(person))) is Actor
    assert as_actor("stripe") == "stripe" and isinstance(as_actor("stripe"), Actor)


@pytest.mark.parametrize("text", ["", "user:", "someone", "User:1", "system "])
def test_an_unknown_actor_is_refused_where_it_is_made(text):
    with pytest.raises(ValueError):
        Actor(text)
