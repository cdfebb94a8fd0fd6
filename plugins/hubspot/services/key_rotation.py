"""Re-sealing every stored HubSpot token with the current encryption key (``pc-app rotate-keys``)."""
from __future__ import annotations

import logging

from flask import current_app

from pc_app.toolkit import DecryptionError, box_from_config, count_matching

from ..models import HubSpotConnection

log = logging.getLogger("plugins.hubspot")


def rotate_token_keys(config=None, progress=None) -> dict:
    """Re-seal every stored token with the current ``ENCRYPTION_KEY``.

    Each write is conditional on the old ciphertext, so a refresh racing with the rotation wins
    and is never overwritten with a stale token.

    :param progress: a ``toolkit.Progress`` told the number of connections, then each one done.
    """
    box = box_from_config(config or current_app.config)
    counts = {"rotated": 0, "current": 0, "failed": 0}
    if progress is not None:
        progress.set_total(count_matching(HubSpotConnection.objects))
    for connection in HubSpotConnection.objects.only("id", "access_token_enc", "refresh_token_enc"):
        for field in ("access_token_enc", "refresh_token_enc"):
            sealed = getattr(connection, field)
            if not sealed:
                continue
            if not box.needs_rotation(sealed):
                counts["current"] += 1
                continue
            try:
                resealed = box.reseal(sealed, context=connection.token_context(field.removesuffix("_enc")))
            except DecryptionError:
                log.error("hubspot connection %s: %s cannot be decrypted with any configured key",
                          connection.id, field)
                counts["failed"] += 1
                continue
            done = HubSpotConnection.objects(id=connection.id, **{field: sealed}).update_one(
                **{f"set__{field}": resealed})
            counts["rotated" if done else "current"] += 1
        if progress is not None:
            progress.advance()
    return counts
