"""Background work of the registration plugin: the sign-up decisions, made after the answer.

Whether an e-mail already has an account decides what happens (a new partner and a link,
or an "already registered" mail). Deciding in the request made a known address answer
measurably faster than a new one; here both answers cost one enqueue. Routes queue the
decision through ``request_*`` and the job calls the service.
"""
from pc_app.toolkit import DECISION_JOB_OPTIONS, enqueue

from . import services


def request_registration(company_name: str, name: str, email: str, *, website: str | None = None,
                         phone: str | None = None) -> None:
    """Queue the sign-up decision (``register_partner``); the same work for every e-mail."""
    enqueue(register_partner, company_name, name, email, website, phone, **DECISION_JOB_OPTIONS)


def request_verification_resend(email: str) -> None:
    """Queue the resend decision (``resend_verification``); the same work for every e-mail."""
    enqueue(resend_verification, email, **DECISION_JOB_OPTIONS)


def register_partner(company_name: str, name: str, email: str, website: str | None = None,
                     phone: str | None = None) -> None:
    """Job: create the partner and its owner and mail the link, or mail the known address instead."""
    services.register_partner(company_name, name, email, website=website, phone=phone)


def resend_verification(email: str) -> None:
    """Job: mail a new verification link if the address awaits verification; otherwise nothing."""
    services.resend_verification(email)
