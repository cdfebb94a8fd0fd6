"""HTTP routes of the HubSpot integration: OAuth, status, pipeline, stage mapping, disconnect, webhooks."""
import json
import logging

from flask import jsonify, redirect, request
from flask.views import MethodView

from pc_app.toolkit import (Blueprint, abort, current_user, error_body, limiter, login_required,
                           partner_for_request, setting)

from . import services
from .schemas import (AuthorizationUrlSchema, AuthorizeQueryArgsSchema, CallbackQueryArgsSchema,
                      ConnectionStatusSchema, DisconnectedSchema, PipelineFailedSchema, PipelineSchema,
                      StageMappingSchema, WebhookAnswerSchema)

log = logging.getLogger("plugins.hubspot.routes")

blp = Blueprint("hubspot", __name__, url_prefix="/v1/integrations/hubspot",
                description="HubSpot connection: OAuth 2.0, status, deal pipeline, inbound webhooks")

MAX_WEBHOOK_BYTES = 1024 * 1024


def _abort_for(failure: services.HubSpotError):
    if isinstance(failure, services.NotConnected):
        abort(409, message=str(failure.message))
    abort(502, message=f"HubSpot failed: {failure.message}")


@blp.route("/authorize")
@login_required
@blp.arguments(AuthorizeQueryArgsSchema, location="query")
@blp.response(200, AuthorizationUrlSchema)
@blp.alt_response(403, description="A partner member, not its owner")
@blp.alt_response(404, description="No such partner, or another partner's")
def authorize(args):
    """The HubSpot consent URL for a partner (its owner or platform staff); the state lasts 10 minutes, once."""
    partner = partner_for_request(args["partnerId"], owner_only=True)
    try:
        return {"authorizationUrl": services.authorization_url(partner, current_user())}
    except services.NotConnected as failure:
        abort(503, message=failure.message)


@blp.route("/callback")
@limiter.limit(setting("HUBSPOT_RATELIMIT_CALLBACK"))
@blp.arguments(CallbackQueryArgsSchema, location="query")
@blp.response(302)
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
def status(partner_id):
    """Whether the partner's HubSpot is connected and healthy, its portal, pipeline and token times."""
    partner = partner_for_request(partner_id)
    return services.connection_status(partner.id)


@blp.route("/<objectid:partner_id>/create-pipeline", methods=["POST"])
@login_required
@blp.response(200, PipelineSchema)
@blp.alt_response(409, description="HubSpot is not connected")
@blp.alt_response(502, schema=PipelineFailedSchema, description="HubSpot failed; manualSteps say how to do it by hand")
def create_pipeline(partner_id):
    """Create (or find by label) the "Partner Connector" deal pipeline and store the stage mapping; idempotent."""
    partner = partner_for_request(partner_id, owner_only=True)
    try:
        return services.ensure_pipeline(partner.id)
    except services.NotConnected as failure:
        abort(409, message=failure.message)
    except services.HubSpotError as failure:
        body = error_body(502, f"HubSpot did not let us set up the pipeline: {failure.message} "
                               "You can create it by hand.")
        response = jsonify({**body, "manualSteps": list(services.MANUAL_STEPS)})
        response.status_code = 502
        return response


@blp.route("/<objectid:partner_id>/stage-mapping", methods=["PUT"])
@login_required
@blp.arguments(StageMappingSchema)
@blp.response(200, PipelineSchema)
@blp.alt_response(409, description="HubSpot is not connected or there is no pipeline")
@blp.alt_response(422, description="A dealStatus or stage is unknown or missing")
def put_stage_mapping(data, partner_id):
    """Map every dealStatus to a stage of an existing HubSpot deal pipeline."""
    partner = partner_for_request(partner_id, owner_only=True)
    try:
        return services.set_stage_mapping(partner.id, data.get("pipelineId"), data["stageMapping"])
    except services.MappingInvalid as invalid:
        abort(422, message="The stage mapping is invalid.", errors=invalid.errors)
    except services.HubSpotError as failure:
        _abort_for(failure)


@blp.route("/<objectid:partner_id>")
class Connection(MethodView):
    @login_required
    @blp.response(200, DisconnectedSchema)
    @blp.alt_response(409, description="HubSpot is not connected")
    def delete(self, partner_id):
        """Disconnect: revoke the refresh token at HubSpot and erase the tokens."""
        partner = partner_for_request(partner_id, owner_only=True)
        try:
            return services.disconnect(partner.id, actor=f"user:{current_user().id}")
        except services.NotConnected as failure:
            abort(409, message=failure.message)


@blp.route("/webhooks", methods=["POST"])
@limiter.limit(setting("HUBSPOT_RATELIMIT_WEBHOOKS"))
@blp.response(200, WebhookAnswerSchema)
@blp.alt_response(400, description="The body is not a JSON array of events")
@blp.alt_response(401, description="Signature missing, wrong, or older than 5 minutes")
def webhooks():
    """HubSpot's webhook (public): v3 signature on the raw body, events de-duplicated by id, answered at once."""
    if (request.content_length or 0) > MAX_WEBHOOK_BYTES:
        abort(413, message="The webhook body is too large.")
    body = request.get_data(cache=True)
    try:
        services.verify_webhook(request.method, request.url, body, request.headers.get("X-HubSpot-Request-Timestamp"),
                                request.headers.get("X-HubSpot-Signature-v3"))
    except services.WebhookRejected as rejected:
        abort(401, message=rejected.message, errors={"signature": [rejected.reason]})
    try:
        events = json.loads(body)
    except ValueError:
        events = None
    if not isinstance(events, list):
        abort(400, message="The webhook body must be a JSON array of HubSpot events.")
    return services.accept_webhook_events(events)
