"""The engine's transactions on SQLite: a savepoint inside a request's transaction is undone with it."""

import sqlalchemy as sa
from sqlalchemy.orm import Session

from market.core.db import make_engine


def test_a_savepoint_that_comes_first_is_rolled_back_with_its_transaction(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'savepoint.db'}")
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)"))
    with Session(engine) as session:
        session.execute(sa.text("SELECT 1"))  # a read: Python's sqlite3 has begun nothing yet
        with session.begin_nested():
            session.execute(sa.text("INSERT INTO notes (body) VALUES ('kept only if the request commits')"))
        session.rollback()
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT COUNT(*) FROM notes")).scalar() == 0
    engine.dispose()
