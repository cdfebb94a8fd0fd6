"""Partner Connector's core: ``create_app`` builds a Flask app around the enabled plugins."""
from __future__ import annotations

import logging

from flask_cors import CORS

from ._version import __version__
from .flask_app import PartnerConnectorFlask
from .hookspecs import hookimpl  # noqa: F401  (plugins import it from here)

__all__ = ["__version__", "create_app", "hookimpl"]

log = logging.getLogger("pc_app")


def _core_blueprints():
    from .core.auth.routes import blp as auth_blp
    from .core.leads.routes import blp as leads_blp
    from .core.partners.routes import blp as partners_blp
    from .core.system.cron import cron_blp
    from .core.system.metrics import metrics_blp
    from .core.system.routes import health_blp, plugins_blp
    from .core.users.routes import blp as users_blp

    return [health_blp, metrics_blp, plugins_blp, auth_blp, partners_blp, users_blp, leads_blp, cron_blp]


def core_models():
    from .core.models import CORE_MODELS
    from .event_delivery import StoredEvent
    from .mail import OutboxMessage

    return [*CORE_MODELS, OutboxMessage, StoredEvent]


def create_app(config: dict | None = None) -> PartnerConnectorFlask:
    """Build the app: settings, plugins, database, auth, routes.

    :param config: settings that win over the environment; ``PC_EXTRA_PLUGINS`` (a dict of
        name -> module path) adds plugins that are not installed as distributions (tests).
    """
    import os

    from .api import Api, api_settings, install_error_handling, install_operation_checks, install_swagger_assets
    from .auth import init_auth
    from .config import CORE_SECRETS, load_config
    from .db import connect_database
    from .errors import install_service_errors
    from .events import build_event_registry
    from .metrics import install_request_metrics
    from .plugins import build_plugin_manager, call_hook, plugin_settings
    from .proxies import TrustedProxies
    from .ratelimit import init_rate_limits
    from .request_body import GuardedRequest
    from .security_headers import install_security_headers
    from .url_converters import install_url_converters
    from .structured_logs import configure_logging, secret_setting_values

    overrides = dict(config or {})
    extra_plugins = overrides.pop("PC_EXTRA_PLUGINS", None)
    enabled = overrides.get("PC_PLUGINS")
    if enabled is None:
        enabled = [p.strip() for p in os.environ.get("PC_PLUGINS", "").split(",") if p.strip()]
    elif isinstance(enabled, str):
        enabled = [p.strip() for p in enabled.split(",") if p.strip()]
    if extra_plugins and enabled:
        enabled = list(enabled) + [n for n in extra_plugins if n not in enabled]
    pm, plugin_infos = build_plugin_manager(enabled, extra_plugins)

    declared_settings = plugin_settings(pm, plugin_infos)
    settings = load_config(overrides, declared_settings)
    secret_names = [*CORE_SECRETS, *(name for name, setting in declared_settings.items() if setting.secret)]
    configure_logging(settings["LOG_LEVEL"], secrets=secret_setting_values(settings, secret_names))

    app = PartnerConnectorFlask("pc_app")
    # request.get_json() reads through the one guarded JSON reader (limits, parsed once).
    app.request_class = GuardedRequest
    app.config.update(settings)
    app.config.update(api_settings())
    app.json.sort_keys = False
    app.wsgi_app = TrustedProxies(app.wsgi_app, settings["TRUSTED_PROXY_ADDRESSES"])
    CORS(app, origins=settings["CORS_ORIGINS"], supports_credentials=False,
         expose_headers=["X-Request-ID", "Retry-After"])
    app.extensions["pc_plugin_manager"] = pm
    app.extensions["pc_plugins"] = plugin_infos
    app.extensions["pc_secret_settings"] = secret_names

    connect_database(settings)
    init_auth(app)
    init_rate_limits(app)
    api = Api(app)
    app.extensions["pc_api"] = api
    install_url_converters(app, api)
    install_error_handling(app)
    install_request_metrics(app)
    install_service_errors(app)
    install_operation_checks(app)
    install_swagger_assets(app)
    install_security_headers(app)

    for blp in _core_blueprints():
        api.register_blueprint(blp)
    if settings["PC_ENV"] == "development":
        from .core.system.routes import outbox_blp
        api.register_blueprint(outbox_blp)

    infos_by_name = {info.name: info for info in plugin_infos}
    for plugin_name, blueprints in call_hook(pm, "pc_register_blueprints", app=app):
        for blp in blueprints or []:
            api.register_blueprint(blp)
            infos_by_name[plugin_name].blueprints.append(blp.name)
    models = core_models()
    for _name, plugin_models in call_hook(pm, "pc_register_models"):
        models.extend(plugin_models or [])
    app.extensions["pc_models"] = models
    from .core.event_types import CORE_EVENTS

    build_event_registry(app, CORE_EVENTS)

    call_hook(pm, "pc_app_created", app=app)
    # Once per process that builds it: under gunicorn, once in the master (gunicorn.conf.py).
    log.debug("app built with plugins: %s", ", ".join(info.name for info in plugin_infos) or "none")
    return app
