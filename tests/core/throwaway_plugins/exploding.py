"""A plugin whose route fails with an unexpected exception (the 500 path of the error shape)."""
from pc_app import hookimpl
from pc_app.api import Blueprint

NAME = "exploding"
__version__ = "0.1.0"
REQUIRES = {"pc_app": ">=1"}

SECRET_DETAIL = "db-password=hunter2 at /srv/app/internal.py"

blp = Blueprint("exploding", __name__, url_prefix="/v1/exploding")


@blp.route("")
def explode():
    """Fail in a way no handler expects."""
    raise RuntimeError(SECRET_DETAIL)


@hookimpl
def pc_register_blueprints(app):
    """Add the failing route."""
    return [blp]
