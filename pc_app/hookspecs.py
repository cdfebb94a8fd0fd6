"""Every hook the core offers to plugins; implementations use ``pc_app.hookimpl``."""
import pluggy

PROJECT = "pc_app"

hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


@hookspec
def pc_config_defaults():
    """Declare the plugin's settings (called once, before the settings are loaded).

    :return: a dict ``{NAME: (default, kind)}`` with kind one of ``str``, ``int``, ``bool``,
        ``list``; each is read from the environment like the core's settings and lands in
        ``app.config[NAME]``.
    """


@hookspec
def pc_register_blueprints(app):
    """Register HTTP routes.

    :param app: the Flask app being built.
    :return: a list of flask-smorest ``Blueprint`` objects; the core registers them.
    """


@hookspec
def pc_register_models():
    """Declare the mongoengine documents the plugin owns.

    :return: a list of ``Document`` classes (``pc_app.db.BaseDocument``); the core collects
        them in ``app.extensions["pc_models"]`` and ``pc-app db-init`` (and the test harness)
        creates their indexes.
    """


@hookspec
def pc_register_jobs():
    """Declare periodic jobs.

    :return: a list of ``pc_app.jobs.JobSpec``; the scheduler reconciles them by id.
    """


@hookspec
def pc_register_commands(cli):
    """Add commands to the ``pc-app`` command line.

    :param cli: the ``click.Group`` behind ``pc-app``; add commands to it.
    :return: nothing.
    """


@hookspec
def pc_onboarding_steps(partner):
    """Contribute onboarding steps for a partner.

    :param partner: the ``Partner`` document.
    :return: a list of ``(key, done)`` pairs, e.g. ``[("icpConfigured", True)]``.
    """


@hookspec
def pc_listing_vetoes(partner, lead):
    """Say why a partner may not list a lead on the marketplace.

    :param partner: the seller's ``Partner`` document.
    :param lead: the ``Lead`` document about to be listed.
    :return: a list of ``(check, sentence)`` pairs; an empty list or None allows listing.
    """


@hookspec
def pc_buyer_relationship(listing, partner):
    """Tell how a partner stands towards a marketplace listing (decides when contact data unmasks).

    :param listing: the marketplace listing document.
    :param partner: the viewing partner's ``Partner`` document.
    :return: ``"purchased"``, ``"reserved"`` or None when this plugin knows of no relationship.
    """


@hookspec
def pc_on_event(app, event):
    """React to a domain event; decide and enqueue, never block.

    Listeners run dependencies first; one that raises is logged with the event id and
    harms neither the request nor the other listeners.

    :param app: the Flask app that emitted the event.
    :param event: a ``pc_app.events.Event``.
    :return: nothing.
    """


@hookspec
def pc_app_created(app):
    """Run once the app is fully built (routes, models and settings in place).

    :param app: the finished Flask app.
    :return: nothing.
    """
