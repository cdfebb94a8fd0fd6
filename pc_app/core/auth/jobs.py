"""Background work of the sign-in resource: the password-reset decision, made after the answer.

Routes queue the decision here (``request_password_reset``) and the job calls the service,
so the request costs the same for known and unknown addresses.
"""
from ...jobs import enqueue
from .services import mail_password_reset

# The decision jobs run on the mail queue: a failed lookup is retried like a failed delivery.
DECISION_JOB_OPTIONS = {"queue": "mail", "retries": 3, "retry_intervals": (10, 60, 300), "result_ttl": 0}


def request_password_reset(email: str) -> None:
    """Queue the reset decision and return: known and unknown addresses cost the same here.

    Looking the address up in the request (and issuing a token only for a known one) made
    the answer measurably slower for registered addresses; the job decides instead.
    """
    enqueue(send_password_reset, email, **DECISION_JOB_OPTIONS)


def send_password_reset(email: str) -> None:
    """Job: mail a reset link if an active account has this address; otherwise do nothing."""
    mail_password_reset(email)
