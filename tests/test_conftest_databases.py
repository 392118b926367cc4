"""The shared database fixtures give each test its own, working database."""

from __future__ import annotations

import sqlalchemy as sa


def test_database_url_is_a_fresh_empty_database(database_url: str) -> None:
    engine = sa.create_engine(database_url)
    try:
        assert sa.inspect(engine).get_table_names() == []
        with engine.begin() as conn:
            conn.execute(sa.text("CREATE TABLE probe (x INTEGER)"))
            conn.execute(sa.text("INSERT INTO probe VALUES (1)"))
            assert conn.execute(sa.text("SELECT count(*) FROM probe")).scalar_one() == 1
    finally:
        engine.dispose()
