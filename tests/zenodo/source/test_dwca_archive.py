"""A bad Darwin Core Archive fails prepare before the ledger is touched, saying what and where;
an archive by URL is downloaded first; without a multimedia extension the templates apply."""

from __future__ import annotations

import functools
import http.server
import pathlib
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.zenodo.source.dwca_helpers import (
    dwca_config,
    edited,
    entry,
    sample_config,
    write_sample_archive,
)
from zenodo.ledger.ledger import Ledger
from zenodo.ledger.prepare import prepare_collection
from zenodo.source.dwca import dwca_records
from zenodo.source.dwca_archive import DwcaError
from zenodo.source.dwca_fetch import archive_file
from zenodo.source.extract import extract_records
from zenodo_demo.sample import generate_sample


@pytest.fixture
def sample(tmp_path: pathlib.Path) -> Any:
    return generate_sample(tmp_path / "sample", n=12, hostile_share=0.2, seed=3)


def _not_a_zip(good: pathlib.Path, dest: pathlib.Path) -> pathlib.Path:
    dest.write_bytes(b"<html><body>IPT: resource not found</body></html>")
    return dest


def _no_meta(good: pathlib.Path, dest: pathlib.Path) -> pathlib.Path:
    return edited(good, dest, {"meta.xml": None})


def _core_without_id(good: pathlib.Path, dest: pathlib.Path) -> pathlib.Path:
    meta = entry(good, "meta.xml").replace(b'<id index="0"/>', b"", 1)
    return edited(good, dest, {"meta.xml": meta})


def _orphan_media(good: pathlib.Path, dest: pathlib.Path) -> pathlib.Path:
    media = entry(good, "multimedia.txt") + b"999\tghost.jpg\timage/jpeg\n"
    return edited(good, dest, {"multimedia.txt": media})


def _latin1_row(good: pathlib.Path, dest: pathlib.Path) -> pathlib.Path:
    lines = entry(good, "occurrence.txt").split(b"\n")
    lines[3] = lines[3].replace(b"\tPreservedSpecimen\t", b"\tPr\xe9servedSpecimen\t")
    return edited(good, dest, {"occurrence.txt": b"\n".join(lines)})


@pytest.mark.parametrize(("breaks", "message"), [
    (_not_a_zip, "{a}: not a zip file (a Darwin Core Archive is a zip with meta.xml)"),
    (_no_meta, "{a}: no meta.xml in the archive (it holds eml.xml, multimedia.txt, "
               "occurrence.txt)"),
    (_core_without_id, "{a}: meta.xml: the core occurrence.txt has no id column "
                       "(<id index=\"…\"/>), got None"),
    (_orphan_media, "{a}: multimedia.txt: 1 rows point to no core row of occurrence.txt: "
                    "row {m} (coreid '999')"),
    (_latin1_row, "{a}: occurrence.txt line 4 (row 3): bytes b'\\xe9' are not valid UTF-8 "
                  "(meta.xml declares encoding=\"UTF-8\")"),
], ids=["not-a-zip", "no-meta-xml", "core-without-id", "orphan-extension-row", "bad-encoding"])
def test_a_bad_archive_fails_prepare_and_writes_nothing(
    sample: Any, sqlite_ledger: Ledger, tmp_path: pathlib.Path,
    breaks: Callable[[pathlib.Path, pathlib.Path], pathlib.Path], message: str,
) -> None:
    good = write_sample_archive(sample, tmp_path)
    bad = breaks(good, tmp_path / "bad.zip")
    media_rows = entry(good, "multimedia.txt").count(b"\n")  # with its header line
    config = dwca_config(sample_config(sample, tmp_path), bad)
    with pytest.raises(DwcaError) as info:
        prepare_collection(config, ledger=sqlite_ledger, cache_dir=tmp_path / "cache")
    assert str(info.value) == message.format(a=bad, m=media_rows)
    assert list(sqlite_ledger.rows(config.id)) == []
    assert sqlite_ledger.events(config.id) == []


def test_without_a_multimedia_extension_the_image_templates_apply(
    sample: Any, tmp_path: pathlib.Path
) -> None:
    good = write_sample_archive(sample, tmp_path)
    meta = entry(good, "meta.xml").decode("utf-8")
    core_only = meta[:meta.index("  <extension")] + "</archive>\n"
    archive = edited(good, tmp_path / "core-only.zip",
                     {"meta.xml": core_only.encode("utf-8"), "multimedia.txt": None})
    config = sample_config(sample, tmp_path)
    from_archive = [r.record for r in dwca_records(dwca_config(config, archive))]
    from_table = list(extract_records(config))
    assert [r.images for r in from_archive] == [r.images for r in from_table]
    assert sum(len(r.images) for r in from_archive) > len(from_archive) // 2


@pytest.fixture
def served(tmp_path: pathlib.Path) -> Iterator[str]:
    """An HTTP server on 127.0.0.1 serving ``tmp_path/www``; yields its base URL."""
    folder = tmp_path / "www"
    folder.mkdir()
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_an_archive_url_is_downloaded_to_the_cache_and_read(
    sample: Any, tmp_path: pathlib.Path, served: str
) -> None:
    good = write_sample_archive(sample, tmp_path)
    (tmp_path / "www" / "archive.zip").write_bytes(good.read_bytes())
    url = f"{served}/archive.zip"
    local = archive_file(url, tmp_path / "cache")
    assert local.parent == tmp_path / "cache" / "dwca"
    assert local.read_bytes() == good.read_bytes()
    config = dwca_config(sample_config(sample, tmp_path), url)
    records = list(dwca_records(config, cache_dir=tmp_path / "cache"))
    assert len(records) == sample.n_rows
    assert [p.name for p in (tmp_path / "cache" / "dwca").iterdir()] == [local.name]


def test_a_failed_download_names_the_url_and_status(tmp_path: pathlib.Path, served: str
                                                    ) -> None:
    url = f"{served}/archive.do?r=missing"
    with pytest.raises(DwcaError, match=r"archive\.do\?r=missing: download failed: HTTP 404$"):
        archive_file(url, tmp_path / "cache")
    assert list((tmp_path / "cache" / "dwca").iterdir()) == []


def test_a_missing_local_archive_is_named(tmp_path: pathlib.Path) -> None:
    with pytest.raises(DwcaError, match=r"nope\.zip: no such archive file"):
        archive_file(str(tmp_path / "nope.zip"))
