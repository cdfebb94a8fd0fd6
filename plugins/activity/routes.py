"""HTTP routes of the activity plugin: feed, mark-read, live stream and its ticket, preferences, unsubscribe, webhooks."""
from __future__ import annotations

from flask import Response, current_app, request
from flask.views import MethodView

from pc_app.toolkit import (Blueprint, Forbidden, PageArgsSchema, Unauthorized, current_actor, current_claims,
                            current_partner, current_user, login_required, optional_user, page_answer, paginate,
                            parse_object_id, partner_for_request)

from .models import WebhookDelivery
from .schemas import (ACTIVITY_PAGE_EXAMPLE, ActivityArgsSchema, ActivityPageSchema, DeliveryArgsSchema, MarkReadResultSchema,
                      MarkReadSchema, PreferencesPatchSchema, PreferencesSchema, StreamArgsSchema,
                      StreamTicketSchema, UnsubscribeArgsSchema, UnsubscribeSchema, WebhookCreateSchema,
                      WebhookDeliveryPageSchema, WebhookDeliverySchema, WebhookEndpointPageSchema,
                      WebhookEndpointSchema, WebhookEndpointWithSecretSchema)
from .services import (feed, live_stream, notification_mail, preferences, webhook_delivery, webhook_endpoints)

activities_blp = Blueprint("activity", __name__, url_prefix="/v1/activities",
                           description="The activity feed, its unread count and its live stream")
partner_blp = Blueprint("activity_partners", __name__, url_prefix="/v1/partners",
                        description="A partner's notification preferences and outgoing webhooks")
unsubscribe_blp = Blueprint("activity_unsubscribe", __name__, url_prefix="/v1/notifications",
                            description="One-click e-mail unsubscribe (no sign-in)")

STREAM_DOC = {"responses": {"200": {"description": "Server-Sent Events: `event: activity` frames (id = cursor), "
                                                   "`: heartbeat` comments, `event: reauthenticate` at token expiry",
                                    "content": {"text/event-stream": {"schema": {
                                        # One Server-Sent Event, as EventSource hands it over.
                                        "type": "object", "properties": {
                                            "event": {"type": "string"}, "data": {"type": "string"},
                                            "id": {"type": "string"}, "retry": {"type": "integer"}}}}}}}}


def _own_partner_user():
    """The signed-in user, who must belong to a partner (platform staff have no feed)."""
    current_partner()
    return current_user()


def _partner_settings(partner_id: str, *, change: bool):
    """The partner's owner reads and changes; platform staff only read; members 403; foreign 404."""
    partner = partner_for_request(partner_id, owner_only=True)
    if change and current_user().is_platform:
        raise Forbidden("Platform staff may read these settings; only the partner's owner changes them.")
    return partner


@activities_blp.route("")
class Activities(MethodView):
    @login_required
    @activities_blp.arguments(ActivityArgsSchema, location="query")
    @activities_blp.response(200, ActivityPageSchema, example=ACTIVITY_PAGE_EXAMPLE)
    @activities_blp.errors(403, 422)
    @activities_blp.doc(operationId="listActivities")
    def get(self, args):
        """Your partner's activities, newest first, with your unread count.

        Page with ``cursor`` = the previous page's ``nextCursor`` (null on the last page);
        activities arriving meanwhile never shift the pages. Owner-only activities (money and
        settings) are listed to partner owners only.
        """
        user = _own_partner_user()
        return feed.list_activities(user, limit=args["limit"], cursor=args.get("cursor"),
                                    unread_only=args["unreadOnly"], types=args.get("type"), since=args.get("since"))


@activities_blp.route("/mark-read", methods=["PATCH"])
@login_required
@activities_blp.arguments(MarkReadSchema)
@activities_blp.response(200, MarkReadResultSchema)
@activities_blp.errors(403, 422)
@activities_blp.doc(operationId="markActivitiesRead")
def mark_read(data):
    """Mark activities read for you: ``{ids}`` or ``{all: true}``; repeating it changes nothing."""
    user = _own_partner_user()
    return feed.mark_read(user, ids=data.get("ids"), everything=bool(data.get("all")))


@activities_blp.route("/stream-ticket", methods=["POST"])
@login_required
@activities_blp.response(201, StreamTicketSchema)
@activities_blp.errors(403)
@activities_blp.doc(operationId="createActivityStreamTicket")
def stream_ticket():
    """A single-use ticket, valid 30 s, for ``GET /v1/activities/stream?ticket=…`` (EventSource sends no headers).

    The stream it opens ends when the access token used here expires.
    """
    user = _own_partner_user()
    ttl = current_app.config["ACTIVITY_STREAM_TICKET_SECONDS"]
    return {"ticket": live_stream.issue_ticket(user, current_claims(), ttl), "expiresIn": ttl}


