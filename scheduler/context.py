"""What every command gets: the database and config directory chosen by --db / --config."""
from __future__ import annotations

import click

from config.load import ConfigError, config_dir
from scheduler.output import fail
from storage.db import StorageError, database_url, init_db, make_engine


class Context:
    def __init__(self, db: str | None, config: str | None):
        self.db_url = database_url(db)
        self.config = config
        self._engine = None

    @property
    def config_dir(self):
        return config_dir(self.config)

    def engine(self):
        """Open (and migrate) the database on first use."""
        if self._engine is None:
            self._engine = make_engine(self.db_url)
            init_db(self._engine)
        return self._engine


class Group(click.Group):
    """Expected problems (bad config, unreachable database) print one clear line, not a traceback."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except (ConfigError, StorageError) as exc:
            fail(str(exc))
