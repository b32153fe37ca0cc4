"""Alembic migrations of the read-model database (applied by `make_engine` at start, or `orderly db upgrade`).

A change to `models/tables.py` needs a revision here (`tests/test_database.py` fails on any drift). Write one by
hand in `versions/NNNN_what.py` (next number, `down_revision` the previous one, plain `sqlalchemy` types, an
`upgrade` and a `downgrade`; `op.batch_alter_table` for column changes so SQLite can do them), or draft it with
autogenerate against a database at head:

    .venv/bin/python -c "from alembic import command; from activities import database as d; \
e = d.make_engine('sqlite:////tmp/draft.db'); c = d.alembic_config(); \
conn = e.connect(); c.attributes['connection'] = conn; \
command.revision(c, 'what changed', autogenerate=True, rev_id='0003'); conn.commit()"
"""
