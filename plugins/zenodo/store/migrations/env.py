"""Alembic environment of the ledger's migrations (configured from code, no alembic.ini).

Airflow's plugin loader imports every ``.py`` file under ``plugins/``, this one included, so
importing it does nothing: the migrations run only when Alembic executes it with a context.
Alembic is driven by :func:`zenodo.store.database.upgrade`, which passes an open connection in
``config.attributes["connection"]``.
"""

from __future__ import annotations

from typing import Any

from alembic import context

VERSION_TABLE = "ledger_alembic_version"


def _include_name(name: str | None, type_: str, _parent_names: Any) -> bool:
    """Compare only the ledger's own tables (the database may also hold Airflow's)."""
    if type_ != "table":
        return True
    from zenodo.store.tables import metadata

    return name in metadata.tables


def run() -> None:
    """Run the migrations on the connection Alembic was given (online mode only)."""
    from zenodo.store.tables import metadata

    connection = context.config.attributes.get("connection")
    if connection is None:
        raise RuntimeError(
            "the ledger migrations need a connection: run them with zenodo.store.database.upgrade()"
        )
    context.configure(
        connection=connection,
        target_metadata=metadata,
        version_table=VERSION_TABLE,
        include_name=_include_name,
        compare_type=True,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


def _inside_alembic() -> bool:
    """Tell whether Alembic is executing this file (its context proxy is set up)."""
    try:
        context.config  # noqa: B018 - the proxy is missing outside Alembic
    except (AttributeError, NameError):
        return False
    return True


if _inside_alembic():
    run()
