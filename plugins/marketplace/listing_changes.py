"""Changes to what buyers can browse (a listing made, reserved, delisted, relisted, repriced, edited), moved in what they learnt.

Browse keeps what each buyer's visit learnt (``browse.PatternKnowledge``: counts and first rows of
each score pattern) per listings version. A reservation or a delisting used to bump that version,
so after each one every buyer's next browse was a first visit again: three round trips at 100,000
listings, and, in a marketplace where leads are listed and reserved every second, nearly every
visit. Such a change moves one row out of browse, into it, or both (a reprice, an edit): as long
as it brings no job title browse has not seen (the patterns are built from the listed titles), what
was learnt stays true once that row is moved. This module tells the knowledge which rows moved
since it was saved.

The protocol, so that a row is moved exactly once whatever the interleaving:

- ``changing(write, rows_of)`` *announces* a change before its conditional write (``SEQ_KEY``,
  the number of changes announced, and ``PENDING_KEY``, the changes in flight with the time they
  began), and *settles* it after: the rows under its number in ``ROWS_KEY`` (the row as browse
  read it before, as it reads it after, either missing when it is not in browse then; an empty
  value when the write changed nothing: a lost race, a lead deleted that was not listed;
  ``MAYBE`` when the write raised, so whether it changed anything is not known), out of the
  pending set, ``SETTLED_KEY`` bumped and, unless nothing changed, ``DONE_KEY``. A change that
  needs a member of a set (``needs``: a title among the listed titles) and finds it missing is
  settled as ``MAYBE``, and its caller bumps the listings version instead. A change in
  flight for longer than ``IN_FLIGHT_MS`` (its process died, or stalled) is settled as
  ``MAYBE`` by the next settle; if it settles after all, the listings version is bumped.
- Knowledge saved at number ``l`` applies, when it is next loaded, the changes of ``(l, seq]``
  (``changes_since``; one still in flight is left out, and the knowledge is then not saved). A number neither
  settled nor in flight (older than the ``KEPT_CHANGES`` last), or a ``MAYBE``, cannot be told:
  the knowledge is dropped and learnt again. Which are in flight is read only when fewer changes
  settled than were announced (``in_flight``): a load costs one ``MGET``, as the version alone did.
- Knowledge is saved only when no change was in flight when it loaded and none was announced
  since (``SEQ_KEY`` unchanged): a write that may have overlapped its database reads was
  announced before they ended, so the reads never hold a change that a later load would apply
  again, and every change up to ``l`` is in what is saved.
- A kept browse answer depends on ``DONE_KEY``: an answer built while a change was in flight is
  not served after it settled, and a write that changed nothing ends no answer.
"""
from __future__ import annotations

import logging
import time
from collections.abc import Callable

import bson
from redis.exceptions import RedisError

from pc_app.toolkit import get_redis

log = logging.getLogger("plugins.marketplace.listing_changes")

SEQ_KEY = "pc:marketplace:changes-seq"
DONE_KEY = "pc:marketplace:changes-done"
SETTLED_KEY = "pc:marketplace:changes-settled"
ROWS_KEY = "pc:marketplace:changes-rows"
PENDING_KEY = "pc:marketplace:changes-pending"
# The rows of the last this many changes are kept (a buyer's knowledge lives 60 s between saves).
KEPT_CHANGES = 1000
ROWS_TTL_SECONDS = 24 * 3600
# Settled for a write that raised: it may have been applied (a connection lost after the server
# wrote), so what was learnt before it is learnt again.
MAYBE = b"?"
# A change in flight longer than this is taken to have died between its announce and its settle.
IN_FLIGHT_MS = 30_000
# Knowledge that would apply more changes than this at one load is learnt again instead.
MOST_AT_ONCE = 200

# KEYS: seq, pending. ARGV: now (ms). The change's number.
_ANNOUNCE = """
local seq = redis.call('incr', KEYS[1])
redis.call('zadd', KEYS[2], ARGV[1], seq)
return seq
"""
# KEYS: rows, pending, done, settled, the set of ``needs`` (or any key). ARGV: the number, the rows
# (or ""), changes kept, rows TTL, now - in flight ms, MAYBE, the member it needs (or ""). First the
# changes in flight too long are settled as MAYBE; then this one, unless it was among them, and as
# MAYBE when the member it needs is missing (0: the caller bumps the listings version).
_SETTLE = """
for _, stale in ipairs(redis.call('zrangebyscore', KEYS[2], '-inf', '(' .. ARGV[5])) do
  redis.call('zrem', KEYS[2], stale)
  redis.call('hset', KEYS[1], stale, ARGV[6])
  redis.call('incr', KEYS[4])
  redis.call('incr', KEYS[3])
end
if redis.call('zrem', KEYS[2], ARGV[1]) == 0 then return 0 end
redis.call('hdel', KEYS[1], tostring(tonumber(ARGV[1]) - tonumber(ARGV[3])))
redis.call('expire', KEYS[1], ARGV[4])
redis.call('incr', KEYS[4])
if ARGV[7] ~= '' and ARGV[2] ~= '' and redis.call('sismember', KEYS[5], ARGV[7]) == 0 then
  redis.call('hset', KEYS[1], ARGV[1], ARGV[6])
  redis.call('incr', KEYS[3])
  return 0
end
redis.call('hset', KEYS[1], ARGV[1], ARGV[2])
if ARGV[2] ~= '' then redis.call('incr', KEYS[3]) end
return 1
"""


def _now_ms() -> int:
    return int(time.time() * 1000)