@activities_blp.route("/stream")
@activities_blp.arguments(StreamArgsSchema, location="query")
@activities_blp.doc(**STREAM_DOC)
@activities_blp.errors(401, 403, 422, 503)
@activities_blp.doc(operationId="streamActivities")
def stream(args):
    """Live activities as Server-Sent Events, across every API pod.

    Authenticate with ``Authorization: Bearer`` or ``?ticket=`` (single use). ``Last-Event-ID``
    replays what came after that activity. A heartbeat comment keeps proxies from closing an
    idle stream; the stream ends with ``event: reauthenticate`` when the access token expires.
    """
    if request.headers.get("Authorization"):
        user = optional_user()
        if user is None:
            raise Unauthorized("The token is missing, invalid, expired or revoked.")
        viewer = live_stream.viewer_of(user, current_claims()["exp"])
    elif args.get("ticket"):
        viewer = live_stream.redeem_ticket(args["ticket"])
    else:
        raise Unauthorized("Send 'Authorization: Bearer <token>' or a ticket from POST /v1/activities/stream-ticket.")
    if viewer.partner in ("", "None"):
        raise Forbidden("This action needs a partner account.")
    position = live_stream.position_of(request.headers.get("Last-Event-ID"))
    config = current_app.config
    hub = live_stream.hub_for(current_app._get_current_object())
    listener = hub.register(viewer)
    body = live_stream.stream(hub, listener, position, config["ACTIVITY_STREAM_HEARTBEAT_SECONDS"],
                              config["ACTIVITY_STREAM_MAX_SECONDS"])
    # No request context travels with the body: it reads only the database and its inbox.
    return Response(body, mimetype="text/event-stream",
                    headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})


@partner_blp.route("/<objectid:partner_id>/notification-preferences")
class NotificationPreferences(MethodView):
    @login_required
    @partner_blp.response(200, PreferencesSchema)
    @partner_blp.errors(403, 404)
    def get(self, partner_id):
        """Every event type with its default and effective channels (``in_app``, ``email``, ``webhook``)."""
        partner = _partner_settings(partner_id, change=False)
        return preferences.preferences_of(str(partner.id))

    @login_required
    @partner_blp.arguments(PreferencesPatchSchema)
    @partner_blp.response(200, PreferencesSchema)
    @partner_blp.errors(403, 404, 422)
    def patch(self, data, partner_id):
        """Turn channels on or off per event type: ``{types: {"marketplace.lead_listed": {"email": true}}}``."""
        partner = _partner_settings(partner_id, change=True)
        return preferences.update_preferences(str(partner.id), data["types"])


@unsubscribe_blp.route("/unsubscribe")
class Unsubscribe(MethodView):
    @unsubscribe_blp.arguments(UnsubscribeArgsSchema, location="query")
    @unsubscribe_blp.response(200, UnsubscribeSchema)
    @unsubscribe_blp.errors(400, 422)
    @unsubscribe_blp.doc(security=[])
    @unsubscribe_blp.doc(operationId="getUnsubscribeLink")
    def get(self, args):
        """What an unsubscribe link would turn off (the frontend's confirmation page); changes nothing."""
        return notification_mail.describe_unsubscribe(args["token"])

    @unsubscribe_blp.arguments(UnsubscribeArgsSchema, location="query")
    @unsubscribe_blp.response(200, UnsubscribeSchema)
    @unsubscribe_blp.errors(400, 422)
    @unsubscribe_blp.doc(security=[])
    @unsubscribe_blp.doc(operationId="unsubscribe")
    def post(self, args):
        """Turn this type's e-mail off for the link's recipient, without signing in (RFC 8058 one-click)."""
        result = notification_mail.unsubscribe(args["token"])
        return {**notification_mail.describe_unsubscribe(args["token"]), **result}


@partner_blp.route("/<objectid:partner_id>/webhooks")
class Webhooks(MethodView):
    @login_required
    @partner_blp.arguments(PageArgsSchema, location="query")
    @partner_blp.response(200, WebhookEndpointPageSchema)
    @partner_blp.errors(403, 404, 422)
    @partner_blp.doc(operationId="listWebhooks")
    def get(self, args, partner_id):
        """The partner's webhook endpoints, oldest first (never their secrets); at most WEBHOOKS_MAX_ENDPOINTS (10)."""
        partner = _partner_settings(partner_id, change=False)
        # Dumped each time, not kept (page_answer): an endpoint's previousSecretValidUntil ends with the clock.
        page = paginate(webhook_endpoints.endpoint_query(str(partner.id)), args["page"], args["perPage"])
        return {**page, "items": [webhook_endpoints.serialize(row) for row in page["items"]]}

    @login_required
    @partner_blp.arguments(WebhookCreateSchema)
    @partner_blp.response(201, WebhookEndpointWithSecretSchema)
    @partner_blp.errors(403, 404, 409, 422)
    @partner_blp.doc(operationId="createWebhook")
    def post(self, data, partner_id):
        """Register an endpoint for some event types (``["*"]`` for all); the signing secret is shown only now.

        Outside development only ``https`` URLs resolving to public addresses are accepted.
        """
        partner = _partner_settings(partner_id, change=True)
        endpoint, secret = webhook_endpoints.create_endpoint(str(partner.id), data["url"], data["eventTypes"],
                                                             data["description"], current_actor())
        return {**webhook_endpoints.serialize(endpoint), "secret": secret}


