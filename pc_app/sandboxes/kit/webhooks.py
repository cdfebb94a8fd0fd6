"""Webhook deliveries of a stand-in: signed, sent over HTTP (or only recorded), retried with backoff."""
from __future__ import annotations

import heapq
import itertools
import threading
import time
from dataclasses import dataclass, field
from typing import Callable

import requests

from .calls import utc_now_iso

Signer = Callable[[bytes], dict]


@dataclass
class RetryPolicy:
    """Attempt ``n`` (from 2) waits ``base_ms * 2**(n-2)``, at most ``max_ms``; ``max_attempts`` in all."""
    max_attempts: int = 5
    base_ms: int = 1000
    max_ms: int = 60000

    def delay_before(self, attempt: int) -> float:
        return min(self.base_ms * 2 ** (attempt - 2), self.max_ms) / 1000


@dataclass
class Delivery:
    """One message to one receiver. ``record`` deliveries are signed and kept, never sent."""
    id: int
    url: str
    body: bytes
    sign: Signer
    meta: dict
    mode: str = "send"  # "send" or "record"
    headers: dict = field(default_factory=dict)  # as signed for the latest attempt (or the recording)
    attempts: list[dict] = field(default_factory=list)
    state: str = "pending"  # pending → delivered | failed; "recorded" for record mode
    drained: bool = False
    created_at: str = field(default_factory=utc_now_iso)

    def view(self, with_body: bool = True) -> dict:
        last = self.attempts[-1] if self.attempts else {}
        view = {"id": self.id, "url": self.url, "state": self.state, "mode": self.mode,
                "status": last.get("status"), "error": last.get("error"), "attempts": list(self.attempts),
                "createdAt": self.created_at, **self.meta}
        if with_body:
            view["body"] = self.body.decode()
            view["headers"] = dict(self.headers)
        return view


class WebhookSender:
    """Keeps every delivery; a daemon thread sends the due ones and schedules retries."""

    def __init__(self, policy: Callable[[], RetryPolicy] = RetryPolicy, timeout: float = 10.0):
        self._policy = policy
        self._timeout = timeout
        self._lock = threading.Condition()
        self._deliveries: dict[int, Delivery] = {}
        self._due: list[tuple[float, int, int]] = []  # (when, generation, delivery id)
        self._ids = itertools.count(1)
        self._generation = 0
        self._thread: threading.Thread | None = None
        self._http = requests.Session()

    # --- queueing -----------------------------------------------------------------------------

    def send(self, url: str, body: bytes, sign: Signer, meta: dict | None = None, *, mode: str = "send",
             inline: bool = False, delay: float = 0.0) -> Delivery:
        """Queue a delivery (``inline``: make the first attempt now, in this thread); retries go to the thread."""
        with self._lock:
            delivery = Delivery(next(self._ids), url, body, sign, dict(meta or {}), mode)
            self._deliveries[delivery.id] = delivery
            generation = self._generation
            if mode == "record":
                delivery.headers = sign(body)
                delivery.state = "recorded"
                self._lock.notify_all()
                return delivery
            if not inline:
                self._schedule(delivery.id, time.monotonic() + delay)
                return delivery
        self._attempt(delivery, generation)
        return delivery

    def _schedule(self, delivery_id: int, when: float) -> None:
        heapq.heappush(self._due, (when, self._generation, delivery_id))
        if self._thread is None or not self._thread.is_alive():
            self._thread = threading.Thread(target=self._run, name="sandbox-webhooks", daemon=True)
            self._thread.start()
        self._lock.notify_all()

    def _run(self) -> None:
        while True:
            with self._lock:
                while not self._due or self._due[0][0] > time.monotonic():
                    self._lock.wait(timeout=None if not self._due else max(self._due[0][0] - time.monotonic(), 0))
                _when, generation, delivery_id = heapq.heappop(self._due)
                delivery = self._deliveries.get(delivery_id) if generation == self._generation else None
            if delivery is not None:
                self._attempt(delivery, generation)

    def _attempt(self, delivery: Delivery, generation: int) -> None:
        headers = delivery.sign(delivery.body)
        started = utc_now_iso()
        try:
            response = self._http.post(delivery.url, data=delivery.body, headers=headers, timeout=self._timeout)
            outcome = {"at": started, "status": response.status_code}
            ok = 200 <= response.status_code < 300
        except requests.RequestException as exc:
            outcome = {"at": started, "error": type(exc).__name__}
            ok = False
        with self._lock:
            if generation != self._generation:
                return  # reset while the attempt was in flight
            delivery.headers = headers
            delivery.attempts.append(outcome)
            policy = self._policy()
            if ok:
                delivery.state = "delivered"
            elif len(delivery.attempts) >= policy.max_attempts:
                delivery.state = "failed"
            else:
                self._schedule(delivery.id, time.monotonic() + policy.delay_before(len(delivery.attempts) + 1))
            self._lock.notify_all()

    # --- inspection ---------------------------------------------------------------------------

    def list(self, with_body: bool = True, **meta) -> list[dict]:
        with self._lock:
            return [d.view(with_body) for d in self._deliveries.values()
                    if all(str(d.meta.get(k)) == str(v) for k, v in meta.items())]

    def drain_recorded(self, **meta) -> list[dict]:
        """Recorded deliveries not handed out before, oldest first; they are handed out now."""
        with self._lock:
            taken = [d for d in self._deliveries.values() if d.mode == "record" and not d.drained
                     and all(str(d.meta.get(k)) == str(v) for k, v in meta.items())]
            for delivery in taken:
                delivery.drained = True
            return [d.view() for d in taken]

    def wait_idle(self, timeout: float) -> bool:
        """Wait until no delivery is pending (sent, or out of attempts); False when time ran out first."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while any(d.state == "pending" for d in self._deliveries.values()):
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._lock.wait(timeout=left)
            return True

    def clear(self) -> None:
        with self._lock:
            self._deliveries.clear()
            self._due.clear()
            self._generation += 1
            self._lock.notify_all()
