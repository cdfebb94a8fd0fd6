"""The sandbox kit: what every stand-in for a third-party service shares.

A runner (serve in-process or start as a child on a free port), injected faults and latency,
a call log, the ``/_sandbox`` admin routes (reset, config, faults, calls, webhooks, state), a
webhook sender with retries and backoff, the admin client base and an optional JSON snapshot.
It knows no particular service; each stand-in under ``pc_app.sandboxes`` builds on it.
"""
from .app import create_stand_in_app, stand_in_state  # noqa: F401
from .client import AdminClient  # noqa: F401
from .faults import Fault  # noqa: F401
from .handle import SandboxHandle  # noqa: F401
from .runner import RunningSandbox, argument_parser, serve, start_process  # noqa: F401
from .state import KitSettings, StandInState  # noqa: F401
