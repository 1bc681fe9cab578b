"""search: full-text search objects for SEARCH_BACKEND=postgres (PostgreSQL only; nothing on SQLite)

Revision ID: 7d3e5b1a9c42
Revises: 1c619aa6e161
Create Date: 2026-11-25 09:12:00.000000

- products.search_vector: a stored generated tsvector (title weighted A, description weighted B) with a
  partial GIN index. Stored rather than an expression index because ranking (ts_rank) must read the
  vector of every match: recomputing it made "kurti" (7,800 matches of 200,000) take 100 ms, and a word
  found in most descriptions 700 ms; stored, 16 ms and 45 ms. The column is not in the models (SQLite has
  no tsvector): PostgreSQL fills it, and the ORM never reads or writes it.
- search_words: a materialized view of the words in listed titles, with a trigram index, for typo
  corrections and "did you mean" (catalog.search refreshes it). Trigram search over whole titles took
  25 to 200 ms per word; over the distinct words it takes about 1 ms.
"""
from alembic import op

revision = '7d3e5b1a9c42'
down_revision = '1c619aa6e161'
branch_labels = None
depends_on = None

VECTOR = ("setweight(to_tsvector('english'::regconfig, title), 'A') || "
          "setweight(to_tsvector('english'::regconfig, description), 'B')")


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")  # a trusted extension: the database owner may add it
    op.execute(f"ALTER TABLE products ADD COLUMN search_vector tsvector GENERATED ALWAYS AS ({VECTOR}) STORED")
    op.execute("CREATE INDEX ix_products_search_vector ON products USING gin (search_vector) WHERE listed")
    op.execute("CREATE MATERIALIZED VIEW search_words AS SELECT word, ndoc FROM "
               "ts_stat('SELECT to_tsvector(''simple''::regconfig, title) FROM products WHERE listed')")
    op.execute("CREATE UNIQUE INDEX ix_search_words_word ON search_words (word)")  # for REFRESH ... CONCURRENTLY
    op.execute("CREATE INDEX ix_search_words_trigrams ON search_words USING gin (word gin_trgm_ops)")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP MATERIALIZED VIEW IF EXISTS search_words")
    op.execute("DROP INDEX IF EXISTS ix_products_search_vector")
    op.execute("ALTER TABLE products DROP COLUMN IF EXISTS search_vector")
    op.execute("DROP EXTENSION IF EXISTS pg_trgm")
