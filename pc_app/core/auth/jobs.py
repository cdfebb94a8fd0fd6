"""Background work of the sign-in resource: the password-reset decision, made after the answer."""


def send_password_reset(email: str) -> None:
    """Job: mail a reset link if an active account has this address; otherwise do nothing."""
    from .services import mail_password_reset

    mail_password_reset(email)
