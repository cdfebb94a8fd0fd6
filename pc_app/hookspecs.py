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
def pc_sealed_fields():
    """Declare the fields where the plugin stores secrets sealed with ``ENCRYPTION_KEY``.

    ``pc-app rotate-keys`` reseals every one still under an old key, so a retired key can leave
    ``ENCRYPTION_KEYS_OLD`` once the command reports nothing left under it.

    :return: a list of ``pc_app.toolkit.SealedFields`` (label, model, field names, and the context
        each field was sealed with).
    """


@hookspec
def pc_lead_change_vetoes(lead):
    """Say why a lead may not be edited or deleted now: a plugin's hold on it (a buyer's reservation).

    Called before every edit and deletion through the API or ``pc-app`` (notes stay allowed);
    the first veto refuses the change with 409 naming its rule.

    :param lead: the ``Lead`` document about to change.
    :return: a list of ``(rule, sentence)``: the rule the 409's ``errors`` names, and why in words.
    """


@hookspec
def pc_onboarding_steps(partner):
    """Contribute onboarding steps for a partner.

    :param partner: the ``Partner`` document.
    :return: a list of ``pc_app.toolkit.OnboardingStep(key, done, position, required=False)``;
        the checklist is sorted by ``position`` (``icpConfigured`` 10, ``hubspotConnected`` 20,
        ``payoutsEnabled`` 30, ``firstLeadListed`` 40), and ``required`` steps gate activation.
    """


@hookspec
def pc_register_events():
    """Declare the events the plugin emits (its part of the event catalog).

    :return: a list of ``pc_app.events.EventType``; names read ``<plugin>.<past_tense>``.
        ``emit`` refuses a name or payload field not declared here, and ``docs/events.md`` is
        generated from the catalog.
    """


@hookspec
def pc_register_subscriptions():
    """Subscribe to events by name or prefix (``marketplace.*``, ``*``).

    :return: a list of ``pc_app.events.Subscription(id, events, handler, durable=False)``.
        In-request handlers run inside ``emit``; durable ones run from a job, at least once,
        retried with backoff. Either way the app context is pushed and a failure never
        reaches the code that emitted the event.
    """


@hookspec(historic=True)
def pc_add_hookspecs(pm):
    """Add hook specifications the plugin owns, for the plugins that require it to implement.

    Called as each plugin is registered (dependencies first), like pytest's ``pytest_addhooks``.

    :param pm: the app's ``pluggy.PluginManager``; call ``pm.add_hookspecs(module)``.
    :return: nothing.
    """


@hookspec
def pc_db_init(app):
    """Bring stored data up to what this version reads, inside ``pc-app db-init`` (after the indexes).

    Must be idempotent: ``db-init`` runs at every deploy. Runs in an app context.

    :param app: the Flask app.
    :return: a short sentence saying what changed, or None.
    """


@hookspec
def pc_app_created(app):
    """Run once the app is fully built (routes, models and settings in place).

    :param app: the finished Flask app.
    :return: nothing.
    """
