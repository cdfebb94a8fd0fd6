"""HTTP routes of the lead_tags example plugin: services raise, the core answers."""
import marshmallow as ma
from flask.views import MethodView

from pc_app.toolkit import Blueprint, Schema, current_actor, current_partner, login_required, parse_object_id

from . import services

blp = Blueprint("lead_tags", __name__, url_prefix="/v1/lead-tags", description="Tags on your own leads")


class TagSchema(Schema):
    tag = ma.fields.String(required=True, validate=ma.validate.Regexp(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,39}$"))


class TagListSchema(Schema):
    tags = ma.fields.List(ma.fields.String(), required=True)


@blp.route("/<lead_id>")
class LeadTags(MethodView):
    @login_required
    @blp.response(200, TagListSchema)
    @blp.errors(401, 403, 404)
    def get(self, lead_id):
        """The lead's tags."""
        return {"tags": services.tags_of(current_partner().id, parse_object_id(lead_id, "lead"))}

    @login_required
    @blp.arguments(TagSchema)
    @blp.response(201, TagListSchema)
    @blp.errors(401, 403, 404, 409, 422)
    def post(self, data, lead_id):
        """Tag the lead (idempotent); at most LEAD_TAGS_MAX_PER_LEAD tags."""
        tags = services.add_tag(current_partner().id, parse_object_id(lead_id, "lead"), data["tag"], current_actor())
        return {"tags": tags}
