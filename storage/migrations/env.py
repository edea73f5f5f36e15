"""Alembic environment: drillwatch passes its engine in; `alembic -x db=URL` works too."""
from alembic import context
from sqlalchemy import pool

from storage.db import make_engine
from storage.migrations.env_filter import include_name
from storage.models import Base

config = context.config
target_metadata = Base.metadata

def run_migrations_online() -> None:
    engine = config.attributes.get("engine")
    if engine is None:
        engine = make_engine(context.get_x_argument(as_dictionary=True).get("db"), poolclass=pool.NullPool)
    with engine.begin() as connection:
        if connection.dialect.name == "sqlite":
            # Table rebuilds (batch mode) must not trip over the article_exercises view.
            connection.exec_driver_sql("PRAGMA legacy_alter_table=ON")
        context.configure(connection=connection, target_metadata=target_metadata, include_name=include_name,
                          render_as_batch=connection.dialect.name == "sqlite")
        context.run_migrations()


run_migrations_online()
