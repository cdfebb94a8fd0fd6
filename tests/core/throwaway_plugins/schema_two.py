"""A plugin with a schema named like another plugin's (ThingSchema), to show they do not collide."""
import marshmallow as ma

from pc_app import hookimpl
from pc_app.api import Blueprint, Schema

NAME = "schema_two"
__version__ = "1.0.0"
REQUIRES = {"pc_app": ">=1"}

blp = Blueprint("schema_two", __name__, url_prefix="/v1/schema-two")


class ThingSchema(Schema):
    two = ma.fields.String()


@blp.route("/thing")
@blp.response(200, ThingSchema)
def thing():
    """One thing."""
    return {"two": "two"}


@hookimpl
def pc_register_blueprints(app):
    """Add the thing route."""
    return [blp]