def changing(write: Callable[[], object], rows_of: Callable[[object], tuple[dict | None, dict | None]],
             needs: tuple[str, str | None] | None = None) -> tuple[object, bool]:
    """Run ``write`` (a conditional update of one listing; its answer, None when it changed nothing),
    announced before and settled after; ``(its answer, whether browse was told)``.

    ``rows_of(answer)``: the listing's document as browse read it before the write and as it reads
    it after, None for either when it was not, or is not, in browse (not ``listed``). ``needs``:
    ``(set key, member)``, the change is told only while that member is in that set (a listing's
    title among the titles browse knows; a member None needs nothing). Not told (Redis failing, the
    member missing), the caller bumps the listings version instead.
    """
    redis = get_redis()
    try:
        seq = int(redis.register_script(_ANNOUNCE)(keys=[SEQ_KEY, PENDING_KEY], args=[_now_ms()]))
    except RedisError:
        return write(), False
    try:
        answer = write()
    except BaseException:
        _settle(redis, seq, MAYBE, needs)
        raise
    try:
        rows = b"" if answer is None else _encoded(*rows_of(answer))
    except Exception:  # the write is done: its caller's answer must not fail for browse's sake
        log.exception("listing change %s: its rows could not be kept; buyers learn again", seq)
        rows = MAYBE
    return answer, _settle(redis, seq, rows, needs)


def _settle(redis, seq: int, rows: bytes, needs: tuple[str, str | None] | None) -> bool:
    """Settle change ``seq`` with ``rows`` (see ``_SETTLE``); whether browse was told."""
    needed_set, needed_member = needs if needs is not None and needs[1] else (ROWS_KEY, "")
    try:
        return bool(redis.register_script(_SETTLE)(
            keys=[ROWS_KEY, PENDING_KEY, DONE_KEY, SETTLED_KEY, needed_set],
            args=[seq, rows, KEPT_CHANGES, ROWS_TTL_SECONDS, _now_ms() - IN_FLIGHT_MS, MAYBE, needed_member]))
    except RedisError:
        return False  # in flight until IN_FLIGHT_MS: then the next settle makes it a MAYBE


def _encoded(before: dict | None, after: dict | None) -> bytes:
    return bson.encode({**({"o": before} if before is not None else {}), **({"n": after} if after is not None else {})})


# Read with the listings version: the changes announced, and those settled.
STATE_KEYS = (SEQ_KEY, SETTLED_KEY)


def in_flight(redis, seq: int, settled: int) -> set[int]:
    """The numbers of the changes in flight, when fewer settled (``settled``) than were announced (``seq``)."""
    if settled >= seq:
        return set()
    return {int(n) for n in redis.zrangebyscore(PENDING_KEY, _now_ms() - IN_FLIGHT_MS, "+inf")}


class Unknown(Exception):
    """What changed cannot be told (rows no longer kept, a change whose process died or raised, a
    condition not evaluated, kept rows that contradict a change)."""


def changes_since(needed: list[int], in_flight: set[int], codec_options) -> list[tuple[dict | None, dict | None]]:
    """The changes ``(row before, row after)`` under the numbers ``needed`` that settled, in order (those
    still ``in_flight`` left out).

    :raises Unknown: one is neither settled nor in flight, or raised, or there are more than ``MOST_AT_ONCE``.
    """
    if len(needed) > MOST_AT_ONCE:
        raise Unknown("too many")
    if not needed:
        return []
    try:
        found = get_redis().hmget(ROWS_KEY, needed)
    except RedisError as exc:
        raise Unknown("redis") from exc
    changes = []
    for seq, value in zip(needed, found):
        if value is None:
            if seq not in in_flight:
                raise Unknown(seq)
        elif value == MAYBE:
            raise Unknown(seq)
        elif value:
            rows = bson.decode(value, codec_options=codec_options)
            changes.append((rows.get("o"), rows.get("n")))
    return changes


# --- whether a row meets a match, as the database would say -------------------------------

def meets(match: dict, row: dict) -> bool:
    """Whether ``row`` meets ``match`` (the conditions browse builds: equality, ``$ne``, ``$in``,
    ``$nin``, ``$gte``, ``$lte``, ``$and``, ``$or``), with MongoDB's rules for arrays and missing
    fields.

    :raises Unknown: another condition (a ``$regex``: the database's regex dialect is not Python's).
    """
    for field, condition in match.items():
        if field in ("$and", "$or"):
            results = [meets(part, row) for part in condition]
            if not (all(results) if field == "$and" else any(results)):
                return False
        elif field.startswith("$"):
            raise Unknown(field)
        elif not _field_meets(row.get(field), condition):
            return False
    return True


def _field_meets(value, condition) -> bool:
    values = value if isinstance(value, list) else [value]
    if not (isinstance(condition, dict) and condition and all(key.startswith("$") for key in condition)):
        return condition in values or value == condition
    for op, operand in condition.items():
        if op == "$in":
            if not any(v in operand for v in values):
                return False
        elif op == "$nin":
            if any(v in operand for v in values):
                return False
        elif op == "$ne":
            if operand in values:
                return False
        elif op in ("$gte", "$lte"):
            if not any(_compares(v, operand, op) for v in values):
                return False
        else:
            raise Unknown(op)
    return True


def _compares(value, operand, op: str) -> bool:
    numbers = (int, float)
    if isinstance(value, bool) or isinstance(operand, bool):
        raise Unknown(op)
    if not (isinstance(value, numbers) and isinstance(operand, numbers)) and \
            not (isinstance(value, str) and isinstance(operand, str)):
        return False  # another type (a missing field included) never compares in range
    return value >= operand if op == "$gte" else value <= operand
