"""A throwaway plugin with one marketplace-like action, guarded the way marketplace routes are."""
from pc_app import hookimpl
from pc_app.api import Blueprint
from pc_app.auth import login_required, require_trading_partner

NAME = "registration_trading_route"
__version__ = "1.0.0"
REQUIRES = {"pc_app": ">=1,<2"}

blp = Blueprint("registration_trading_route", __name__, url_prefix="/v1/registration-test")


@blp.route("/trade", methods=["POST"])
@login_required
def trade():
    """Answer 200 when the caller's partner may trade on the marketplace."""
    return {"partnerId": str(require_trading_partner().id)}


@hookimpl
def pc_register_blueprints(app):
    """Add the guarded action."""
    return [blp]
