"""Re-sealing every stored secret with the current encryption key (``pc-app rotate-keys``).

Plugins that store secrets sealed by the core's ``SecretBox`` say which fields hold them
(``pc_sealed_fields``: HubSpot tokens, webhook signing secrets...); the command walks every one, so
a key can be retired (``ENCRYPTION_KEYS_OLD`` emptied) only once nothing is left under it.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Callable

from flask import current_app

from .crypto import DecryptionError, box_from_config
from .collection_versions import owner_fields
from .db import owned_by
from .pages import count_matching
from .plugins import call_hook
from .progress import Progress

log = logging.getLogger("pc_app.key_rotation")


@dataclass(frozen=True)
class SealedFields:
    """Fields of one model that hold sealed secrets, and the context each was sealed with.

    :param label: what the documents are, for the progress line ("HubSpot connections").
    :param model: the mongoengine document class.
    :param fields: the names of its sealed fields (an empty or missing one is skipped).
    :param context: ``context(document, field)``, the context the field was sealed with.
    """
    label: str
    model: type
    fields: tuple[str, ...]
    context: Callable[[object, str], str]


def declared() -> list[SealedFields]:
    """What every enabled plugin declares it stores sealed, dependencies first."""
    return [sealed for _plugin, answer in call_hook(current_app.extensions["pc_plugin_manager"], "pc_sealed_fields")
            for sealed in (answer or [])]


def reseal(sealed: SealedFields, progress: Progress | None = None, config=None) -> dict:
    """Re-seal ``sealed``'s fields still under an old key with the current ``ENCRYPTION_KEY``.

    Each write is conditional on the old ciphertext, so a change racing with the rotation (a token
    refreshed, a secret rotated) wins and is never overwritten with a stale value.

    :return: ``{rotated, current, failed}``: re-sealed, already under the current key (or changed
        meanwhile), and sealed with no configured key (left as they are, logged).
    """
    box = box_from_config(config or current_app.config)
    counts = {"rotated": 0, "current": 0, "failed": 0}
    model = sealed.model
    if progress is not None:
        progress.set_total(count_matching(model.objects))
    owners = owner_fields(model._get_collection_name())  # loaded so each write names its owner
    for document in model.objects.only("id", *owners, *sealed.fields):
        for field in sealed.fields:
            ciphertext = getattr(document, field)
            if not ciphertext:
                continue
            if not box.needs_rotation(ciphertext):
                counts["current"] += 1
                continue
            try:
                resealed = box.reseal(ciphertext, context=sealed.context(document, field))
            except DecryptionError:
                log.error("%s %s: %s cannot be decrypted with any configured key", sealed.label, document.id, field)
                counts["failed"] += 1
                continue
            done = model.objects(id=document.id, **owned_by(document), **{field: ciphertext}).update_one(
                **{f"set__{field}": resealed})
            counts["rotated" if done else "current"] += 1
        if progress is not None:
            progress.advance()
    return counts


def reseal_everything() -> dict:
    """``reseal`` every declared field, each kind with its progress line; the counts added up."""
    total = {"rotated": 0, "current": 0, "failed": 0}
    for sealed in declared():
        with Progress(f"re-encrypting {sealed.label}") as progress:
            for key, value in reseal(sealed, progress).items():
                total[key] += value
    return total
