"""HTTP routes of the HubSpot integration: OAuth, status, pipeline, stage mapping, disconnect, webhooks."""
import logging

from flask import redirect, request
from flask.views import MethodView

from pc_app.toolkit import (Blueprint, abort, beyond_schema, current_actor, current_user, limiter, login_required,
                           partner_for_request, read_json, setting)

from . import services
from .schemas import (AuthorizationUrlSchema, AuthorizeQueryArgsSchema, CallbackQueryArgsSchema,
                      ConnectionStatusSchema, DisconnectedSchema, PipelineFailedSchema, PipelineSchema,
                      StageMappingSchema, WebhookAnswerSchema)

log = logging.getLogger("plugins.hubspot.routes")

blp = Blueprint("hubspot", __name__, url_prefix="/v1/integrations/hubspot",
                description="HubSpot connection: OAuth 2.0, status, deal pipeline, inbound webhooks")

MAX_WEBHOOK_BYTES = 1024 * 1024


@blp.route("/authorize")
@login_required
@blp.arguments(AuthorizeQueryArgsSchema, location="query")
@blp.response(200, AuthorizationUrlSchema)
@blp.errors(401, 403, 404, 422, 503)
@blp.doc(operationId="authorizeHubspot")
def authorize(args):
    """The HubSpot consent URL for a partner (its owner or platform staff); the state lasts 10 minutes, once.

    503 when the platform has no HubSpot app credentials.
    """
    partner = partner_for_request(args["partnerId"], owner_only=True)
    return {"authorizationUrl": services.authorization_url(partner, current_user())}


@blp.route("/callback")
@limiter.limit(setting("HUBSPOT_RATELIMIT_CALLBACK"))
@blp.arguments(CallbackQueryArgsSchema, location="query")
@blp.response(302)
@blp.errors(429)
@blp.doc(operationId="completeHubspotAuthorization")
def callback(args):
    """HubSpot redirects here (public): exchange the code, then redirect to the frontend with the outcome."""
    try:
        target = services.complete_authorization(args.get("code"), args.get("state"), args.get("error"))
    except Exception:
        # The browser must land on the frontend, never on a stack trace.
        log.exception("hubspot callback failed unexpectedly")
        target = services.callback_redirect("error", "internal_error")
    return redirect(target, 302)


@blp.route("/<objectid:partner_id>/status")
@login_required
@blp.response(200, ConnectionStatusSchema)
@blp.errors(401, 404)
@blp.doc(operationId="getHubspotStatus")
def status(partner_id):
    """Whether the partner's HubSpot is connected and healthy, its portal, pipeline and token times."""
    partner = partner_for_request(partner_id)
    return services.connection_status(partner.id)


@blp.route("/<objectid:partner_id>/create-pipeline", methods=["POST"])
@login_required
@blp.response(200, PipelineSchema)
@blp.errors(401, 403, 404, 409)
@blp.alt_response(502, schema=PipelineFailedSchema, description="HubSpot failed; manualSteps say how to do it by hand")
@blp.doc(operationId="createHubspotPipeline")
def create_pipeline(partner_id):
    """Create (or find by label) the "Partner Connector" deal pipeline and store the stage mapping; idempotent.

    409 when HubSpot is not connected; 502 with ``manualSteps`` when HubSpot refuses.
    """
    return services.ensure_pipeline(partner_for_request(partner_id, owner_only=True).id)


@blp.route("/<objectid:partner_id>/stage-mapping", methods=["PUT"])
@login_required
@blp.arguments(StageMappingSchema)
@blp.response(200, PipelineSchema)
@blp.errors(401, 403, 404, 409, 422, 502)
@blp.doc(operationId="setHubspotStageMapping")
def put_stage_mapping(data, partner_id):
    """Map every dealStatus to a stage of an existing HubSpot deal pipeline.

    409 when HubSpot is not connected or there is no pipeline; 422 names unknown or missing
    statuses and stages.
    """
    partner = partner_for_request(partner_id, owner_only=True)
    return services.set_stage_mapping(partner.id, data.get("pipelineId"), data["stageMapping"])


@blp.route("/<objectid:partner_id>")
class Connection(MethodView):
    @login_required
    @blp.response(200, DisconnectedSchema)
    @blp.errors(401, 403, 404, 409)
    @blp.doc(operationId="disconnectHubspot")
    def delete(self, partner_id):
        """Disconnect: revoke the refresh token at HubSpot and erase the tokens (409 when not connected)."""
        partner = partner_for_request(partner_id, owner_only=True)
        return services.disconnect(partner.id, actor=current_actor())


# Public (``security: []``): HubSpot proves itself with the v3 signature headers, checked in the handler.
WEBHOOK_DOC = {
    "parameters": [
        {"in": "header", "name": "X-HubSpot-Signature-v3", "required": True,
         "schema": {"type": "string", "maxLength": 200, "pattern": "^[A-Za-z0-9+/]+={0,2}$"},
         "description": "base64 HMAC-SHA256 of method, URL, body and timestamp with the app secret"},
        {"in": "header", "name": "X-HubSpot-Request-Timestamp", "required": True,
         "schema": {"type": "string", "pattern": "^[0-9]{1,15}$"},
         "description": "milliseconds since 1970; at most 5 minutes from now, either way"},
    ],
    "requestBody": {"required": True, "content": {"application/json": {"schema": {
        "type": "array", "items": {"type": "object"}, **beyond_schema("signed by HubSpot")}}}},
}


@blp.route("/webhooks", methods=["POST"])
@limiter.limit(setting("HUBSPOT_RATELIMIT_WEBHOOKS"))
@blp.doc(**WEBHOOK_DOC)
@blp.response(200, WebhookAnswerSchema)
@blp.errors(400, 401, 413, 422, 429)
@blp.doc(operationId="receiveHubspotWebhook")
def webhooks():
    """HubSpot's webhook (public): v3 signature on the raw body, events de-duplicated by id, answered at once."""
    if (request.content_length or 0) > MAX_WEBHOOK_BYTES:
        abort(413, message="The webhook body is too large.")
    body = request.get_data(cache=True)
    services.verify_webhook(request.method, request.url, body, request.headers.get("X-HubSpot-Request-Timestamp"),
                            request.headers.get("X-HubSpot-Signature-v3"))
    events = read_json()  # the one guarded reader: limits, and 400/422 for what cannot be read or stored
    if not isinstance(events, list):
        abort(400, message="The webhook body must be a JSON array of HubSpot events.")
    return services.accept_webhook_events(events)
