"""Darwin Core Archives for the tests: the sample collection as a DwC-A, and edits of one."""

from __future__ import annotations

import dataclasses
import os
import pathlib
import zipfile

from zenodo.config.collection_file import CollectionConfig, load_collections
from zenodo_demo.sample import TERMS, SampleInfo
from zenodo_demo.sample_dwca import sample_archive


def sample_config(sample: SampleInfo, tmp_path: pathlib.Path) -> CollectionConfig:
    """The shipped ``herbarium_sample`` collection, pointed at ``sample``'s database."""
    env = {**os.environ, **sample.env(), "ZENODO_CACHE_DIR": str(tmp_path / "cache")}
    return load_collections(env=env)["herbarium_sample"]


def sql_twin(config: CollectionConfig) -> CollectionConfig:
    """The database collection reading the same Darwin Core columns an archive's core holds.

    The table's surrogate ``id`` is the archive's core id, not one of its terms.
    """
    columns = ", ".join(f'"{term}"' for term in TERMS)
    return dataclasses.replace(config, table=None,
                               query=f"SELECT {columns} FROM specimens ORDER BY id")  # noqa: S608


def dwca_config(config: CollectionConfig, archive: pathlib.Path | str,
                collection_id: str | None = None) -> CollectionConfig:
    """The same collection reading the archive at ``archive`` (a path or URL)."""
    return dataclasses.replace(config, id=collection_id or config.id, db_url=None, table=None,
                               query=None, modified_column=None, dwca=str(archive))


def write_sample_archive(sample: SampleInfo, tmp_path: pathlib.Path) -> pathlib.Path:
    """Write ``sample`` as a DwC-A in ``tmp_path``."""
    return sample_archive(sample, tmp_path / "herbarium-dwca.zip")


def edited(source: pathlib.Path, dest: pathlib.Path, changes: dict[str, bytes | None]
           ) -> pathlib.Path:
    """Copy the zip ``source`` to ``dest`` with entries replaced (bytes) or removed (None)."""
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(dest, "w") as new:
        for name in old.namelist():
            if name not in changes:
                new.writestr(name, old.read(name))
        for name, content in changes.items():
            if content is not None:
                new.writestr(name, content)
    return dest


def entry(archive: pathlib.Path, name: str) -> bytes:
    """Return one file of the zip ``archive``."""
    with zipfile.ZipFile(archive) as zipped:
        return zipped.read(name)
