"""A plugin that implements every hook, so each hook can be observed from the outside."""
import click
import mongoengine

import pluggy

from pc_app import hookimpl
from pc_app.toolkit import BaseDocument, Blueprint, EventType, JobSpec, OnboardingStep, RefField, Setting, Subscription

NAME = "hook_probe"
__version__ = "1.0.0"
REQUIRES = {"pc_app": ">=1,<2"}

blp = Blueprint("hook_probe", __name__, url_prefix="/v1/hook-probe")


@blp.route("/hello")
def hello():
    """A route added by pc_register_blueprints."""
    return {"hello": "probe"}


class ProbeThing(BaseDocument):
    meta = {"collection": "hook_probe_things", "indexes": [("partner", "-number"), {"fields": ["code"],
                                                                                     "unique": True}]}
    partner = RefField()
    number = mongoengine.IntField()
    code = mongoengine.StringField()


def tick():
    """The periodic job declared through pc_register_jobs."""


@hookimpl
def pc_config_defaults():
    """Declare HOOK_PROBE_LIMIT (old name PROBE_LIMIT) and HOOK_PROBE_ENABLED."""
    return {"HOOK_PROBE_LIMIT": Setting(3, "int", aliases=("PROBE_LIMIT",)), "HOOK_PROBE_ENABLED": (False, "bool")}


@hookimpl
def pc_register_blueprints(app):
    """Add /v1/hook-probe/hello."""
    return [blp]


@hookimpl
def pc_register_models():
    """Declare ProbeThing."""
    return [ProbeThing]


@hookimpl
def pc_register_jobs():
    """Declare one periodic job."""
    return [JobSpec(id="hook-probe-tick", func=f"{__name__}.tick", interval=60, queue="default")]


@hookimpl
def pc_register_commands(cli):
    """Add `pc-app probe-hello`."""
    @cli.command("probe-hello")
    @click.option("--name", default="world")
    def probe_hello(name):
        """Say hello from the probe plugin."""
        click.echo(f"hello {name} from the probe")


@hookimpl
def pc_onboarding_steps(partner):
    """One step at position 15: the partner has a website."""
    return [OnboardingStep("websiteGiven", bool(partner.website), position=15)]


@hookimpl
def pc_register_events():
    """Declare hook_probe.thing_counted."""
    return [EventType("hook_probe.thing_counted", "The probe counted a thing.", {"count": "how many"})]


def remember_event(event):
    from flask import current_app

    current_app.extensions.setdefault("hook_probe_events", []).append(event.name)


@hookimpl
def pc_register_subscriptions():
    """Hear core.lead_created by name and the probe's own, in-request."""
    return [Subscription("hook_probe.remember", ("core.lead_created", "hook_probe.*"), remember_event)]


class ProbeHooks:
    """The hook the probe owns, for the plugins that require it."""

    @pluggy.HookspecMarker("pc_app")
    def pc_probe_greeting(self, name):
        """Greet someone.

        :param name: who.
        :return: a greeting.
        """


@hookimpl
def pc_add_hookspecs(pm):
    """Offer pc_probe_greeting."""
    pm.add_hookspecs(ProbeHooks)


@hookimpl
def pc_probe_greeting(name):
    """The probe answers its own hook too."""
    return f"hello {name}"


@hookimpl
def pc_app_created(app):
    """Note the routes the finished app has."""
    app.extensions["hook_probe_created"] = sorted(rule.rule for rule in app.url_map.iter_rules())
