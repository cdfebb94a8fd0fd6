"""Listings that leave browse (reserved, delisted), taken out of what buyers learnt instead of starting it over.

Browse keeps what each buyer's visit learnt (``browse.PatternKnowledge``: counts and first rows of
each score pattern) per listings version. A reservation or a delisting used to bump that version,
so after each one every buyer's next browse was a first visit again: three round trips at 100,000
listings, and, in a marketplace where leads are reserved every second, nearly every visit. A
listing that leaves takes nothing new into browse, so what was learnt stays true once that one
row is taken out of it; this module tells the knowledge which rows left since it was saved.

The protocol, so that a row is taken out exactly once whatever the interleaving:

- ``leaving(write)`` *announces* a leave before its conditional write (``SEQ_KEY``, the number
  of leaves announced, and ``PENDING_KEY``, the leaves in flight with the time they began), and
  *settles* it after: the row that left under its number in ``ROWS_KEY`` (an empty value when
  the write changed nothing: a lost race, a lead deleted that was not listed), out of the pending
  set, and, when a row left, ``DONE_KEY`` bumped.
- Knowledge saved at number ``l`` (with the numbers then in flight, ``u``) takes out, when it is
  next loaded, the rows of ``u`` and of ``(l, seq]`` (``left_since``). A number neither settled
  nor in flight (its process died, or it is older than the ``KEPT_ROWS`` last) cannot be told:
  the knowledge is dropped and learnt again.
- What a request learnt *from the database* is saved only when no leave was in flight when it
  loaded and none was announced since (``SEQ_KEY`` unchanged): a write that may have overlapped
  the reads was announced before they ended, so the reads never count a row that a later load
  would take out again.
- A kept browse answer depends on ``DONE_KEY``: an answer built while a leave was in flight is
  not served after it settled, and a write that took nothing out of browse ends no answer.
"""
from __future__ import annotations

import time
from collections.abc import Callable

import bson
from redis.exceptions import RedisError

from pc_app.toolkit import get_redis

SEQ_KEY = "pc:marketplace:left-seq"
DONE_KEY = "pc:marketplace:left-done"
ROWS_KEY = "pc:marketplace:left-rows"
PENDING_KEY = "pc:marketplace:left-pending"
# The rows of the last this many leaves are kept (a buyer's knowledge lives 60 s between saves).
KEPT_ROWS = 1000
ROWS_TTL_SECONDS = 24 * 3600
# A leave in flight longer than this is taken to have died between its announce and its settle.
IN_FLIGHT_MS = 30_000
# Knowledge that would take out more rows than this at one load is learnt again instead.
MOST_AT_ONCE = 200

# KEYS: seq, pending. ARGV: now (ms). The leave's number.
_ANNOUNCE = """
local seq = redis.call('incr', KEYS[1])
redis.call('zadd', KEYS[2], ARGV[1], seq)
return seq
"""
# KEYS: rows, pending, done. ARGV: the number, the row (or ""), rows kept, rows TTL, now - in flight ms.
_SETTLE = """
redis.call('hset', KEYS[1], ARGV[1], ARGV[2])
redis.call('hdel', KEYS[1], tostring(tonumber(ARGV[1]) - tonumber(ARGV[3])))
redis.call('expire', KEYS[1], ARGV[4])
redis.call('zrem', KEYS[2], ARGV[1])
redis.call('zremrangebyscore', KEYS[2], '-inf', '(' .. ARGV[5])
if ARGV[2] ~= '' then redis.call('incr', KEYS[3]) end
return 1
"""


def _now_ms() -> int:
    return int(time.time() * 1000)


def leaving(write: Callable[[], object], row_of: Callable[[object], dict]) -> tuple[object, bool]:
    """Run ``write`` (a conditional update taking one listing out of browse; its answer, None when it
    changed nothing), announced before and settled after; ``(its answer, whether browse was told)``.

    ``row_of(answer)``: the listing's document as browse read it while it was listed. Not told
    (Redis failing), the caller bumps the listings version instead.
    """
    redis = get_redis()
    try:
        seq = int(redis.register_script(_ANNOUNCE)(keys=[SEQ_KEY, PENDING_KEY], args=[_now_ms()]))
    except RedisError:
        return write(), False
    answer = None
    try:
        answer = write()
    finally:
        row = b"" if answer is None else bson.encode(row_of(answer))
        try:
            redis.register_script(_SETTLE)(keys=[ROWS_KEY, PENDING_KEY, DONE_KEY],
                                           args=[seq, row, KEPT_ROWS, ROWS_TTL_SECONDS, _now_ms() - IN_FLIGHT_MS])
            told = True
        except RedisError:
            told = False  # in flight until IN_FLIGHT_MS: then knowledge that needs it is learnt again
    return answer, told


def state_commands(pipeline) -> None:
    """Queue on ``pipeline`` what ``state`` reads: the number of leaves announced, and those in flight."""
    pipeline.get(SEQ_KEY)
    pipeline.zrangebyscore(PENDING_KEY, _now_ms() - IN_FLIGHT_MS, "+inf")


def state(seq, in_flight) -> tuple[int, set[int]]:
    """``(leaves announced, numbers in flight)`` from the answers of ``state_commands``."""
    return int(seq or 0), {int(n) for n in in_flight}


class Unknown(Exception):
    """What left cannot be told (a row no longer kept, a leave whose process died, a condition not evaluated)."""


def left_since(needed: list[int], in_flight: set[int], codec_options) -> tuple[list[dict], list[int]]:
    """The rows that left under the numbers ``needed``, and those of them still in flight.

    :raises Unknown: one is neither settled nor in flight, or there are more than ``MOST_AT_ONCE``.
    """
    if len(needed) > MOST_AT_ONCE:
        raise Unknown("too many")
    if not needed:
        return [], []
    try:
        found = get_redis().hmget(ROWS_KEY, needed)
    except RedisError as exc:
        raise Unknown("redis") from exc
    rows, waiting = [], []
    for seq, value in zip(needed, found):
        if value is None:
            if seq not in in_flight:
                raise Unknown(seq)
            waiting.append(seq)
        elif value:
            rows.append(bson.decode(value, codec_options=codec_options))
    return rows, waiting


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

