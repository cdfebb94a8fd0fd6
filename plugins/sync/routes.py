"""HTTP routes of the sync: trigger a sync, follow a task, list and resolve conflicts."""
from __future__ import annotations

from flask.views import MethodView

from pc_app.toolkit import Blueprint, current_actor, login_required, page_answer, partner_for_request, partner_scope

from . import jobs, services
from .schemas import (ConflictPageSchema, ConflictQueryArgsSchema, ConflictSchema, ResolveSchema, TaskPageSchema,
                      TaskQueryArgsSchema, TaskQueuedSchema, TaskSchema)

blp = Blueprint("sync", __name__, url_prefix="/v1/sync",
                description="Leads kept in step with HubSpot deals: tasks and conflicts")


@blp.route("/<objectid:partner_id>/hubspot", methods=["POST"])
@login_required
@blp.response(202, TaskQueuedSchema)
@blp.errors(401, 404, 409)
@blp.doc(operationId="startHubspotSync")
def trigger_sync(partner_id):
    """Sync the partner's leads with its HubSpot deals now (the partner's members may).

    One task runs per partner: while one runs, this answers that task. 409 when HubSpot is not connected.
    """
    partner = partner_for_request(partner_id)
    task = jobs.start_sync(partner.id, "manual", current_actor())
    return {"taskId": task.id, "status": task.status}


@blp.route("/tasks")
class Tasks(MethodView):
    @login_required
    @blp.arguments(TaskQueryArgsSchema, location="query")
    @blp.response(200, TaskPageSchema)
    @blp.errors(401, 404, 422)
    @blp.doc(operationId="listSyncTasks")
    def get(self, args):
        """Your partner's sync tasks, newest first (platform staff: every partner's, or ``partnerId``'s)."""
        query = services.task_query(partner_scope(), args.get("partnerId"), args.get("status"))
        return page_answer(query, args["page"], args["perPage"], TaskPageSchema)


@blp.route("/tasks/<objectid:task_id>")
@login_required
@blp.response(200, TaskSchema)
@blp.errors(401, 404)
@blp.doc(operationId="getSyncTask")
def get_task(task_id):
    """A task: status, progress, counts, errors, timestamps."""
    return services.visible_task(partner_scope(), task_id)


@blp.route("/conflicts")
class Conflicts(MethodView):
    @login_required
    @blp.arguments(ConflictQueryArgsSchema, location="query")
    @blp.response(200, ConflictPageSchema)
    @blp.errors(401, 404, 422)
    @blp.doc(operationId="listSyncConflicts")
    def get(self, args):
        """Your partner's conflicts, newest first; ``status=open`` for those waiting for a person."""
        query = services.conflict_query(partner_scope(), args.get("status"), args.get("partnerId"),
                                        args.get("leadId"))
        return page_answer(query, args["page"], args["perPage"], ConflictPageSchema)


@blp.route("/conflicts/<objectid:conflict_id>")
@login_required
@blp.response(200, ConflictSchema)
@blp.errors(401, 404)
@blp.doc(operationId="getSyncConflict")
def get_conflict(conflict_id):
    """One conflict, side by side: each field's PC value, HubSpot value, value at the last sync, when each changed."""
    return services.visible_conflict(partner_scope(), conflict_id)


@blp.route("/conflicts/<objectid:conflict_id>/resolve", methods=["POST"])
@login_required
@blp.arguments(ResolveSchema)
@blp.response(200, ConflictSchema)
@blp.errors(401, 404, 409, 422, 502)
@blp.doc(operationId="resolveSyncConflict")
def resolve_conflict(data, conflict_id):
    """Resolve: ``use_pc``, ``use_hubspot`` or ``merge`` (a value per field); written to both sides.

    The lead's sync resumes. Resolving twice is a 409; a HubSpot failure is a 502 and changes nothing.
    """
    conflict = services.resolve(partner_scope(), conflict_id, data["resolution"], data.get("values"),
                                current_actor())
    services.add_pending_deals(conflict.partner, [conflict.deal_id])
    jobs.start_sync(conflict.partner, "resolution", current_actor())
    return conflict
