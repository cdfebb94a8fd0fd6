"""Hook implementations of the registration plugin: settings, routes and its onboarding step."""
from pc_app import hookimpl


@hookimpl
def pc_config_defaults():
    """Declare the rate limit of the public registration routes and the verification link lifetime."""
    return {
        "REGISTRATION_RATELIMIT": ("5 per minute", "str"),
        "VERIFICATION_HOURS": (48, "int"),
    }


@hookimpl
def pc_register_blueprints(app):
    """Register the self-registration routes and the partner lifecycle routes."""
    from .routes import lifecycle_blp, registration_blp

    return [registration_blp, lifecycle_blp]


@hookimpl
def pc_onboarding_steps(partner):
    """Contribute ``icpConfigured``: the partner has saved a non-empty ICP."""
    from .services import icp_step

    return [icp_step(partner)]
