"""Effective settings of a lantian installation.

Settings come, in order of precedence, from ``LANTIAN_*`` environment variables, a ``.env`` file in the
working directory, and the defaults below. The default database is an embedded SQLite file under the
data directory, so that ``make run`` works on a fresh machine; production points
``LANTIAN_DATABASE_URL`` at PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import make_url

from lantian import clock
from lantian.timeutil import CHINA_TZ

DEFAULT_DATA_DIR = Path("var")


class Settings(BaseSettings):
    """All settings of one installation (read from ``LANTIAN_*`` variables and ``.env``)."""

    model_config = SettingsConfigDict(
        env_prefix="LANTIAN_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    data_dir: Path = Field(
        default=DEFAULT_DATA_DIR,
        description="数据目录 / where the SQLite database, uploads and raw frames are kept",
    )
    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL; default sqlite:///<data_dir>/lantian.sqlite3. "
        "PostgreSQL: postgresql+psycopg://user:password@host:5432/lantian",
    )
    host: str = Field(default="127.0.0.1", description="address `lantian serve` listens on")
    port: int = Field(default=8000, description="HTTP port of `lantian serve`")
    hj212_enabled: bool = Field(
        default=True, description="start the HJ 212 receiver with `lantian serve`"
    )
    hj212_host: str | None = Field(
        default=None, description="address the HJ 212 receiver listens on; default: LANTIAN_HOST"
    )
    hj212_port: int = Field(default=9212, description="HJ 212 数据接收端口 / receiver TCP port")
    # The receiver's bounds against a flood of devices (docs/hj212-receiver.md, "Bounds").
    hj212_max_connections: int = Field(
        default=2000, ge=1, description="HJ 212 receiver: most simultaneous connections"
    )
    hj212_max_connections_per_address: int = Field(
        default=100,
        ge=1,
        description="HJ 212 receiver: most simultaneous connections from one IP address "
        "(raise it when many data loggers reach the receiver through one carrier NAT)",
    )
    hj212_idle_timeout: float = Field(
        default=600.0, gt=0, description="HJ 212 receiver: close a connection silent this many s"
    )
    hj212_frame_timeout: float = Field(
        default=60.0,
        gt=0,
        description="HJ 212 receiver: a connection must send its first frame, and every frame "
        "once begun must be complete, within this many s (slow senders are closed)",
    )
    hj212_max_frame_size: int = Field(
        default=2048,
        ge=1036,
        le=65536,
        description="HJ 212 receiver: longest frame kept, bytes (HJ 212-2017 Table 2: 1036; "
        "room for over-long legacy segments)",
    )
    hj212_max_frames_per_second: float = Field(
        default=50.0,
        ge=0,
        description="HJ 212 receiver: frames read per second from one connection once its "
        "burst is spent (0: no limit); beyond it the connection is read more slowly",
    )
    hj212_frame_burst: int = Field(
        default=1500,
        ge=1,
        description="HJ 212 receiver: frames one connection may send at once (a day of minute "
        "data re-sent after an outage) before the per-second rate applies",
    )
    hj212_database_retry_max: float = Field(
        default=5.0,
        gt=0,
        description="HJ 212 receiver: longest wait, s, between attempts to reach a database "
        "that failed (the wait doubles from 0.2 s)",
    )
    scheduler_enabled: bool = Field(
        default=True, description="run the scheduled jobs inside `lantian serve`"
    )
    scheduler_tick: float = Field(
        default=30.0, gt=0, description="seconds between the scheduler's looks for due jobs"
    )
    secret_key: SecretStr = Field(
        default=SecretStr(""),
        description="key for session cookies; generated into <data_dir>/secret_key when empty",
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_format: Literal["console", "json"] = Field(
        default="console", description="console for people, json for log collectors"
    )
    plan_dir: Path | None = Field(
        default=None, description="the campaign plan to load; default: the bundled Xinmi plan"
    )
    archive_dir: Path | None = Field(
        default=None,
        description="the Parquet archive (lantian archive); default <data_dir>/archive",
    )
    partition_months_ahead: int = Field(
        default=3,
        ge=0,
        description="PostgreSQL: months of partitions the job partitions.ensure creates ahead",
    )

    as_of: datetime | None = Field(
        default=None,
        description="run the platform as of this instant (e.g. 2018-02-20T10:00, China time "
        "unless a zone is given): every page, count and job reckons from it; the demo uses "
        "lantian.demo.DEMO_AS_OF. Empty: the real time",
    )
    stale_after_hours: float = Field(
        default=3.0,
        gt=0,
        description="monitoring pages warn when the newest measured hour is older than this",
    )
    cems_episode_gap_hours: int = Field(
        default=3,
        ge=1,
        le=720,
        description="自动监控超标：连续多少个有效达标小时后再次超标算新的一次超标 (task 21; the gap "
        "between two exceedance episodes of one outlet, a platform choice)",
    )
    cems_listed_firms: int = Field(
        default=2,
        ge=1,
        description='一个月内一个乡镇有多少家企业超标即挂牌督办 (task 21 "多家企业超标排放")',
    )
    site_pm10_alert: float = Field(
        default=150.0,
        gt=0,
        description="施工工地在线监测 PM10 预警值 µg/m³ (task 28; not fixed by the plan: the "
        "default is GB 3095-2012's grade II 24-hour limit)",
    )
    site_pm10_hours: int = Field(
        default=3,
        ge=1,
        le=24,
        description="hours in a row above site_pm10_alert that make a site's dust a breach "
        "(not fixed by the plan)",
    )
    assessment_weights: dict[str, float] = Field(
        default_factory=dict,
        description="乡镇考核各指标权重 / weights of the township assessment's components, a JSON "
        'object such as {"air_quality": 40, "dust_fall": 15} over the defaults of '
        "lantian.assessment.components.DEFAULT_WEIGHTS (the seed gives none)",
    )
    patrol_report_days: int = Field(
        default=7,
        ge=0,
        le=28,
        description="非道路移动机械周巡查报告报送时限：该周周一后的天数 (task 24 says 每周 … 报市攻坚办 "
        "without a day; the default 7 is the following Monday)",
    )

    vehicle_opacity_limit_pct: float = Field(
        default=30.0,
        gt=0,
        description="遥感检测不透光烟度限值 % (task 23; HJ 845-2017, UNCONFIRMED: verify)",
    )
    vehicle_absorption_limit_m1: float = Field(
        default=1.2,
        gt=0,
        description="遥感检测光吸收系数限值 m⁻¹ (task 23; HJ 845-2017, UNCONFIRMED: verify)",
    )
    vehicle_no_limit_ppm: float = Field(
        default=1500.0,
        gt=0,
        description="遥感检测 NO 限值 ppm (task 23; HJ 845-2017, UNCONFIRMED: verify)",
    )
    vehicle_ringelmann_limit: int = Field(
        default=1,
        ge=1,
        le=5,
        description="林格曼黑度达到此级即为冒黑烟 (task 23; HJ 845-2017, UNCONFIRMED: verify)",
    )

    weather_trees: int = Field(
        default=200,
        ge=10,
        le=2000,
        description="气象归一化：随机森林的树数 / trees of the weather-normalisation forest "
        "(Vu et al. 2019; rmweather's default is 300)",
    )
    weather_samples: int = Field(
        default=300,
        ge=10,
        le=5000,
        description="气象归一化：每个时刻重抽样的气象条件数 / weather situations drawn per time",
    )
    weather_seeds: int = Field(
        default=5,
        ge=1,
        le=50,
        description="气象归一化：重复的随机种子数（不确定度）/ seeds repeated for the uncertainty",
    )
    weather_window_days: int = Field(
        default=14,
        ge=1,
        le=183,
        description="气象归一化：从前后多少天（同一日序）抽取气象 / weather drawn within this many "
        "days of the same day of year (Vu et al. 2019: two weeks)",
    )
    weather_training_margin_days: int = Field(
        default=365,
        ge=0,
        le=3650,
        description="气象归一化：训练数据在基准期前和评估期后各延伸的天数 / days of record "
        "before the baseline and after the period the forest also learns from",
    )

    upload_max_bytes: int = Field(
        default=100 * 1024 * 1024,
        ge=1024,
        description="上传文件上限（字节）/ the largest file any import or upload accepts (a table, "
        "a plan file, evidence); a kind may set a smaller one of its own",
    )
    xlsx_max_uncompressed_bytes: int = Field(
        default=1024 * 1024 * 1024,
        ge=1024 * 1024,
        description="一个 .xlsx 工作簿解压后的总大小上限 / the largest total of the uncompressed "
        "parts of an .xlsx workbook (a zip bomb is refused above it)",
    )
    xlsx_max_compression_ratio: int = Field(
        default=250,
        ge=10,
        description="一个 .xlsx 部件的最大压缩比 / the largest compression ratio of one part of "
        "an .xlsx workbook (real sheets compress 5-50x, zip bombs 1,000x and more)",
    )

    @field_validator("as_of", mode="before")
    @classmethod
    def _empty_as_of_is_none(cls, value: Any) -> Any:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("as_of")
    @classmethod
    def _as_of_in_china_time(cls, value: datetime | None) -> datetime | None:
        # A time written without a zone is a time in China, as every time in the plan is.
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=CHINA_TZ)
        return value

    @property
    def effective_database_url(self) -> str:
        """The database URL in force: the explicit one, or the SQLite file under ``data_dir``."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'lantian.sqlite3').resolve()}"

    @property
    def effective_archive_dir(self) -> Path:
        """The Parquet archive in force: the explicit folder, or ``<data_dir>/archive``."""
        return self.archive_dir if self.archive_dir is not None else self.data_dir / "archive"

    def ensure_data_dir(self) -> Path:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        return self.data_dir

    def session_secret(self) -> str:
        """The cookie-signing key; generated once and kept in the data directory if not set."""
        explicit = self.secret_key.get_secret_value()
        if explicit:
            return explicit
        key_file = self.ensure_data_dir() / "secret_key"
        if not key_file.exists():
            import secrets

            key_file.write_text(secrets.token_urlsafe(48), encoding="utf-8")
            key_file.chmod(0o600)
        return key_file.read_text(encoding="utf-8").strip()

    def public_view(self) -> dict[str, Any]:
        """The effective settings with every secret hidden, for `lantian config`."""
        view: dict[str, Any] = {}
        for name in type(self).model_fields:
            value = getattr(self, name)
            if isinstance(value, SecretStr):
                view[name] = "********" if value.get_secret_value() else "(generated)"
            else:
                view[name] = value
        view["database_url"] = make_url(self.effective_database_url).render_as_string(
            hide_password=True
        )
        return view


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings (tests build their own :class:`Settings` instead)."""
    return Settings()


@contextmanager
def as_of_in_force(settings: Settings) -> Iterator[datetime | None]:
    """Run the block on the settings' "as of" clock (``LANTIAN_AS_OF``), seen by every thread.

    `lantian serve` and `lantian worker` run inside it, so that the scheduler, the HJ 212 receiver's
    parent and the web app reckon from one instant. Without ``as_of`` the block runs on the real
    time and yields ``None``.
    """
    if settings.as_of is None:
        yield None
        return
    with clock.use(clock.AsOfClock(settings.as_of), process_wide=True):
        yield settings.as_of
