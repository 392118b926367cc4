"""Who acts: the actor written with every ledger event, and the default when none is given."""

from __future__ import annotations

import os
import socket
from collections.abc import Mapping
from typing import Any

#: The dag run, task and map index of a write (a mapping), a name, or None for the default.
Actor = Mapping[str, Any] | str | None


def actor_or_default(actor: Actor) -> Mapping[str, Any] | str:
    """Return ``actor``, or this process's host and pid when none is given."""
    return actor if actor is not None else {"host": socket.gethostname(), "pid": os.getpid()}
