"""HTTP routes for users: list, invite or create, activate and deactivate."""
from flask.views import MethodView

from ...api import Blueprint
from ...pages import page_answer
from ...auth import current_actor, current_user, login_required
from . import services
from .schemas import UserInviteSchema, UserPageSchema, UserQueryArgsSchema, UserSchema, UserStatusSchema

blp = Blueprint("users", __name__, url_prefix="/v1/users", description="Users of partners and platform staff")


@blp.route("")
class UserCollection(MethodView):
    @login_required
    @blp.arguments(UserQueryArgsSchema, location="query")
    @blp.response(200, UserPageSchema)
    @blp.errors(401, 403, 404, 422)
    def get(self, args):
        """List users: platform staff all of them, a partner owner its partner's."""
        return page_answer(services.user_query(current_user(), args), args["page"], args["perPage"], UserPageSchema)

    @login_required
    @blp.arguments(UserInviteSchema)
    @blp.response(201, UserSchema)
    @blp.errors(401, 403, 404, 409, 422)
    @blp.doc(operationId="inviteUser")
    def post(self, data):
        """Invite a user by e-mail with a set-password link valid 72 hours.

        Platform staff may create admins (the owner only), or users of any partner; a partner
        owner invites users of its own partner only. 409 when the e-mail address is taken.
        """
        me, role = current_user(), data["role"]
        partner_id = services.invitation_target(me, role, data.get("partnerId"))
        return services.invite_user(data["email"], data["name"], role=role, partner_id=partner_id,
                                    is_partner_owner=data["isPartnerOwner"] and role == "user", invited_by=me)


@blp.route("/<objectid:user_id>/status", methods=["PATCH"])
@login_required
@blp.arguments(UserStatusSchema)
@blp.response(200, UserSchema)
@blp.errors(401, 403, 404, 409, 422)
@blp.doc(operationId="setUserStatus")
def set_status(data, user_id):
    """Activate or deactivate a user; a deactivated user is signed out everywhere at once."""
    me = current_user()
    return services.set_user_active(services.managed_user(me, user_id), data["isActive"], actor=current_actor())
