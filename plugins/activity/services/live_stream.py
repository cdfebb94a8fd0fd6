"""The live stream: activities published on Redis pub/sub, one subscription per API process, SSE frames per client.

Every fan-out publishes each new activity on one Redis channel. Each API process keeps a single
subscriber thread (the ``StreamHub``) that hands messages to the streams of that process whose
user may see them, so a pod holds hundreds of streams on one Redis connection. A stream first
registers with the hub (which is subscribed by then), then replays from the database what came
after ``Last-Event-ID``, then forwards live messages, skipping what the replay already sent:
nothing published in between is lost. If the hub loses Redis, it tells every stream to replay
from its last position once it is back.
"""
from __future__ import annotations

import hashlib
import json
import logging
import queue
import secrets
import threading
import time
from dataclasses import dataclass, field

import redis

from pc_app.toolkit import Unauthorized, UpstreamUnavailable, User, get_redis, session_is_live

from . import feed

log = logging.getLogger("plugins.activity.stream")

CHANNEL = "pc:activity:live"
TICKET_PREFIX = "pc:activity:ticket:"
RESYNC = object()


def publish(partner_id: str, audience: str, item: dict) -> None:
    """Tell every API process about a new activity (best effort: the feed has it either way)."""
    try:
        get_redis().publish(CHANNEL, json.dumps({"partnerId": partner_id, "audience": audience, "activity": item}))
    except redis.RedisError:
        log.warning("could not publish activity %s; live streams get it on their next replay", item["id"])


@dataclass(frozen=True)
class Viewer:
    """Who a stream serves: enough to filter messages and replay, without the request's objects."""
    id: str
    partner: str
    is_partner_owner: bool
    expires_at: float  # the access token's exp (unix seconds)

    @property
    def audiences(self) -> list[str]:
        return ["members", "owners"] if self.is_partner_owner else ["members"]


@dataclass(eq=False)
class Listener:
    viewer: Viewer
    inbox: queue.Queue = field(default_factory=queue.Queue)


class StreamHub:
    """One Redis subscription per process, fanned out to the process's streams by partner."""

    def __init__(self, redis_url: str, capacity: int):
        self.redis_url = redis_url
        self.capacity = capacity
        self._lock = threading.Lock()
        self._listeners: dict[str, set[Listener]] = {}
        self._count = 0
        self._thread: threading.Thread | None = None
        self._subscribed = threading.Event()

    @property
    def count(self) -> int:
        return self._count

    def register(self, viewer: Viewer, wait_s: float = 5.0) -> Listener:
        """A listener for the viewer's partner, once the hub is subscribed; 503 when the process is full."""
        listener = Listener(viewer)
        with self._lock:
            if self._count >= self.capacity:
                raise UpstreamUnavailable("The live stream", "This server holds as many live streams as it can; "
                                                             "reconnect in a few seconds.")
            self._listeners.setdefault(viewer.partner, set()).add(listener)
            self._count += 1
            if self._thread is None or not self._thread.is_alive():
                self._subscribed.clear()
                self._thread = threading.Thread(target=self._run, name="activity-stream-hub", daemon=True)
                self._thread.start()
        if not self._subscribed.wait(wait_s):
            self.unregister(listener)
            raise UpstreamUnavailable("Redis", "The live stream cannot reach Redis; reconnect in a few seconds.")
        return listener

    def unregister(self, listener: Listener) -> None:
        with self._lock:
            group = self._listeners.get(listener.viewer.partner)
            if group and listener in group:
                group.discard(listener)
                self._count -= 1
                if not group:
                    del self._listeners[listener.viewer.partner]

    def _dispatch(self, message: dict) -> None:
        with self._lock:
            group = list(self._listeners.get(message.get("partnerId"), ()))
        for listener in group:
            if message.get("audience") in listener.viewer.audiences:
                listener.inbox.put(message["activity"])

    def _resync_all(self) -> None:
        with self._lock:
            everyone = [listener for group in self._listeners.values() for listener in group]
        for listener in everyone:
            listener.inbox.put(RESYNC)

    def _idle(self) -> bool:
        with self._lock:
            if self._count == 0:
                self._thread = None  # the next register starts a fresh thread
                return True
            return False

    def _run(self) -> None:
        lost = False
        while True:
            client = redis.Redis.from_url(self.redis_url, socket_connect_timeout=3, health_check_interval=30)
            pubsub = client.pubsub(ignore_subscribe_messages=True)
            try:
                pubsub.subscribe(CHANNEL)
                if lost:
                    self._resync_all()  # messages may have been published while we were away
                self._subscribed.set()
                while not self._idle():
                    message = pubsub.get_message(timeout=1.0)
                    if message and message.get("type") == "message":
                        try:
                            self._dispatch(json.loads(message["data"]))
                        except (ValueError, KeyError, TypeError):
                            log.warning("ignored a malformed live activity message")
                return
            except redis.RedisError as exc:
                log.warning("live stream hub lost Redis (%s); reconnecting", type(exc).__name__)
                lost = True
                if self._idle():
                    return
                time.sleep(1.0)
            finally:
                try:
                    pubsub.close()
                    client.close()
                except redis.RedisError:
                    pass


