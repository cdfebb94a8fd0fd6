"""Fixtures of the core's tests on top of pc_app.testing."""
import pytest

from .api_checks import sign_in
from pc_app.testing import TEST_PASSWORD


@pytest.fixture
def signed_in(client):
    """``signed_in(email)`` signs in with the test password and returns the session body."""
    def _sign_in(email, password=TEST_PASSWORD):
        response = sign_in(client, email, password)
        assert response.status_code == 200, response.get_json()
        return response.get_json()
    return _sign_in
