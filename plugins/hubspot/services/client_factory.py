"""HubSpotClientFactory, the one way to get an SDK client with a valid token for a partner's portal."""
from __future__ import annotations

from hubspot import HubSpot

from ..models import HubSpotConnection
from .client import sdk_client
from .errors import NotConnected, api_status
from .tokens import REFRESH_MARGIN_SECONDS, access_token_of, refresh_connection, seconds_left


class HubSpotClientFactory:
    """Hands out SDK clients with a valid access token for a partner's portal.

    ``client_for`` refreshes first when under 5 minutes remain; ``call`` also recovers once from
    a 401 (a token HubSpot dropped early) by refreshing and calling again.
    """

    def connection_for(self, partner_id: str) -> HubSpotConnection:
        connection = HubSpotConnection.objects(partner=str(partner_id)).first()
        if connection is None or connection.status != "healthy" or not connection.access_token_enc:
            raise NotConnected("HubSpot is not connected for this partner.", "not_connected")
        if seconds_left(connection) < REFRESH_MARGIN_SECONDS:
            connection = refresh_connection(connection.id)
        return connection

    def client_for(self, partner_id: str) -> HubSpot:
        return _client(self.connection_for(partner_id))

    def call(self, partner_id: str, operation, *, creates: bool = False):
        """``operation(client)`` with a fresh token; a 401 triggers one refresh and one more try.

        Every attempt counts against the portal's rate-limit bucket. ``creates``: the operation
        creates records, so only what HubSpot surely did not process is retried.
        """
        connection = self.connection_for(partner_id)
        try:
            return operation(_client(connection, creates))
        except Exception as exc:
            if api_status(exc) != 401:
                raise
        connection = refresh_connection(connection.id, replacing=connection.access_token_enc)
        return operation(_client(connection, creates))


def _client(connection, creates: bool = False) -> HubSpot:
    """The SDK client of a connection, with its token and its portal's rate-limit bucket."""
    return sdk_client(access_token_of(connection), portal=connection.hub_id, creates=creates)
