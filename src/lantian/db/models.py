"""Imports every domain package's tables so that ``Base.metadata`` is complete (for Alembic)."""

from lantian.db.base import Base
from lantian.monitoring import models as monitoring_models

__all__ = ["Base", "monitoring_models"]
