"""Which stored HubSpot fields are sealed secrets, for the core's ``pc-app rotate-keys``."""
from __future__ import annotations

from pc_app.toolkit import SealedFields, reseal

from ..models import HubSpotConnection

SEALED_TOKENS = SealedFields("HubSpot connections", HubSpotConnection, ("access_token_enc", "refresh_token_enc"),
                             lambda connection, field: connection.token_context(field.removesuffix("_enc")))


def rotate_token_keys(config=None, progress=None) -> dict:
    """Re-seal every stored token with the current ``ENCRYPTION_KEY`` (``pc_app.key_rotation.reseal``)."""
    return reseal(SEALED_TOKENS, progress, config)
