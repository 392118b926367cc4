"""Real source databases (SQLite or PostgreSQL) holding hostile rows, and a collection on them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from zenodo.config.collection_file import CollectionConfig, ImageTemplate

#: The source table (the ledger's own tables may share the PostgreSQL database).
TABLE = "source_rows"


def source_url(kind: str, tmp_path: Path, request: pytest.FixtureRequest) -> str:
    """A real source database: a SQLite file, or the test's fresh PostgreSQL database."""
    if kind == "sqlite":
        return f"sqlite:///{tmp_path / 'source.db'}"
    return str(request.getfixturevalue("postgres_url"))


def create_source(url: str, columns: Mapping[str, Any], rows: Sequence[Mapping[str, Any]]
                  ) -> sa.Engine:
    """Create :data:`TABLE` with ``columns`` (name → SQLAlchemy type) and insert ``rows``."""
    engine = sa.create_engine(url)
    table = sa.Table(TABLE, sa.MetaData(), *(sa.Column(n, t) for n, t in columns.items()))
    table.metadata.create_all(engine)
    with engine.begin() as conn:
        for row in rows:
            conn.execute(table.insert(), [{name: row.get(name) for name in columns}])
    return engine


def collection(url: str, image_root: Path, **overrides: Any) -> CollectionConfig:
    """A collection reading :data:`TABLE`, images ``<catalogNumber>.jpg`` under ``image_root``."""
    values: dict[str, Any] = {
        "id": "hostile", "db_url": url, "db_conn_id": None, "table": TABLE, "query": None,
        "mapping": "pilot2", "image_root": image_root,
        "image_templates": (ImageTemplate("{catalogNumber}.jpg"),),
    }
    values.update(overrides)
    return CollectionConfig(**values)
