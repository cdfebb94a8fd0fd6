"""Hook implementations of the registration plugin: settings, routes and its onboarding step."""
from pc_app import hookimpl


@hookimpl
def pc_config_defaults():
    """Declare the rate limit of the public registration routes and the verification link lifetime."""
    from pc_app.toolkit import Setting

    return {
        "REGISTRATION_RATELIMIT": Setting("5 per minute", "str", description="Each public registration route, per "
                                                                             "address and (register, resend) per e-mail"),
        "REGISTRATION_VERIFICATION_HOURS": Setting(48, "int", aliases=("VERIFICATION_HOURS",),
                                                   description="Lifetime of a verification link"),
    }


@hookimpl
def pc_register_blueprints(app):
    """Register the self-registration routes and the partner lifecycle routes."""
    from .routes import lifecycle_blp, registration_blp

    return [registration_blp, lifecycle_blp]


@hookimpl
def pc_onboarding_steps(partner):
    """Contribute ``icpConfigured`` (position 10, required to activate): the partner has saved a non-empty ICP."""
    from .services import icp_step

    return [icp_step(partner)]


@hookimpl
def pc_register_events():
    """Declare the registration plugin's events."""
    from .events import EVENTS

    return EVENTS


@hookimpl(optionalhook=True)
def pc_activity_types():
    """Describe this plugin's events for the activity feed (the activity plugin owns the hook)."""
    from .activity_types import TYPES
    return TYPES
