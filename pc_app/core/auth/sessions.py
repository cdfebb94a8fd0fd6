"""Sign-in sessions in Redis: one key per session, holding the jti of its one live refresh token.

Both tokens of a sign-in carry the session id (``sid``). A session lives exactly as long as
its refresh token may (the key's TTL), so Redis never keeps a dead session, and every
gunicorn worker and pod sees the same state. Signing out deletes the key: every token of the
session dies with it. Refreshing swaps the stored jti in one atomic step (a Lua script), so
of two uses of one refresh token exactly one rotates; the other is reuse.
"""
from __future__ import annotations

import secrets
import uuid
from enum import Enum

from ...redis_client import get_redis

SESSION_PREFIX = "pc:auth:session:"

# Compare-and-swap of the live refresh jti. A jti that is not the live one is reuse of a
# rotated token (RFC 9700 §4.14.2): the session ends, whoever presented it.
_ROTATE = """
local live = redis.call('GET', KEYS[1])
if not live then return 0 end
if live == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[2], 'KEEPTTL')
  return 1
end
redis.call('DEL', KEYS[1])
return -1
"""


class Rotation(Enum):
    ROTATED = 1
    GONE = 0      # signed out, expired, or ended earlier
    REUSED = -1   # a rotated refresh token came back: the session has just been ended


def session_key(session_id: str) -> str:
    return SESSION_PREFIX + session_id


def new_refresh_jti() -> str:
    return str(uuid.uuid4())


def start_session(ttl_seconds: int) -> tuple[str, str]:
    """A new session and the jti of its first refresh token."""
    session_id, jti = secrets.token_urlsafe(16), new_refresh_jti()
    get_redis().set(session_key(session_id), jti, ex=max(int(ttl_seconds), 1))
    return session_id, jti


def live_refresh_jti(session_id: str | None) -> str | None:
    """The jti of the session's live refresh token, or None once the session has ended."""
    if not session_id or not isinstance(session_id, str):
        return None
    value = get_redis().get(session_key(session_id))
    return value.decode() if isinstance(value, bytes) else value


def rotate(session_id: str, presented_jti: str, new_jti: str) -> Rotation:
    """Make ``new_jti`` the live refresh token if ``presented_jti`` still is; else end the session."""
    outcome = get_redis().register_script(_ROTATE)(keys=[session_key(session_id)], args=[presented_jti, new_jti])
    return Rotation(int(outcome))


def end_session(session_id: str | None) -> None:
    if session_id and isinstance(session_id, str):
        get_redis().delete(session_key(session_id))


def seconds_left(session_id: str) -> int:
    """How long the session (and its refresh token) still lives; 0 when it has ended."""
    return max(int(get_redis().ttl(session_key(session_id))), 0)
