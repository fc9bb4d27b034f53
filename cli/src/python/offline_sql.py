"""What Alembic emits for the bodies of revision files, offline.

    offline_sql.py DIALECT FILE.py…

Prints one JSON object: for each file, its upgrade and downgrade, each the
list of statements Alembic's offline mode writes (`alembic upgrade A:B
--sql`) without their terminators, or {"error": …} where Alembic refuses. Each body runs against a
MigrationContext configured as Alembic's template configures offline mode
(literal_binds), with `op` bound, without env.py or the version table.
"""

import importlib.util
import json
import sys

from alembic.config import Config
from alembic.operations import Operations
from alembic.runtime.environment import EnvironmentContext
from alembic.runtime.migration import MigrationContext


class Collect:
    """An output buffer that keeps each statement Alembic writes."""

    def __init__(self):
        self.statements = []

    def write(self, text):
        text = text[:-2] if text.endswith("\n\n") else text
        self.statements.append(text[:-1] if text.endswith(";") else text)

    def flush(self):
        pass


def body(module, name, dialect):
    buffer = Collect()
    context = MigrationContext.configure(
        dialect_name=dialect,
        opts={"as_sql": True, "output_buffer": buffer, "literal_binds": True},
    )
    # `from alembic import context` in a revision (context.get_impl(),
    # context.is_offline_mode()) sees an environment as env.py makes it.
    environment = EnvironmentContext(Config(), None)
    environment.context_opts["as_sql"] = True
    environment._migration_context = context
    with environment, Operations.context(context):
        getattr(module, name)()
    return buffer.statements


def main():
    dialect = sys.argv[1]
    result = {}
    for index, path in enumerate(sys.argv[2:]):
        spec = importlib.util.spec_from_file_location(f"revision_{index}", path)
        module = importlib.util.module_from_spec(spec)
        entry = {}
        try:
            spec.loader.exec_module(module)
        except Exception as error:  # an import of the project's, say
            failed = {"error": f"importing it: {type(error).__name__}: {error}"}
            result[path] = {"upgrade": failed, "downgrade": failed}
            continue
        for name in ("upgrade", "downgrade"):
            try:
                entry[name] = body(module, name, dialect)
            except Exception as error:  # reported with the file
                entry[name] = {"error": f"{type(error).__name__}: {error}"}
        result[path] = entry
    json.dump(result, sys.stdout, indent=1)


main()
