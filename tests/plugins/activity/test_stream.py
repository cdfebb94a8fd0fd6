"""The live stream in one process: live frames, heartbeats, Last-Event-ID replay, tickets, expiry, capacity."""
from __future__ import annotations

import datetime as dt
import time

import pytest

from pc_app.toolkit import new_id

from .stream_reading import activity_frames, parse_frames


class OpenStream:
    """A stream response read chunk by chunk (each chunk arrives within one heartbeat)."""

    def __init__(self, response):
        self.response = response
        self.chunks = iter(response.response)
        self.text = ""

    def read_until(self, predicate, max_chunks=60) -> list[dict]:
        for _ in range(max_chunks):
            try:
                self.text += next(self.chunks).decode()
            except StopIteration:
                break
            if predicate(parse_frames(self.text)):
                break
        return parse_frames(self.text)

    def close(self):
        self.response.close()


@pytest.fixture
def open_stream(client):
    opened = []

    def _open(headers=None, query=""):
        response = client.get(f"/v1/activities/stream{query}", headers=headers or {}, buffered=False)
        if response.status_code == 200:
            opened.append(OpenStream(response))
            return opened[-1]
        return response

    yield _open
    for stream in opened:
        stream.close()


def test_new_activities_arrive_live_with_heartbeats_between(activities, open_stream, seller):
    stream = open_stream(seller.headers)
    assert stream.response.mimetype == "text/event-stream"
    assert stream.response.headers["Cache-Control"] == "no-store"  # personal data: never stored by a cache
    frames = stream.read_until(lambda f: any(x.get("comment") == "heartbeat" for x in f))
    assert frames[0] == {"retry": "3000"}
    event = activities.emit("core.lead_created", [seller.partner_id], {"leadId": new_id()})
    activities.fan_out()
    frames = stream.read_until(lambda f: activity_frames(f))
    [frame] = activity_frames(frames)
    assert frame["data"]["eventId"] == event.id and frame["data"]["type"] == "core.lead_created"
    assert frame["id"] == frame["data"]["cursor"] and frame["data"]["read"] is False


def test_last_event_id_replays_exactly_what_was_missed(activities, open_stream, seller):
    for _ in range(3):
        activities.emit("core.lead_created", [seller.partner_id], {"leadId": new_id()})
    activities.fan_out()
    oldest, middle, newest = reversed(activities.feed(seller)["items"])
    stream = open_stream({**seller.headers, "Last-Event-ID": oldest["cursor"]})
    frames = stream.read_until(lambda f: any(x.get("comment") == "heartbeat" for x in f))
    assert [f["data"]["id"] for f in activity_frames(frames)] == [middle["id"], newest["id"]]
    bad = open_stream({**seller.headers, "Last-Event-ID": "garbage"})
    assert bad.status_code == 422 and "Last-Event-ID" in bad.get_json()["errors"]


def test_members_do_not_receive_owner_only_activities(activities, actors, open_stream, seller):
    member = actors.member(seller.partner)
    stream = open_stream(member.headers)
    activities.emit("core.partner_updated", [seller.partner_id], {"partnerId": seller.partner_id, "fields": ["name"]})
    activities.emit("core.lead_deleted", [seller.partner_id], {"leadId": new_id()})
    activities.fan_out()
    frames = stream.read_until(lambda f: activity_frames(f))
    assert [f["data"]["type"] for f in activity_frames(frames)] == ["core.lead_deleted"]


def test_a_ticket_opens_one_stream_once(client, actors, open_stream, seller):
    issued = client.post("/v1/activities/stream-ticket", headers=seller.headers)
    assert issued.status_code == 201 and issued.get_json()["expiresIn"] == 30
    ticket = issued.get_json()["ticket"]
    stream = open_stream(query=f"?ticket={ticket}")
    assert isinstance(stream, OpenStream)
    again = open_stream(query=f"?ticket={ticket}")
    assert again.status_code == 401 and "ticket" in again.get_json()["message"]
    assert open_stream(query="?ticket=made-up-ticket-value").status_code == 401
    assert open_stream().status_code == 401
    assert client.post("/v1/activities/stream-ticket", headers=actors.admin().headers).status_code == 403
    assert open_stream({"Authorization": "Bearer not-a-token"}).status_code == 401


def test_a_ticket_dies_with_the_session_it_came_from(client, open_stream, seller):
    ticket = client.post("/v1/activities/stream-ticket", headers=seller.headers).get_json()["ticket"]
    assert client.post("/v1/auth/sign-out", headers=seller.headers, json={}).status_code in (200, 204)
    assert open_stream(query=f"?ticket={ticket}").status_code == 401


def test_the_stream_ends_when_the_access_token_expires(app, open_stream, seller):
    with app.app_context():
        app.config["JWT_ACCESS_TOKEN_EXPIRES"] = dt.timedelta(seconds=1)
        from pc_app.auth import issue_tokens

        token = issue_tokens(seller.user)["accessToken"]
    started = time.monotonic()
    stream = open_stream({"Authorization": f"Bearer {token}"})
    frames = stream.read_until(lambda f: any(x.get("event") == "reauthenticate" for x in f))
    assert frames[-1]["event"] == "reauthenticate" and time.monotonic() - started < 2.5
    with pytest.raises(StopIteration):
        next(stream.chunks)


def test_a_full_process_answers_503_and_frees_the_slot_when_a_stream_closes(app, open_stream, seller):
    app.config["ACTIVITY_STREAMS_PER_PROCESS"] = 1
    app.extensions.pop("activity_stream_hub", None)
    first = open_stream(seller.headers)
    second = open_stream(seller.headers)
    assert second.status_code == 503 and second.headers["Retry-After"]
    first.close()
    assert isinstance(open_stream(seller.headers), OpenStream)


def test_a_stream_that_is_never_read_frees_its_slot(app, client, open_stream, seller):
    app.config["ACTIVITY_STREAMS_PER_PROCESS"] = 1
    app.extensions.pop("activity_stream_hub", None)
    head = client.head("/v1/activities/stream", headers=seller.headers)
    assert head.status_code == 200 and app.extensions["activity_stream_hub"].count == 1
    head.close()  # what a WSGI server does once the (empty) HEAD answer is sent
    assert app.extensions["activity_stream_hub"].count == 0
    assert isinstance(open_stream(seller.headers), OpenStream)
