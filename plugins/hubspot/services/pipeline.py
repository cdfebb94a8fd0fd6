"""A partner's connection status, its "Partner Connector" deal pipeline and stage mapping, and disconnecting."""
from __future__ import annotations

import logging

from pc_app.toolkit import utcnow, vocabulary

from ..models import HubSpotConnection
from .client_factory import HubSpotClientFactory
from .errors import HubSpotError, HubSpotUnavailable, NotConnected, api_status, upstream_failure

log = logging.getLogger("plugins.hubspot")

PIPELINE_LABEL = "Partner Connector"
# (stage label, metadata, dealStatus values mapped to it) — one stage per dealStatus group.
PIPELINE_STAGES = (
    ("New", {"probability": "0.1", "isClosed": "false"}, ("new",)),
    ("Scheduled", {"probability": "0.3", "isClosed": "false"}, ("scheduled",)),
    ("In touch", {"probability": "0.6", "isClosed": "false"}, ("in_touch",)),
    ("Won", {"probability": "1.0", "isClosed": "true"}, ("won",)),
    ("Lost", {"probability": "0.0", "isClosed": "true"}, ("lost_no_show", "lost_disqualified", "lost_no_potential")),
)
MANUAL_STEPS = (
    "In HubSpot, open Settings > Objects > Deals > Pipelines.",
    f"Create a deal pipeline named \u201c{PIPELINE_LABEL}\u201d.",
    "Give it the stages New, Scheduled, In touch, Won (closed won, probability 100 %) and Lost (closed lost, "
    "probability 0 %), in this order.",
    "Back in Partner Connector, press \u201cCreate pipeline\u201d again: the existing pipeline is found and mapped.",
)


class PipelineSetupFailed(HubSpotUnavailable):
    """The pipeline could not be created or found (502 with ``manualSteps`` the UI can show)."""

    def __init__(self, message: str, reason: str = "pipeline_failed"):
        super().__init__(f"HubSpot did not let us set up the pipeline: {message} You can create it by hand.",
                         reason, extra={"manualSteps": list(MANUAL_STEPS)})
        self.detail = message


def _pipeline_input():
    from hubspot.crm.pipelines import PipelineInput, PipelineStageInput

    return PipelineInput(label=PIPELINE_LABEL, display_order=99, stages=[
        PipelineStageInput(label=label, display_order=i, metadata=dict(metadata))
        for i, (label, metadata, _statuses) in enumerate(PIPELINE_STAGES)])


def _mapping_from_stages(stages) -> dict:
    by_label = {s.label.strip().lower(): s.id for s in stages if not getattr(s, "archived", False)}
    mapping, missing = {}, []
    for label, _metadata, statuses in PIPELINE_STAGES:
        stage_id = by_label.get(label.lower())
        if stage_id is None:
            missing.append(label)
        for status in statuses:
            mapping[status] = stage_id
    if missing:
        raise PipelineSetupFailed(f"The \u201c{PIPELINE_LABEL}\u201d pipeline in HubSpot lacks the stages "
                                  f"{', '.join(missing)}.", "pipeline_incomplete")
    return mapping


def _find_pipeline(client):
    for pipeline in client.crm.pipelines.pipelines_api.get_all("deals").results:
        if pipeline.label.strip().lower() == PIPELINE_LABEL.lower() and not pipeline.archived:
            return pipeline
    return None


def ensure_pipeline(partner_id: str) -> dict:
    """Find the "Partner Connector" deal pipeline by label or create it; store the stage mapping.

    Idempotent: a second call (or a concurrent one whose create HubSpot refuses as a duplicate)
    finds the existing pipeline instead of adding another.
    """
    def find_or_create(client):
        pipeline = _find_pipeline(client)
        if pipeline is not None:
            return pipeline, False
        try:
            return client.crm.pipelines.pipelines_api.create("deals", _pipeline_input()), True
        except Exception as exc:
            if api_status(exc) not in (400, 409):
                raise
            pipeline = _find_pipeline(client)
            if pipeline is None:
                raise
            return pipeline, False

    factory = HubSpotClientFactory()
    try:
        pipeline, created = factory.call(partner_id, find_or_create)
    except NotConnected:
        raise
    except HubSpotError as exc:
        raise PipelineSetupFailed(exc.message, "pipeline_failed") from None
    except Exception as exc:
        failure = upstream_failure(exc, "creating the deal pipeline")
        raise PipelineSetupFailed(failure.message, "pipeline_failed") from None
    mapping = _mapping_from_stages(pipeline.stages)
    HubSpotConnection.objects(partner=str(partner_id)).update_one(
        set__pipeline_id=str(pipeline.id), set__stage_mapping=mapping, set__updated_at=utcnow())
    return {"pipelineId": str(pipeline.id), "stageMapping": mapping, "created": created}


class MappingInvalid(HubSpotError):
    """The stage mapping names statuses or stages that do not exist (422; ``errors`` says which)."""
    status = 422

    def __init__(self, errors: dict):
        super().__init__("The stage mapping is invalid.", "mapping_invalid", errors=errors)


def set_stage_mapping(partner_id: str, pipeline_id: str | None, mapping: dict) -> dict:
    """Map every dealStatus to a stage of an existing pipeline (the current one unless named)."""
    errors: dict = {}
    unknown = sorted(set(mapping) - set(vocabulary.DEAL_STATUSES))
    if unknown:
        errors["stageMapping"] = [f"Unknown dealStatus: {', '.join(unknown)}."]
    missing = [s for s in vocabulary.DEAL_STATUSES if s not in mapping]
    if missing:
        errors.setdefault("stageMapping", []).append(f"Every dealStatus needs a stage; missing: {', '.join(missing)}.")
    if errors:
        raise MappingInvalid(errors)
    connection = HubSpotConnection.objects(partner=str(partner_id)).first()
    pipeline_id = pipeline_id or (connection.pipeline_id if connection else None)
    if not pipeline_id:
        raise NotConnected("There is no pipeline yet: create it first or name an existing one.", "no_pipeline")
    try:
        pipeline = HubSpotClientFactory().call(
            partner_id, lambda client: client.crm.pipelines.pipelines_api.get_by_id("deals", pipeline_id))
    except HubSpotError:
        raise
    except Exception as exc:
        if api_status(exc) == 404:
            raise MappingInvalid({"pipelineId": [f"HubSpot has no deal pipeline {pipeline_id}."]}) from None
        raise upstream_failure(exc, "reading the deal pipeline") from None
    stage_ids = {s.id for s in pipeline.stages}
    wrong = sorted({str(v) for v in mapping.values()} - stage_ids)
    if wrong:
        raise MappingInvalid({"stageMapping": [f"Not stages of pipeline {pipeline_id}: {', '.join(wrong)}."]})
    clean = {status: str(mapping[status]) for status in vocabulary.DEAL_STATUSES}
    HubSpotConnection.objects(partner=str(partner_id)).update_one(
        set__pipeline_id=str(pipeline_id), set__stage_mapping=clean, set__updated_at=utcnow())
    return {"pipelineId": str(pipeline_id), "stageMapping": clean}
