"""Why a file to send cannot be sent: swapped, changed, gone, or (for now) out of reach."""

from __future__ import annotations

from zenodo.errors import ServerError


class UnsafeFile(ValueError):
    """A file to send is not the file that was validated; it is not sent (names the file)."""


class ImageGone(UnsafeFile):
    """A remote image answers 404, 410 or another refusal: like a missing local file."""


class ImageChanged(UnsafeFile):
    """A remote image's size or md5 is not the one recorded when it was prepared."""


class ImageUnavailable(ServerError):
    """A remote image server failed (5xx, 429, timeout, cut or short body): try again later."""
