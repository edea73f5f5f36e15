"""Collects the click commands defined outside cli.py (one module per area, each with COMMANDS)."""
from __future__ import annotations

import importlib

# Modules are added here as areas land; a module that is missing is a packaging bug, not optional.
MODULES: list[str] = ["scheduler.cmd_query", "scheduler.cmd_daemon", "scheduler.cmd_articles",
                       "scheduler.cmd_exercises", "scheduler.cmd_extract", "scheduler.cmd_digest",
                       "scheduler.cmd_cluster"]


def all_commands():
    for name in MODULES:
        yield from importlib.import_module(name).COMMANDS
