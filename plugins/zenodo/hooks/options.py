"""The options a Zenodo connection carries in its ``extra`` field."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

#: Zenodo's documented limits per token (requests, window seconds); see the API reference.
RATE_LIMIT_PROFILES: dict[str, dict[str, list[tuple[int, float]]]] = {
    "zenodo": {"api": [(100, 60), (5000, 3600)], "search": [(30, 60)], "oai": [(30, 60)]},
    "zenodo-guest": {"api": [(60, 60), (2000, 3600)], "search": [(30, 60)], "oai": [(30, 60)]},
    "none": {"api": [], "search": [], "oai": []},
}

DEFAULT_USER_AGENT = "specimen-to-zenodo/0.1 (Airflow pipeline for digitised specimens)"

#: Keys of ours in ``extra``; HttpHook would send any unknown key as an HTTP header.
OWN_EXTRA_KEYS = frozenset(
    {"user_agent", "rate_limit_profile", "connect_timeout", "read_timeout", "protocol", "community",
     "oai_set_prefix"}
)

_RATE = re.compile(r"^\s*(\d+)\s*/\s*(s|sec|second|min|minute|h|hour)\s*$")
_PERIODS = {"s": 1, "sec": 1, "second": 1, "min": 60, "minute": 60, "h": 3600, "hour": 3600}


def parse_limits(text: str) -> list[tuple[int, float]]:
    """Parse ``"600/min,30000/h"`` into ``[(600, 60.0), (30000, 3600.0)]``."""
    limits = []
    for part in filter(None, (p.strip() for p in text.split(","))):
        match = _RATE.match(part)
        if not match:
            raise ValueError(f"rate limit {part!r} is not of the form N/min or N/h")
        limits.append((int(match.group(1)), float(_PERIODS[match.group(2)])))
    return limits


@dataclass(frozen=True)
class ZenodoOptions:
    """What a Zenodo connection says beyond host and token.

    :param user_agent: sent with every request; Zenodo throttles anonymous-looking clients.
    :param limits: per request kind (``api``, ``search``, ``oai``), ``[(count, seconds), …]``.
    :param connect_timeout: seconds to open a connection.
    :param read_timeout: seconds to wait for an answer; past it a write's outcome is unknown.
    :param protocol: ``deposit`` (legacy deposit API) or ``rdm`` (InvenioRDM records API).
    :param oai_set_prefix: a community's OAI-PMH set is this plus its slug: ``user-`` on
        Zenodo, ``community-`` on other InvenioRDM repositories.
    """

    user_agent: str = DEFAULT_USER_AGENT
    limits: dict[str, list[tuple[int, float]]] | None = None
    connect_timeout: float = 10.0
    read_timeout: float = 120.0
    protocol: str = "deposit"
    oai_set_prefix: str = "user-"

    @classmethod
    def from_extra(cls, extra: dict[str, Any]) -> ZenodoOptions:
        """Build the options from a connection's ``extra`` (plain or UI-prefixed keys)."""

        def get(name: str) -> Any:
            value = extra.get(name, extra.get(f"extra__zenodo__{name}"))
            return None if value in ("", None) else value

        profile = str(get("rate_limit_profile") or "zenodo")
        if profile in RATE_LIMIT_PROFILES:
            limits = RATE_LIMIT_PROFILES[profile]
        else:
            limits = {"api": parse_limits(profile), "search": [(30, 60)], "oai": [(30, 60)]}
        protocol = str(get("protocol") or "deposit")
        if protocol not in ("deposit", "rdm"):
            raise ValueError(
                f"connection extra 'protocol' must be deposit or rdm, not {protocol!r}"
            )
        if extra.get("verify", extra.get("verify_ssl", True)) in (False, "false", "False", 0):
            raise ValueError("TLS verification cannot be switched off for a Zenodo connection")
        return cls(
            user_agent=str(get("user_agent") or DEFAULT_USER_AGENT),
            limits={kind: list(v) for kind, v in limits.items()},
            connect_timeout=float(get("connect_timeout") or 10.0),
            read_timeout=float(get("read_timeout") or 120.0),
            protocol=protocol,
            oai_set_prefix=str(get("oai_set_prefix") or "user-"),
        )
