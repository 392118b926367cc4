"""Resumption tokens and the search scroll behind list pages, as invenio-oaiserver has them.

A token is an itsdangerous ``URLSafeTimedSerializer`` payload signed with the verb as salt:
``{"seed", "page", "kwargs"[, "scroll_id"]}``; it expires after the token lifetime. The first
page of ListIdentifiers/ListRecords opens a scroll: the ids matching at that moment, in order.
Each later request reads the scroll's **next** batch, whatever page its token names (an
Elasticsearch scroll is a cursor): replaying a token skips a page, as on zenodo.org. The scroll
lives as long as the token lifetime after its last use and is dropped after the last page; a
token whose scroll is gone (the list was finished) makes zenodo.org answer 500.
"""

from __future__ import annotations

import random
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from itsdangerous import BadData, TimestampSigner, URLSafeTimedSerializer

#: scrolls kept at once; the least recently used go first
MAX_SCROLLS = 256


class _ClockSigner(TimestampSigner):
    """A timestamp signer that reads time from an injectable clock."""

    def __init__(self, *args: Any, clock: Callable[[], float], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._clock = clock

    def get_timestamp(self) -> int:
        """Return the current time of the injected clock in whole seconds."""
        return int(self._clock())


class BadToken(Exception):
    """The token is not one of ours, was made for another verb, or has expired."""


class Tokens:
    """Sign and read resumption tokens.

    :param secret: the signing key.
    :param ttl: the token lifetime in seconds.
    :param clock: returns the current time as a Unix timestamp.
    """

    def __init__(self, secret: str, ttl: int, clock: Callable[[], float]) -> None:
        self._secret, self._ttl, self._clock = secret, ttl, clock

    def _serializer(self, verb: str) -> URLSafeTimedSerializer:
        return URLSafeTimedSerializer(self._secret, salt=verb, signer=_ClockSigner,
                                      signer_kwargs={"clock": self._clock})

    def dump(self, verb: str, page: int, kwargs: dict[str, Any],
             scroll_id: str | None = None) -> str:
        """Return the token of ``page`` (the next page to read)."""
        data: dict[str, Any] = {"seed": random.random(), "page": page, "kwargs": kwargs}
        if scroll_id:
            data["scroll_id"] = scroll_id
        return self._serializer(verb).dumps(data)

    def load(self, verb: str, token: str) -> dict[str, Any]:
        """Return the token's payload, or raise :class:`BadToken`."""
        try:
            data = self._serializer(verb).loads(token, max_age=self._ttl)
        except BadData as exc:
            raise BadToken(str(exc)) from exc
        if not isinstance(data, dict) or not isinstance(data.get("page"), int) \
                or not isinstance(data.get("kwargs"), dict):
            raise BadToken("malformed payload")
        return data


@dataclass
class _Scroll:
    ids: list[int]
    position: int
    expires: float


class Scrolls:
    """Open scrolls: the ids a list matched when its first page was asked, and a cursor."""

    def __init__(self, ttl: int, clock: Callable[[], float]) -> None:
        self._ttl, self._clock = ttl, clock
        self._lock = threading.Lock()
        self._scrolls: dict[str, _Scroll] = {}

    def open(self, ids: list[int], size: int) -> tuple[str, list[int]]:
        """Start a scroll over ``ids``; return its id and the first batch."""
        with self._lock:
            now = self._clock()
            for key in [k for k, s in self._scrolls.items() if s.expires < now]:
                del self._scrolls[key]
            while len(self._scrolls) >= MAX_SCROLLS:
                del self._scrolls[next(iter(self._scrolls))]
            scroll_id = uuid.uuid4().hex
            self._scrolls[scroll_id] = _Scroll(list(ids), size, now + self._ttl)
            return scroll_id, list(ids[:size])

    def next(self, scroll_id: str, size: int) -> tuple[list[int], int] | None:
        """Return the scroll's next batch and its total, or None when it is gone."""
        with self._lock:
            scroll = self._scrolls.pop(scroll_id, None)
            if scroll is None or scroll.expires < self._clock():
                return None
            batch = scroll.ids[scroll.position:scroll.position + size]
            scroll.position += size
            scroll.expires = self._clock() + self._ttl
            self._scrolls[scroll_id] = scroll  # most recently used last
            return batch, len(scroll.ids)

    def close(self, scroll_id: str) -> None:
        """Drop a scroll (after its last page)."""
        with self._lock:
            self._scrolls.pop(scroll_id, None)
