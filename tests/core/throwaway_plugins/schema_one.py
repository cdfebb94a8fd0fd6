"""A plugin with a schema named like another plugin's (ThingSchema), to show they do not collide."""
import marshmallow as ma

from pc_app import hookimpl
from pc_app.api import Blueprint, Schema

NAME = "schema_one"
__version__ = "1.0.0"
REQUIRES = {"pc_app": ">=1"}

blp = Blueprint("schema_one", __name__, url_prefix="/v1/schema-one")


class ThingSchema(Schema):
    one = ma.fields.String()


@blp.route("/thing")
@blp.response(200, ThingSchema)
def thing():
    """One thing."""
    return {"one": "one"}


@hookimpl
def pc_register_blueprints(app):
    """Add the thing route."""
    return [blp]
