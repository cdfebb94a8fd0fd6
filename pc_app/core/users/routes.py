"""HTTP routes for users: list, invite or create, activate and deactivate."""
from flask.views import MethodView

from ...api import Blueprint, abort, paginate
from ...db import text_contains
from ...auth import current_user, login_required, parse_object_id
from ..models import Partner, User
from . import services
from .schemas import UserInviteSchema, UserPageSchema, UserQueryArgsSchema, UserSchema, UserStatusSchema

blp = Blueprint("users", __name__, url_prefix="/v1/users", description="Users of partners and platform staff")


def _require_user_manager():
    """Platform staff manage everyone; a partner owner manages its own partner's users."""
    user = current_user()
    if not user.is_platform and not user.is_partner_owner:
        abort(403, message="Only platform staff or the partner's owner may manage users.")
    return user


@blp.route("")
class UserCollection(MethodView):
    @login_required
    @blp.arguments(UserQueryArgsSchema, location="query")
    @blp.response(200, UserPageSchema)
    def get(self, args):
        """List users: platform staff all of them, a partner owner its partner's."""
        me = _require_user_manager()
        query = {}
        if not me.is_platform:
            query["partner"] = me.partner
        elif args.get("partnerId"):
            query["partner"] = args["partnerId"]
        for arg, field in (("role", "role"), ("isActive", "is_active")):
            if arg in args:
                query[field] = args[arg]
        qs = User.objects(**query).order_by("-created_at")
        if args.get("q"):
            qs = qs.filter(__raw__=text_contains(("email", "name"), args["q"]))
        return paginate(qs, args["page"], args["perPage"])

    @login_required
    @blp.arguments(UserInviteSchema)
    @blp.response(201, UserSchema)
    @blp.alt_response(409, description="The e-mail address is taken")
    def post(self, data):
        """Invite a user by e-mail with a set-password link valid 72 hours.

        Platform staff may create admins (the owner only), or users of any partner; a partner
        owner invites users of its own partner only.
        """
        me = _require_user_manager()
        role = data["role"]
        if me.is_platform:
            if role in ("owner", "admin") and me.role != "owner":
                abort(403, message="Only the platform owner may create platform staff.")
            if role == "owner":
                abort(422, message="There is one platform owner.", errors={"role": ["Must be admin or user."]})
            partner_id = None
            if role == "user":
                if not data.get("partnerId"):
                    abort(422, message="A partner user needs a partner.", errors={"partnerId": ["Required."]})
                partner_id = data["partnerId"]
                if not Partner.objects(id=partner_id).count():
                    abort(404, message="No such partner.")
        else:
            if role != "user":
                abort(403, message="Partner owners may only invite users of their partner.")
            if data.get("partnerId") and data["partnerId"] != me.partner:
                abort(404, message="No such partner.")
            partner_id = me.partner
        try:
            return services.invite_user(data["email"], data["name"], role=role, partner_id=partner_id,
                                        is_partner_owner=data["isPartnerOwner"] and role == "user",
                                        invited_by=me)
        except services.EmailTaken:
            abort(409, message="A user with this e-mail address already exists.", errors={"email": ["Taken."]})


@blp.route("/<objectid:user_id>/status", methods=["PATCH"])
@login_required
@blp.arguments(UserStatusSchema)
@blp.response(200, UserSchema)
def set_status(data, user_id):
    """Activate or deactivate a user; a deactivated user is signed out everywhere at once."""
    me = _require_user_manager()
    user = User.objects(id=parse_object_id(user_id, "user")).first()
    if user is None or (not me.is_platform and user.partner != me.partner):
        abort(404, message="No such user.")
    if user.id == me.id:
        abort(409, message="You cannot change your own status.")
    if user.role == "owner" or (user.role == "admin" and me.role != "owner"):
        abort(403, message="Only the platform owner may change platform staff.")
    return services.set_user_active(user, data["isActive"], actor=me)
