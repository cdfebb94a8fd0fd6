"""The "Partner Connector" deal pipeline: idempotent creation, failure with manual steps, retries, mapping."""


def _pipelines_named(sandbox, portal, label="Partner Connector"):
    return [p for p in sandbox.admin.portal(portal)["pipelines"] if p["label"] == label]


def test_create_pipeline_is_idempotent_and_finds_it_by_label(client, connected, sandbox, stored):
    owner, portal = connected
    first_id = stored(owner.partner_id).pipeline_id
    response = client.post(f"/v1/integrations/hubspot/{owner.partner_id}/create-pipeline", headers=owner.headers)
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["created"] is False and body["pipelineId"] == first_id
    assert len(_pipelines_named(sandbox, portal)) == 1
    [pipeline] = _pipelines_named(sandbox, portal)
    stage_ids = {s["label"]: s["id"] for s in pipeline["stages"]}
    assert body["stageMapping"] == {
        "new": stage_ids["New"], "scheduled": stage_ids["Scheduled"], "in_touch": stage_ids["In touch"],
        "won": stage_ids["Won"], "lost_no_show": stage_ids["Lost"], "lost_disqualified": stage_ids["Lost"],
        "lost_no_potential": stage_ids["Lost"]}
    won, lost = (next(s for s in pipeline["stages"] if s["label"] == label) for label in ("Won", "Lost"))
    assert won["metadata"] == {"probability": "1.0", "isClosed": "true"}
    assert lost["metadata"] == {"probability": "0.0", "isClosed": "true"}


def test_pipeline_failure_answers_502_with_manual_steps(client, flow, actors, sandbox, stored):
    owner = actors.partner_owner()
    portal = sandbox.admin.create_portal()
    sandbox.admin.fail_next(500, count=None, path="/crm/v3/pipelines")
    outcome = flow.connect(owner, portal)
    # The connection itself succeeds; the UI is told the pipeline still needs doing.
    assert outcome == {"status": "success", "pipeline": "failed", "portal": portal}
    assert stored(owner.partner_id).pipeline_id is None

    response = client.post(f"/v1/integrations/hubspot/{owner.partner_id}/create-pipeline", headers=owner.headers)
    assert response.status_code == 502
    body = response.get_json()
    assert body["code"] == 502 and "HubSpot" in body["message"]
    assert any("Partner Connector" in step for step in body["manualSteps"])
    assert stored(owner.partner_id).pipeline_id is None

    sandbox.admin.clear_faults()
    retried = client.post(f"/v1/integrations/hubspot/{owner.partner_id}/create-pipeline", headers=owner.headers)
    assert retried.status_code == 200 and retried.get_json()["created"] is True


def test_rate_limited_calls_are_retried_honouring_retry_after(client, connected, sandbox):
    owner, portal = connected
    sandbox.admin.fail_next(429, count=2, path="/crm/v3/pipelines", retry_after=1)
    response = client.post(f"/v1/integrations/hubspot/{owner.partner_id}/create-pipeline", headers=owner.headers)
    assert response.status_code == 200, response.get_json()
    statuses = [c["status"] for c in sandbox.admin.calls(portal=portal, route="/crm/v3/pipelines")]
    assert statuses[-3:] == [429, 429, 200]


def test_the_portal_rate_limit_is_waited_out_with_backoff(app, client, connected, sandbox):
    owner, portal = connected
    sandbox.admin.configure(rateLimitMax=1, rateLimitWindowSeconds=0.2)
    app.config.update(HUBSPOT_RETRY_ATTEMPTS=10)  # backoff capped at 50 ms: up to ~0.5 s of patience
    for _ in range(2):
        response = client.post(f"/v1/integrations/hubspot/{owner.partner_id}/create-pipeline", headers=owner.headers)
        assert response.status_code == 200, response.get_json()
    statuses = [c["status"] for c in sandbox.admin.calls(portal=portal, route="/crm/v3/pipelines")]
    assert 429 in statuses  # HubSpot said no (without Retry-After) ...
    assert statuses[-1] == 200  # ... and backing off got through


def test_rate_limit_that_outlasts_the_retries_is_a_502(client, connected, sandbox):
    owner, portal = connected
    sandbox.admin.fail_next(429, count=None, path="/crm/v3/pipelines")
    response = client.post(f"/v1/integrations/hubspot/{owner.partner_id}/create-pipeline", headers=owner.headers)
    assert response.status_code == 502
    assert "429" in response.get_json()["message"]
    attempts = [c for c in sandbox.admin.calls(portal=portal, route="/crm/v3/pipelines") if c["status"] == 429]
    assert len(attempts) == 4  # the first try and HUBSPOT_RETRY_ATTEMPTS=3 retries


def test_create_pipeline_needs_a_connection(client, actors):
    owner = actors.partner_owner()
    response = client.post(f"/v1/integrations/hubspot/{owner.partner_id}/create-pipeline", headers=owner.headers)
    assert response.status_code == 409


def test_stage_mapping_for_an_existing_pipeline(client, connected, sandbox, stored):
    owner, portal = connected
    default = next(p for p in sandbox.admin.portal(portal)["pipelines"] if p["id"] == "default")
    ids = [s["id"] for s in default["stages"]]
    mapping = {"new": ids[0], "scheduled": ids[1], "in_touch": ids[2], "won": "closedwon",
               "lost_no_show": "closedlost", "lost_disqualified": "closedlost", "lost_no_potential": "closedlost"}
    response = client.put(f"/v1/integrations/hubspot/{owner.partner_id}/stage-mapping", headers=owner.headers,
                          json={"pipelineId": "default", "stageMapping": mapping})
    assert response.status_code == 200, response.get_json()
    assert response.get_json() == {"pipelineId": "default", "stageMapping": mapping}
    assert stored(owner.partner_id).stage_mapping == mapping
    assert stored(owner.partner_id).pipeline_id == "default"


def test_stage_mapping_names_what_is_wrong(client, connected):
    owner, _portal = connected
    url = f"/v1/integrations/hubspot/{owner.partner_id}/stage-mapping"
    incomplete = client.put(url, headers=owner.headers, json={"stageMapping": {"new": "1", "bogus": "2"}})
    assert incomplete.status_code == 422
    messages = " ".join(incomplete.get_json()["errors"]["stageMapping"])
    assert "bogus" in messages and "lost_no_show" in messages

    everything = dict.fromkeys(["new", "scheduled", "in_touch", "won", "lost_no_show", "lost_disqualified",
                                "lost_no_potential"], "not-a-stage")
    wrong_stage = client.put(url, headers=owner.headers, json={"stageMapping": everything})
    assert wrong_stage.status_code == 422 and "not-a-stage" in wrong_stage.get_json()["errors"]["stageMapping"][0]
    wrong_pipeline = client.put(url, headers=owner.headers, json={"pipelineId": "777", "stageMapping": everything})
    assert wrong_pipeline.status_code == 422 and "pipelineId" in wrong_pipeline.get_json()["errors"]
    unknown_field = client.put(url, headers=owner.headers, json={"stageMapping": everything, "extra": 1})
    assert unknown_field.status_code == 422 and "extra" in unknown_field.get_json()["errors"]
