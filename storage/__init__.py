"""Storage: SQLAlchemy 2 models and queries. Imports config at most, never crawler or scheduler."""
