"""The one ``Retry-After`` parser (RFC 9110 §10.2.3), for the shared pacer and the hook alike."""

from __future__ import annotations

import email.utils
import re
import time
from datetime import UTC

#: delay-seconds is ``1*DIGIT``; a decimal fraction is tolerated, a sign or exponent is not.
_SECONDS = re.compile(r"[0-9]+(?:\.[0-9]+)?")


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Return the seconds to wait that a ``Retry-After`` value asks for, or None.

    Both forms of RFC 9110 are read: delay-seconds (``"120"``) and an HTTP date
    (``"Wed, 21 Oct 2015 07:28:00 GMT"``, also the obsolete RFC 850 and asctime forms). A date
    already past gives 0.0; a missing, negative or unreadable value gives None.

    :param value: the header's value (None when the header is absent).
    :param now: the epoch seconds a date is measured from (default: the wall clock).
    """
    if value is None:
        return None
    text = value.strip()
    if _SECONDS.fullmatch(text):
        return float(text)
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:  # "-0000" or no zone: HTTP dates are always GMT
        when = when.replace(tzinfo=UTC)
    start = time.time() if now is None else now
    return max(when.timestamp() - start, 0.0)
