"""Parse and hold the sandbox's start-up configuration (tokens, limits, delays)."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field
from pathlib import Path

#: Rate-limit kinds: ``api`` (authenticated callers), ``guest`` (anonymous callers),
#: ``search`` (``GET /api/records``) and ``oai`` (``/oai2d``). Per-endpoint kinds replace the
#: global one, as in Invenio's limiter.
LIMIT_KINDS = ("api", "guest", "search", "oai")

_UNITS = {"s": 1, "sec": 1, "second": 1, "min": 60, "minute": 60, "h": 3600, "hour": 3600}
_UNIT_WORDS = {1: "second", 60: "minute", 3600: "hour"}

#: Zenodo's numbers (reference section 4): authenticated 100/min + 5000/h, guests 133/min +
#: 8000/h (repository config and observed headers; the documented 60/min is not what runs),
#: search and OAI-PMH 30/min each.
LIMIT_PROFILES: dict[str, dict[str, str]] = {
    "zenodo": {
        "api": "100/min,5000/h",
        "guest": "133/min,8000/h",
        "search": "30/min",
        "oai": "30/min",
    },
    "none": {},
}


@dataclass(frozen=True)
class RateLimit:
    """One limit: ``amount`` requests per ``window`` seconds."""

    amount: int
    window: int

    def describe(self) -> str:
        """Return the Flask-Limiter style text, e.g. ``100 per 1 minute``."""
        if self.window in _UNIT_WORDS:
            return f"{self.amount} per 1 {_UNIT_WORDS[self.window]}"
        return f"{self.amount} per {self.window} second"


def parse_limit_list(text: str) -> tuple[RateLimit, ...]:
    """Parse ``100/min,5000/h`` into limits; ``none`` or empty gives no limit.

    :param text: comma-separated ``AMOUNT/UNIT`` items, UNIT one of s, min, h (or N*UNIT, e.g. 10s)
    """
    text = text.strip()
    if not text or text.lower() == "none":
        return ()
    limits = []
    for item in text.split(","):
        match = re.fullmatch(r"\s*(\d+)\s*/\s*(\d*)\s*([a-z]+)\s*", item.lower())
        if not match or match.group(3) not in _UNITS:
            raise ValueError(f"bad rate limit {item!r}: expected e.g. 100/min, 5000/h, 10/30s")
        count = int(match.group(2) or 1)
        limits.append(RateLimit(int(match.group(1)), count * _UNITS[match.group(3)]))
    return tuple(sorted(limits, key=lambda lim: lim.window))


def parse_limit_specs(profile: str, overrides: list[str]) -> dict[str, tuple[RateLimit, ...]]:
    """Build the per-kind limits from a profile and ``KIND=LIMITS`` overrides.

    :param profile: ``zenodo`` or ``none``
    :param overrides: items like ``api=100/min,5000/h`` or ``oai=none``
    """
    if profile not in LIMIT_PROFILES:
        raise ValueError(f"unknown limits profile {profile!r}; use one of {sorted(LIMIT_PROFILES)}")
    specs = {kind: parse_limit_list(text) for kind, text in LIMIT_PROFILES[profile].items()}
    for item in overrides:
        kind, sep, text = item.partition("=")
        kind = kind.strip()
        if not sep or kind not in LIMIT_KINDS:
            raise ValueError(
                f"bad --rate-limit {item!r}: expected KIND=LIMITS, KIND in {LIMIT_KINDS}")
        specs[kind] = parse_limit_list(text)
    return {kind: specs.get(kind, ()) for kind in LIMIT_KINDS}


def parse_tokens(items: list[str]) -> dict[str, str]:
    """Parse ``NAME=SECRET`` items into a secret -> name map.

    :param items: the repeated ``--token`` values
    """
    tokens: dict[str, str] = {}
    for item in items:
        name, sep, secret = item.partition("=")
        if not sep or not name or not secret:
            raise ValueError("bad --token value: expected NAME=SECRET")
        tokens[secret] = name
    return tokens


@dataclass(frozen=True)
class IndexDelays:
    """Seconds between a write and its appearance in each search index."""

    deposit: float = 0.0
    records: float = 0.0
    oai: float = 0.0


@dataclass
class SandboxConfig:
    """Everything the server needs at start-up."""

    data_dir: Path
    tokens: dict[str, str] = field(default_factory=dict)  # secret -> user name
    admin_token: str | None = None
    limits: dict[str, tuple[RateLimit, ...]] = field(default_factory=dict)
    limit_strategy: str = "moving"
    faults: dict | None = None
    delays: IndexDelays = field(default_factory=IndexDelays)
    doi_prefix: str = "10.5072"
    communities: tuple[str, ...] = ()  # empty = any slug accepted
    review_mode: str = "auto"  # auto: submissions accepted at once; curator: on accept
    community_slugs: dict[str, str] = field(default_factory=dict)  # community id -> slug (runtime)
    max_files: int = 100
    quota_bytes: int = 50 * 10**9
    multipart_max_bytes: int = 100 * 10**6
    oai_page_size: int = 50
    oai_token_ttl: int = 120
    oai_set_prefix: str = "user-"
    oai_secret: str = field(default_factory=lambda: secrets.token_hex(16))
    public_url: str = ""  # base URL used in links; filled in once the port is known
