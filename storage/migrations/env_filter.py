"""What autogenerate compares: the ORM models, nothing else."""

# Objects that are not ORM models and must never be "dropped" by autogenerate: APScheduler's job
# table, the full-text search table/column/index of migration 0002 and FTS5's shadow tables.
NOT_MODELS = ("apscheduler_jobs", "articles_fts", "search_vector", "ix_articles_search", "article_exercises")


def include_name(name, type_, parent_names) -> bool:
    return not (name and name.startswith(NOT_MODELS))