def _endpoint(partner_id: str, endpoint_id: str, *, change: bool):
    partner = _partner_settings(partner_id, change=change)
    return webhook_endpoints.get_endpoint(str(partner.id), parse_object_id(endpoint_id, "webhook endpoint"))


@partner_blp.route("/<objectid:partner_id>/webhooks/<objectid:endpoint_id>")
class WebhookItem(MethodView):
    @login_required
    @partner_blp.response(200, WebhookEndpointSchema)
    @partner_blp.errors(403, 404)
    def get(self, partner_id, endpoint_id):
        """One endpoint."""
        return webhook_endpoints.serialize(_endpoint(partner_id, endpoint_id, change=False))

    @login_required
    @partner_blp.response(204)
    @partner_blp.errors(403, 404)
    def delete(self, partner_id, endpoint_id):
        """Remove an endpoint and its delivery log."""
        endpoint = _endpoint(partner_id, endpoint_id, change=True)
        webhook_endpoints.delete_endpoint(endpoint.partner, str(endpoint.id))


@partner_blp.route("/<objectid:partner_id>/webhooks/<objectid:endpoint_id>/rotate-secret", methods=["POST"])
@login_required
@partner_blp.response(200, WebhookEndpointWithSecretSchema)
@partner_blp.errors(403, 404, 409)
@partner_blp.doc(operationId="rotateWebhookSecret")
def rotate_secret(partner_id, endpoint_id):
    """A new signing secret, shown once; the old one stays valid for 24 h and deliveries carry both signatures."""
    endpoint = _endpoint(partner_id, endpoint_id, change=True)
    endpoint, secret = webhook_endpoints.rotate_secret(endpoint.partner, str(endpoint.id))
    return {**webhook_endpoints.serialize(endpoint), "secret": secret}


@partner_blp.route("/<objectid:partner_id>/webhooks/<objectid:endpoint_id>/enable", methods=["POST"])
@login_required
@partner_blp.response(200, WebhookEndpointSchema)
@partner_blp.errors(403, 404)
@partner_blp.doc(operationId="enableWebhook")
def enable(partner_id, endpoint_id):
    """Turn a disabled endpoint back on once its receiver is fixed."""
    endpoint = _endpoint(partner_id, endpoint_id, change=True)
    return webhook_endpoints.serialize(webhook_endpoints.enable_endpoint(endpoint.partner, str(endpoint.id)))


@partner_blp.route("/<objectid:partner_id>/webhooks/<objectid:endpoint_id>/ping", methods=["POST"])
@login_required
@partner_blp.response(202, WebhookDeliverySchema)
@partner_blp.errors(403, 404)
@partner_blp.doc(operationId="pingWebhook")
def ping(partner_id, endpoint_id):
    """Send a signed ``ping`` event to the endpoint now (also while disabled); see its delivery log."""
    endpoint = _endpoint(partner_id, endpoint_id, change=True)
    return webhook_delivery.serialize(webhook_delivery.queue_ping(endpoint))


@partner_blp.route("/<objectid:partner_id>/webhooks/<objectid:endpoint_id>/deliveries")
@login_required
@partner_blp.arguments(DeliveryArgsSchema, location="query")
@partner_blp.response(200, WebhookDeliveryPageSchema)
@partner_blp.errors(403, 404, 422)
@partner_blp.doc(operationId="listWebhookDeliveries")
def deliveries(args, partner_id, endpoint_id):
    """The endpoint's deliveries, newest first: status, attempts, response code, latency, next retry, body."""
    endpoint = _endpoint(partner_id, endpoint_id, change=False)
    # Naming the partner keeps the page until a write to that partner's deliveries (counted per partner).
    deliveries = WebhookDelivery.objects(partner=endpoint.partner, endpoint=str(endpoint.id))
    return page_answer(deliveries.order_by("-created_ms", "-id"), args["page"],
                       args["perPage"], WebhookDeliveryPageSchema, item=webhook_delivery.serialize)


@partner_blp.route("/<objectid:partner_id>/webhooks/<objectid:endpoint_id>/deliveries/<objectid:delivery_id>/redeliver",
                   methods=["POST"])
@login_required
@partner_blp.response(202, WebhookDeliverySchema)
@partner_blp.errors(403, 404)
@partner_blp.doc(operationId="redeliverWebhookDelivery")
def redeliver(partner_id, endpoint_id, delivery_id):
    """Send a past delivery's body again as a new delivery (same event ``id``, new ``X-PC-Delivery``)."""
    endpoint = _endpoint(partner_id, endpoint_id, change=True)
    copy = webhook_delivery.redeliver(endpoint.partner, str(endpoint.id), parse_object_id(delivery_id, "delivery"))
    return webhook_delivery.serialize(copy)
