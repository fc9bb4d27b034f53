"""Schema-comparison oracle for retort's differential tests.

A Rust test puts the "head" schema (what the revisions made) in one database
and the "desired" schema in another, then runs

    python tests/python/compare.py FROM_URL TO_URL

and checks retort's own comparison against the JSON printed here. The reference
is Alembic's autogenerate: TO_URL is reflected into a MetaData (tables only, so
views are not part of it) and handed to alembic.autogenerate.compare_metadata
against a connection to FROM_URL, with compare_type, compare_server_default and
the opt-in named-CHECK plugin (alembic.ext.checkconstraint_byname) switched on.

URLs use retort's spelling, as in reflect.py (postgres[ql]://, mysql://,
mariadb://, sqlite://rel.db, sqlite:///abs.db; ?mode=... is ignored). stdout
gets one JSON list of [kind, table, object] triples, sorted and deduplicated;
alembic_version and retort_log are never compared. Kinds are Alembic's diff
names, except that unique and check constraints become add_unique/remove_unique
and add_check/remove_check. object is the column (column ops), the index name,
the constraint name (or its comma-joined columns when unnamed), the
comma-joined local columns of a foreign key, or "" for table-level ops. An
unknown scheme or a failed connection: one line on stderr, exit status 2.
With RETORT_TIME_COMPARE set, stderr also gets the seconds compare_metadata took
(what autogenerate does once the models are imported), for the benchmark.
Deps: requirements-test.txt (alembic 1.20, SQLAlchemy 2.1, psycopg2, PyMySQL).
"""
import json
import os
import sys
import time

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from reflect import fail, to_sqlalchemy_url as sqlalchemy_url  # same folder: one URL translation

SKIPPED_TABLES = {"alembic_version", "retort_log"}
PLUGINS = ["alembic.autogenerate.*", "alembic.ext.checkconstraint_byname"]
# SQLAlchemy's __visit_name__ of a constraint -> the word used in our kinds
CONSTRAINT_KINDS = {"unique_constraint": "unique", "foreign_key_constraint": "fk",
                    "check_constraint": "check", "column_check_constraint": "check",
                    "table_or_column_check_constraint": "check"}


def include_name(name, type_, parent_names):
    return type_ != "table" or name not in SKIPPED_TABLES


def columns_of(constraint):
    names = [c.name for c in constraint.columns] or list(getattr(constraint, "column_keys", []))
    return ",".join(names) or str(getattr(constraint, "sqltext", ""))


def triple(diff):
    """Reduce one of compare_metadata's diff tuples to [kind, table, object]."""
    kind, subject = diff[0], diff[1]
    if kind.startswith("modify_"):  # (kind, schema, table, column, existing, old, new)
        return [kind, diff[2], diff[3]]
    if kind in ("add_column", "remove_column"):  # (kind, schema, table, Column)
        return [kind, diff[2], diff[3].name]
    if isinstance(subject, sa.Table):  # add/remove_table, table comments
        return [kind, subject.name, ""]
    if isinstance(subject, sa.Index):
        return [kind, subject.table.name, subject.name or columns_of(subject)]
    if isinstance(subject, sa.Constraint):
        table = getattr(getattr(subject, "parent", None), "name", "")
        family = CONSTRAINT_KINDS.get(subject.__visit_name__)
        if family == "fk":
            return [kind, table, columns_of(subject)]
        if family:
            kind = kind.split("_", 1)[0] + "_" + family
        named = isinstance(subject.name, str)
        return [kind, table, subject.name if named else columns_of(subject)]
    return [kind, "", str(subject)]  # e.g. ("execute", sql): not expected here


def main(argv):
    if len(argv) != 3:
        fail("usage: compare.py FROM_URL TO_URL")
    urls = [sqlalchemy_url(u) for u in argv[1:]]
    try:
        head, desired = (sa.create_engine(u) for u in urls)
    except (sa.exc.ArgumentError, sa.exc.NoSuchModuleError, ImportError, ValueError) as err:
        fail(f"cannot open database: {err}")  # e.g. a port that is not a number
    try:
        metadata = sa.MetaData()
        with desired.connect() as conn:
            metadata.reflect(bind=conn, only=lambda name, _: name not in SKIPPED_TABLES)
        started = time.perf_counter()  # what autogenerate does past importing the models
        with head.connect() as conn:
            context = MigrationContext.configure(conn, opts={
                "compare_type": True, "compare_server_default": True,
                "autogenerate_plugins": PLUGINS,
                "include_name": include_name,
                "include_object": lambda _obj, name, type_, *_: include_name(name, type_, None)})
            diffs = compare_metadata(context, metadata)
        if os.environ.get("RETORT_TIME_COMPARE"):
            print(f"compare_metadata: {time.perf_counter() - started:.6f} s", file=sys.stderr)
    except sa.exc.DBAPIError as err:  # refused, unknown database, not a database file...
        fail("database error: " + str(err.orig).strip().splitlines()[0])
    # modify_* tuples come grouped in one list per column; everything else bare
    flat = [d for item in diffs for d in (item if isinstance(item, list) else [item])]
    ops = sorted({tuple(triple(d)) for d in flat})
    print("[" + ",".join("\n " + json.dumps(list(op)) for op in ops) + "\n]")


if __name__ == "__main__":
    main(sys.argv)
