"""A plugin that implements every hook, so each hook can be observed from the outside."""
import click
import mongoengine

from pc_app import hookimpl
from pc_app.api import Blueprint
from pc_app.db import BaseDocument, RefField
from pc_app.jobs import JobSpec

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
    """Declare PROBE_LIMIT and PROBE_ENABLED."""
    return {"PROBE_LIMIT": (3, "int"), "PROBE_ENABLED": (False, "bool")}


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
    """One step: the partner has a website."""
    return [("websiteGiven", bool(partner.website))]


@hookimpl
def pc_listing_vetoes(partner, lead):
    """Refuse leads without a phone number."""
    return [] if lead.phone else [("phoneRequired", "Leads need a phone number before they can be listed.")]


@hookimpl
def pc_buyer_relationship(listing, partner):
    """Claim a purchase when the listing names the partner as its buyer."""
    return "purchased" if getattr(listing, "buyer", None) == partner.id else None


@hookimpl
def pc_on_event(app, event):
    """Count events on the app."""
    app.extensions.setdefault("hook_probe_events", []).append(event.name)


@hookimpl
def pc_app_created(app):
    """Note the routes the finished app has."""
    app.extensions["hook_probe_created"] = sorted(rule.rule for rule in app.url_map.iter_rules())
