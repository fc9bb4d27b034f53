"""Runs real Alembic online: `alembic_upgrade.py URL VERSIONS_DIR TARGET`
upgrades (or, for a TARGET starting with "-" or "base", downgrades) the
database at the SQLAlchemy URL with the revision files of VERSIONS_DIR,
through a stand-in env.py that does what Alembic's template does online.
For the translation test (tests/tests/translated.rs)."""

import os
import sys
import tempfile

from alembic import command
from alembic.config import Config

ENV_PY = '''
from alembic import context
from sqlalchemy import create_engine

url = context.config.get_main_option("sqlalchemy.url")
engine = create_engine(url)
with engine.connect() as connection:
    context.configure(connection=connection, target_metadata=None)
    with context.begin_transaction():
        context.run_migrations()
'''


def main():
    url, versions, target = sys.argv[1], sys.argv[2], sys.argv[3]
    with tempfile.TemporaryDirectory() as script:
        with open(os.path.join(script, "env.py"), "w") as env:
            env.write(ENV_PY)
        config = Config()
        config.set_main_option("script_location", script)
        config.set_main_option("version_locations", versions)
        config.set_main_option("path_separator", "os")
        config.set_main_option("sqlalchemy.url", url)
        if target == "base" or target.startswith("-"):
            command.downgrade(config, target)
        else:
            command.upgrade(config, target)


main()
