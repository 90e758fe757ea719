"""Database plumbing: the declarative base, engines and sessions, and Alembic migrations."""

from lantian.db.base import Base
from lantian.db.engine import create_db_engine, session_factory

__all__ = ["Base", "create_db_engine", "session_factory"]
