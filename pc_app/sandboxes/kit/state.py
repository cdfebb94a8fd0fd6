"""The base of a stand-in's in-memory state: one lock, settings that reset, faults, calls, webhooks, snapshot."""
from __future__ import annotations

import copy
import json
import os
import threading
from dataclasses import dataclass
from pathlib import Path

from .calls import CallLog
from .faults import FaultBook
from .webhooks import RetryPolicy, WebhookSender


@dataclass
class KitSettings:
    """Knobs every stand-in has; a stand-in's own settings subclass this."""
    webhook_max_attempts: int = 5
    webhook_retry_base_ms: int = 1000
    webhook_retry_max_ms: int = 60000

    # camelCase name in the admin API → (attribute, type); subclasses extend it.
    FIELDS = {"webhookMaxAttempts": ("webhook_max_attempts", int),
              "webhookRetryBaseMs": ("webhook_retry_base_ms", int),
              "webhookRetryMaxMs": ("webhook_retry_max_ms", int)}
    # Fields shown only as "<name>Set": whether they have a value.
    SECRET_FIELDS: tuple = ()

    def retry_policy(self) -> RetryPolicy:
        return RetryPolicy(self.webhook_max_attempts, self.webhook_retry_base_ms, self.webhook_retry_max_ms)

    def as_dict(self) -> dict:
        view = {}
        for name, (attr, _kind) in self.FIELDS.items():
            if name in self.SECRET_FIELDS:
                view[f"{name}Set"] = bool(getattr(self, attr))
            else:
                view[name] = getattr(self, attr)
        return view

    def change(self, values: dict) -> str:
        """Apply admin changes; returns why they are refused ("" when applied)."""
        unknown = sorted(set(values) - set(self.FIELDS))
        if unknown:
            return f"Unknown settings: {', '.join(unknown)}."
        converted = {}
        for name, value in values.items():
            attr, kind = self.FIELDS[name]
            if kind is bool:
                if not isinstance(value, bool):
                    return f"{name} must be true or false."
                converted[attr] = value
                continue
            if kind is not str and (isinstance(value, bool) or not isinstance(value, (int, float, str))):
                return f"{name} must be a {kind.__name__}."
            try:
                converted[attr] = kind(value)
            except (TypeError, ValueError):
                return f"{name} must be a {kind.__name__}."
        for attr, value in converted.items():
            setattr(self, attr, value)
        return ""


class StandInState:
    """Subclasses keep their data in ``reset_data`` and say how to snapshot and restore it."""

    def __init__(self, settings: KitSettings, snapshot_path: str | Path | None = None):
        self.lock = threading.RLock()
        self.initial_settings = copy.deepcopy(settings)
        self.settings = copy.deepcopy(settings)
        self.faults = FaultBook()
        self.calls = CallLog()
        self.webhooks = WebhookSender(policy=lambda: self.settings.retry_policy())
        self.snapshot_path = Path(snapshot_path) if snapshot_path else None
        with self.lock:
            self.reset_data()
        if self.snapshot_path is not None and self.snapshot_path.exists():
            self.restore(json.loads(self.snapshot_path.read_text()))

    def reset(self) -> None:
        """Forget everything (data, faults, calls, deliveries); settings go back to those of process start."""
        with self.lock:
            self.faults.clear()
            self.calls.clear()
            self.webhooks.clear()
            self.settings = copy.deepcopy(self.initial_settings)
            self.reset_data()
        self.save_snapshot()

    # --- for subclasses -----------------------------------------------------------------------

    def reset_data(self) -> None:
        """Create the empty data (called with the lock held)."""

    def snapshot(self) -> dict:
        """The data as JSON-ready values."""
        return {}

    def restore(self, data: dict) -> None:
        """Load what ``snapshot`` returned."""

    # --- the JSON snapshot --------------------------------------------------------------------

    def save_snapshot(self) -> None:
        """Write the data to the snapshot file (when there is one), atomically."""
        if self.snapshot_path is None:
            return
        with self.lock:
            text = json.dumps(self.snapshot(), separators=(",", ":"))
            self.snapshot_path.parent.mkdir(parents=True, exist_ok=True)
            temporary = self.snapshot_path.with_suffix(".tmp")
            temporary.write_text(text)
            os.replace(temporary, self.snapshot_path)