def hub_for(app) -> StreamHub:
    hub = app.extensions.get("activity_stream_hub")
    if hub is None:
        with _HUB_LOCK:
            hub = app.extensions.get("activity_stream_hub")
            if hub is None:
                hub = StreamHub(app.config["REDIS_URL"], app.config["ACTIVITY_STREAMS_PER_PROCESS"])
                app.extensions["activity_stream_hub"] = hub
    return hub


_HUB_LOCK = threading.Lock()


def _ticket_key(ticket: str) -> str:
    return TICKET_PREFIX + hashlib.sha256(ticket.encode()).hexdigest()


def issue_ticket(user, claims: dict, ttl_s: int) -> str:
    """A single-use ticket for ``EventSource`` (which cannot send headers); only its hash is stored."""
    ticket = secrets.token_urlsafe(32)
    get_redis().set(_ticket_key(ticket), json.dumps({"userId": str(user.id), "exp": int(claims["exp"]),
                                                     "sv": int(claims.get("sv", 0)), "sid": claims.get("sid")}),
                    ex=ttl_s)
    return ticket


def redeem_ticket(ticket: str) -> Viewer:
    """The viewer a ticket was issued to; it works once, within its lifetime, for an active user."""
    from pc_app.toolkit import is_object_id

    raw = get_redis().getdel(_ticket_key(ticket)) if 8 <= len(ticket) <= 200 else None
    if raw is None:
        raise Unauthorized("This stream ticket is unknown, used or expired; ask for a new one.")
    data = json.loads(raw)
    user = User.objects(id=data["userId"]).first() if is_object_id(data.get("userId")) else None
    # A session signed out since the ticket was issued must not start streaming.
    revoked = not session_is_live({"sid": data.get("sid")})
    if user is None or not user.is_active or (user.session_version or 0) != data.get("sv", 0) or revoked:
        raise Unauthorized("This session is no longer valid; sign in again.")
    return viewer_of(user, data["exp"])


def viewer_of(user, expires_at: float) -> Viewer:
    return Viewer(str(user.id), str(user.partner), bool(user.is_partner_owner), float(expires_at))


def frame(item: dict) -> str:
    return f"id: {item['cursor']}\nevent: activity\ndata: {json.dumps(item, separators=(',', ':'))}\n\n"


def _replay(viewer: Viewer, position: tuple[int, str] | None) -> list[dict]:
    if position is None:
        return []
    return feed.replay_after(_ViewerAsUser(viewer), *position)


@dataclass(frozen=True)
class _ViewerAsUser:
    """What the feed's filters read from a user."""
    viewer: Viewer

    @property
    def id(self):
        return self.viewer.id

    @property
    def partner(self):
        return self.viewer.partner

    @property
    def is_partner_owner(self):
        return self.viewer.is_partner_owner


def position_of(cursor: str | None) -> tuple[int, str] | None:
    return feed.decode_cursor(cursor, "Last-Event-ID") if cursor else None


class StreamBody:
    """The response iterable: the frames, and a ``close`` that frees the stream's slot even if never read.

    WSGI servers call ``close`` when the client goes away or the response ends; a generator that
    never started (a HEAD request, a client gone at once) would not run its ``finally``.
    """

    def __init__(self, hub: StreamHub, listener: Listener, frames):
        self.hub, self.listener, self.frames = hub, listener, frames

    def __iter__(self):
        return self.frames

    def close(self) -> None:
        self.frames.close()
        self.hub.unregister(self.listener)


def stream(hub: StreamHub, listener: Listener, position: tuple[int, str] | None, heartbeat_s: float,
           max_seconds: float, retry_ms: int = 3000) -> StreamBody:
    """The SSE body: replay, then live activities, heartbeat comments, and an end at token expiry."""
    return StreamBody(hub, listener, _frames(hub, listener, position, heartbeat_s, max_seconds, retry_ms))


def _frames(hub: StreamHub, listener: Listener, position, heartbeat_s: float, max_seconds: float, retry_ms: int):
    viewer = listener.viewer
    deadline = min(viewer.expires_at, time.time() + max_seconds)
    sent: set[str] = set()
    replay_from = position
    # Without Last-Event-ID there is nothing to replay, but a later resync starts from now.
    position = position or (feed.now_ms(), "0" * 24)
    try:
        yield f"retry: {retry_ms}\n\n"
        for item in _replay(viewer, replay_from):
            sent.add(item["id"])
            position = feed.decode_cursor(item["cursor"])
            yield frame(item)
        while True:
            remaining = deadline - time.time()
            if remaining <= 0:
                # The client reconnects with a fresh token (or ticket) and its Last-Event-ID.
                yield "event: reauthenticate\ndata: {}\n\n"
                return
            try:
                item = listener.inbox.get(timeout=min(heartbeat_s, remaining))
            except queue.Empty:
                if time.time() < deadline:
                    yield ": heartbeat\n\n"
                continue
            if item is RESYNC:
                items = _replay(viewer, position)
            else:
                items = [item]
            for each in items:
                if each["id"] in sent:
                    continue
                sent.add(each["id"])
                position = feed.decode_cursor(each["cursor"])
                yield frame(each)
    finally:
        hub.unregister(listener)
