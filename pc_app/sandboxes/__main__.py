"""``python -m pc_app.sandboxes <name> --port N [options]``: serve one stand-in until stopped."""
from __future__ import annotations

import sys

from . import SANDBOXES


def main(argv=None) -> None:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] not in SANDBOXES:
        names = ",".join(SANDBOXES)
        raise SystemExit(f"usage: python -m pc_app.sandboxes {{{names}}} --port N [options]; "
                         f"`python -m pc_app.sandboxes <name> --help` lists a sandbox's options.")
    SANDBOXES[argv[0]].main(argv[1:])


if __name__ == "__main__":
    main()
