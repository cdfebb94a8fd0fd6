"""The pages a person opens in a browser: Connect onboarding (an account link) and a 3-D Secure challenge.

Both agree at once and redirect back; ``?submit=0`` leaves onboarding unfinished and
``?outcome=fail`` fails the challenge.
"""
from __future__ import annotations

from flask import Blueprint, redirect, request

from ..connect import open_account_link
from ..payments import authentication_redirect
from ..state import sandbox_state

browser_blp = Blueprint("stripe_browser", __name__)

DONE_PAGE = ("<!doctype html><title>Authentication {outcome}</title>"
             "<p>3-D Secure authentication {outcome}. You can close this window.</p>")


@browser_blp.get("/connect/setup/e/<account_id>/<token>")
def onboarding(account_id, token):
    """Stripe's hosted onboarding: details submitted, ``account.updated``, back to ``return_url``."""
    state = sandbox_state()
    with state.lock:
        target = open_account_link(state, account_id, token, submitted=request.args.get("submit") != "0")
    return redirect(target, 302)


@browser_blp.get("/redirect/authenticate/<token>")
def three_d_secure(token):
    """The card issuer's challenge: the PaymentIntent succeeds (or fails) and the browser goes back."""
    succeed = request.args.get("outcome") != "fail"
    state = sandbox_state()
    with state.lock:
        target = authentication_redirect(state, token, succeed)
    if target:
        return redirect(target, 302)
    return DONE_PAGE.format(outcome="succeeded" if succeed else "failed"), 200, {"Content-Type": "text/html"}
