"""Reflection oracle for retort's differential schema tests.

A Rust test builds a database, runs SQL in it, then runs

    python tests/python/reflect.py URL

and compares the JSON printed here with retort's own introspection of the same
database. The reference is SQLAlchemy's Inspector, the reflection layer that
Alembic's autogenerate relies on, so the two sides share no code.

URL is in retort's spelling (postgres[ql]://, mysql://, mariadb://,
sqlite://rel.db, sqlite:///abs.db; ?mode=... is ignored). stdout gets one JSON
document (sorted keys, order-free lists sorted) describing every table of the
default schema except alembic_version and retort_log. An unknown scheme or a
failed connection: one line on stderr, exit status 2. Deps: requirements-test.txt.
"""
import json
import os
import sys

import sqlalchemy as sa

SKIPPED_TABLES = {"alembic_version", "retort_log"}


def fail(message):
    print(f"{os.path.basename(sys.argv[0])}: {message}", file=sys.stderr)
    sys.exit(2)


def to_sqlalchemy_url(url):
    scheme, sep, rest = url.partition(":")
    scheme = scheme.lower()
    if sep and scheme in ("postgres", "postgresql"):
        return "postgresql+psycopg2:" + rest
    if sep and scheme in ("mysql", "mariadb"):
        return "mysql+pymysql:" + rest
    if sep and scheme == "sqlite":
        path = (rest[2:] if rest.startswith("//") else rest).split("?", 1)[0]
        if not path or path.startswith(":memory:"):
            fail("an in-memory SQLite database has nothing to reflect")
        if not os.path.exists(path):
            fail(f"SQLite file does not exist: {path}")
        return "sqlite:///" + path
    fail(f"unknown URL scheme in {url!r} (want postgres, postgresql, mysql, mariadb or sqlite)")


def ask(method, table):
    """Call an Inspector method; a dialect that lacks it yields an empty list."""
    try:
        return method(table) or []
    except NotImplementedError:
        return []


def type_name(col_type, dialect):
    try:
        return str(col_type)  # SQLAlchemy's generic rendering, e.g. VARCHAR(50)
    except Exception:  # a type the generic compiler cannot render
        return col_type.compile(dialect=dialect)


def canonical(items):
    """Sort dicts by name (unnamed ones last), then by their whole content."""
    return sorted(items, key=lambda d: (d.get("name") is None, d.get("name") or "",
                                        json.dumps(d, sort_keys=True)))


def describe_table(insp, table, dialect):
    columns = {
        c["name"]: {"nullable": bool(c["nullable"]), "type": type_name(c["type"], dialect),
                    "default": c.get("default")}
        for c in insp.get_columns(table)
    }
    fks = [{"columns": fk["constrained_columns"], "referred_table": fk["referred_table"],
            "referred_columns": fk["referred_columns"],
            **{action: (fk.get("options", {}).get(action) or "").upper() or None
               for action in ("ondelete", "onupdate")}}
           for fk in ask(insp.get_foreign_keys, table)]
    # duplicates_constraint: set (by PostgreSQL) on the index backing a UNIQUE
    # constraint; kept so the caller can decide whether to count that index.
    indexes = [{"name": ix["name"], "columns": list(ix.get("column_names") or []),
                "expressions": ix.get("expressions"), "unique": bool(ix.get("unique")),
                "duplicates_constraint": ix.get("duplicates_constraint")}
               for ix in ask(insp.get_indexes, table)]
    uniques = [{"name": u["name"], "columns": u["column_names"]}
               for u in ask(insp.get_unique_constraints, table)]
    checks = [{"name": c["name"], "sqltext": c["sqltext"]}
              for c in ask(insp.get_check_constraints, table)]
    return {
        "columns": columns,
        "primary_key": (insp.get_pk_constraint(table) or {}).get("constrained_columns") or [],
        "foreign_keys": sorted(fks, key=lambda d: json.dumps(d, sort_keys=True)),
        "indexes": canonical(indexes),
        "unique_constraints": canonical(uniques),
        "check_constraints": canonical(checks),
    }


def main(argv):
    if len(argv) != 2:
        fail("usage: reflect.py DATABASE_URL")
    try:
        engine = sa.create_engine(to_sqlalchemy_url(argv[1]))
        with engine.connect() as conn:
            insp = sa.inspect(conn)
            tables = {name: describe_table(insp, name, engine.dialect)
                      for name in insp.get_table_names() if name not in SKIPPED_TABLES}
    except sa.exc.DBAPIError as err:  # refused, unknown database, not a database file...
        fail("cannot connect: " + str(err.orig).strip().splitlines()[0])
    except (sa.exc.ArgumentError, sa.exc.NoSuchModuleError, ImportError, ValueError) as err:
        fail(f"cannot open {argv[1]!r}: {err}")
    json.dump({"tables": tables}, sys.stdout, indent=2, sort_keys=True)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main(sys.argv)
