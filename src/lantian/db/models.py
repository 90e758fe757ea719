"""Imports every domain package's tables so that ``Base.metadata`` is complete (for Alembic)."""

from lantian.assessment import models as assessment_models
from lantian.auth import models as auth_models
from lantian.briefings import models as briefing_models
from lantian.campaign import models as campaign_models
from lantian.db.base import Base
from lantian.emissions import models as emissions_models
from lantian.execution import models as execution_models
from lantian.monitoring import hj212_models as hj212_models
from lantian.monitoring import models as monitoring_models
from lantian.scheduler import models as scheduler_models
from lantian.sources import kinds as source_kinds
from lantian.sources import models as source_models
from lantian.supervision import models as supervision_models
from lantian.warnings import models as warnings_models
from lantian.weather import models as weather_models

__all__ = [
    "Base",
    "assessment_models",
    "auth_models",
    "briefing_models",
    "campaign_models",
    "emissions_models",
    "execution_models",
    "hj212_models",
    "monitoring_models",
    "scheduler_models",
    "source_kinds",
    "source_models",
    "supervision_models",
    "warnings_models",
    "weather_models",
]
