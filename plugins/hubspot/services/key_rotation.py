"""Which stored HubSpot fields are sealed secrets, for the core's ``pc-app rotate-keys``."""
from __future__ import annotations

from pc_app.toolkit import SealedFields

from ..models import HubSpotConnection

SEALED_TOKENS = SealedFields("HubSpot connections", HubSpotConnection, ("access_token_enc", "refresh_token_enc"),
                             lambda connection, field: connection.token_context(field.removesuffix("_enc")))
