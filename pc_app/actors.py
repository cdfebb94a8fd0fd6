"""Who did something: one typed actor that services take and events and records carry as a string.

A person is ``user:<id>``; the platform's own work is ``system``; changes that arrive from
HubSpot or Stripe are ``hubspot`` and ``stripe``. Services take an ``Actor``; the string form
is what ``Lead.updated_by`` and events store.
"""
from __future__ import annotations

from dataclasses import dataclass

MACHINE_ACTORS = ("system", "hubspot", "stripe")


@dataclass(frozen=True)
class Actor:
    """``kind`` is ``user`` (with the user's id) or one of ``MACHINE_ACTORS``."""
    kind: str
    user_id: str | None = None

    def __post_init__(self):
        if self.kind == "user" and not self.user_id:
            raise ValueError("A user actor needs the user's id.")
        if self.kind != "user" and self.kind not in MACHINE_ACTORS:
            raise ValueError(f"Unknown actor kind {self.kind!r}.")

    @classmethod
    def of_user(cls, user) -> "Actor":
        return cls("user", str(getattr(user, "id", user)))

    @classmethod
    def parse(cls, text: str) -> "Actor":
        """The inverse of ``str(actor)``."""
        if text.startswith("user:"):
            return cls("user", text[5:])
        return cls(text)

    @property
    def is_user(self) -> bool:
        return self.kind == "user"

    def __str__(self) -> str:
        return f"user:{self.user_id}" if self.kind == "user" else self.kind


SYSTEM = Actor("system")
HUBSPOT = Actor("hubspot")
STRIPE = Actor("stripe")


def actor_string(actor) -> str | None:
    """``user:<id>``/``system``/... from an ``Actor``, a user document, a string, or None."""
    if actor is None:
        return None
    if isinstance(actor, (Actor, str)):
        return str(actor)
    return str(Actor.of_user(actor))
