"""Bring a collection's Darwin Core Archive to a local file: a URL is downloaded, a path kept.

A URL (an IPT's ``archive.do?r=<resource>``, say) is fetched with TLS verification on into
``<cache>/dwca/`` (``ZENODO_CACHE_DIR``, else ``<tmp>/specimen-to-zenodo``), written under a
temporary name and renamed when complete, so a broken download never looks like an archive.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

import requests

from zenodo.source.dwca_archive import DwcaError

#: Seconds to connect, and to wait for each chunk of the archive.
TIMEOUT = (10, 300)
_CHUNK = 1 << 20


def is_url(location: str) -> bool:
    """Tell whether ``location`` is an http(s) URL rather than a local path."""
    return location.lower().startswith(("http://", "https://"))


def cache_folder(cache_dir: Path | None = None) -> Path:
    """Return the folder downloaded archives go to (created when missing)."""
    base = cache_dir or Path(os.environ.get("ZENODO_CACHE_DIR")
                             or Path(tempfile.gettempdir()) / "specimen-to-zenodo")
    folder = Path(base) / "dwca"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def download(url: str, folder: Path) -> Path:
    """Download ``url`` into ``folder`` and return the file (one file per URL, replaced).

    :raises DwcaError: naming the URL and what went wrong
    """
    target = folder / (hashlib.sha256(url.encode("utf-8")).hexdigest()[:24] + ".zip")
    partial = target.with_suffix(".part")
    try:
        with requests.get(url, stream=True, timeout=TIMEOUT) as response:
            if response.status_code != 200:
                raise DwcaError(f"{url}: download failed: HTTP {response.status_code}")
            with partial.open("wb") as out:
                for chunk in response.iter_content(_CHUNK):
                    out.write(chunk)
    except requests.RequestException as exc:
        partial.unlink(missing_ok=True)
        raise DwcaError(f"{url}: download failed: {exc}") from exc
    partial.replace(target)
    return target


def archive_file(location: str, cache_dir: Path | None = None) -> Path:
    """Return a local file holding the archive at ``location`` (a URL is downloaded first).

    :raises DwcaError: when the download fails or the local file does not exist
    """
    if is_url(location):
        return download(location, cache_folder(cache_dir))
    path = Path(location)
    if not path.is_file():
        raise DwcaError(f"{location}: no such archive file")
    return path
