"""Background work of the registration plugin: the sign-up decisions, made after the answer.

Whether an e-mail already has an account decides what happens (a new partner and a link,
or an "already registered" mail). Deciding in the request made a known address answer
measurably faster than a new one; here both answers cost one enqueue.
"""


def register_partner(company_name: str, name: str, email: str, website: str | None = None,
                     phone: str | None = None) -> None:
    """Job: create the partner and its owner and mail the link, or mail the known address instead."""
    from .services import register_partner as decide

    decide(company_name, name, email, website=website, phone=phone)


def resend_verification(email: str) -> None:
    """Job: mail a new verification link if the address awaits verification; otherwise nothing."""
    from .services import resend_verification as decide

    decide(email)
