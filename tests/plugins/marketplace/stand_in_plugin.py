"""A throwaway plugin for the marketplace tests: vetoes listings and plays payments.

What it answers is set per test through ``app.extensions`` (see conftest.py), so one plugin
serves every test without global state.
"""
import flask

from pc_app import hookimpl

NAME = "marketplace_stand_in"
__version__ = "1.0.0"
REQUIRES = {"pc_app": ">=1,<2", "marketplace": ">=1,<2"}


@hookimpl
def pc_listing_vetoes(partner, lead):
    """Veto listing for the partners a test named, as payments would without payouts."""
    vetoes = flask.current_app.extensions.get("marketplace_vetoes", {})
    return list(vetoes.get(str(partner.id), []))


@hookimpl
def pc_buyer_relationship(listing, partner):
    """Say 'reserved' or 'purchased' for the (listing, partner) pairs a test named."""
    return flask.current_app.extensions.get("marketplace_relationships", {}).get((str(listing.id), str(partner.id)))
