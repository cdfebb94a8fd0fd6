"""The internal cron endpoint: Kubernetes CronJobs start any periodic job by its id."""
import marshmallow as ma
import redis
from flask import current_app, request

from ...api import Blueprint, ResponseSchema, abort, requires_security
from ...auth import cron_secret_matches
from ...jobs import enqueue_job_spec, registered_job_specs

cron_blp = Blueprint("cron", __name__, url_prefix="/v1/internal/cron",
                     description="Start periodic jobs from an external scheduler (X-Cron-Secret)")


class CronStartedSchema(ResponseSchema):
    jobId = ma.fields.String(metadata={"description": "Id of the queued RQ job"})


def _job_specs() -> dict:
    specs = current_app.extensions.get("pc_job_specs")
    if specs is None:
        specs = current_app.extensions["pc_job_specs"] = registered_job_specs(current_app)
    return specs


@cron_blp.route("/<job_id>", methods=["POST"])
@requires_security([{"cronSecret": []}])
@cron_blp.response(202, CronStartedSchema)
@cron_blp.errors(404)
def start_periodic_job(job_id):
    """Queue one run of a periodic job now; answers 404 alike for a wrong secret and an unknown job."""
    # One answer for both failures, so the endpoint reveals nothing to a caller without the secret.
    spec = _job_specs().get(job_id) if cron_secret_matches(request.headers.get("X-Cron-Secret")) else None
    if spec is None:
        abort(404, message="Not found.")
    try:
        job = enqueue_job_spec(spec)
    except redis.RedisError:
        abort(503, message="The job queue (Redis) is unreachable; try again.")
    return {"jobId": job.id}
