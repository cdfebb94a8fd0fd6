"""Who did something: one typed actor that services take and records and events store as it is.

A person is ``user:<id>``; the platform's own work is ``system``; changes that arrive from
HubSpot or Stripe are ``hubspot`` and ``stripe``. ``Actor`` is a ``str`` whose value is that
form, checked when it is made: a service takes an ``Actor`` and writes it straight into
``Lead.updated_by`` or an event, with no second form to convert (a ``User`` becomes one with
``Actor.of_user``, an RQ job's string argument with ``Actor(text)``).
"""
from __future__ import annotations

MACHINE_ACTORS = ("system", "hubspot", "stripe")


class Actor(str):
    """``user:<id>`` or one of ``MACHINE_ACTORS``; ``kind`` and ``user_id`` read it back."""
    __slots__ = ()

    def __new__(cls, text: str) -> "Actor":
        text = str(text)
        if text.startswith("user:"):
            if len(text) == 5:
                raise ValueError("A user actor needs the user's id.")
        elif text not in MACHINE_ACTORS:
            raise ValueError(f"Unknown actor {text!r}: user:<id> or one of {', '.join(MACHINE_ACTORS)}.")
        return super().__new__(cls, text)

    @classmethod
    def of_user(cls, user) -> "Actor":
        """The actor of a ``User`` document (or a user id)."""
        return cls(f"user:{getattr(user, 'id', user)}")

    @property
    def kind(self) -> str:
        return "user" if self.startswith("user:") else str(self)

    @property
    def user_id(self) -> str | None:
        return self[5:] if self.startswith("user:") else None

    @property
    def is_user(self) -> bool:
        return self.kind == "user"

    def __repr__(self) -> str:
        return f"Actor({str(self)!r})"


SYSTEM = Actor("system")
HUBSPOT = Actor("hubspot")
STRIPE = Actor("stripe")


def as_actor(actor: Actor | None) -> Actor | None:
    """The ``Actor`` an event carries: an ``Actor`` (or its stored string) as it is, a ``User`` through
    ``Actor.of_user``; an unknown string raises ``ValueError``."""
    if actor is None:
        return None
    if isinstance(actor, str):
        return Actor(actor)
    return Actor.of_user(actor)
