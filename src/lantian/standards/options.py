"""Settings for the choices the standards leave open (spec/standards.md, items marked UNCONFIRMED).

Every switch defaults to the spec's recommended value; each field's comment names the clause.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

StandardName = Literal["hj633-2012", "hj633-2026"]
StandardChoice = Literal["hj633-2012", "hj633-2026", "auto"]


@dataclass(frozen=True, slots=True)
class AqiOptions:
    """Options of the AQI computation (HJ 633).

    - ``realtime_pm_basis``: PM10 / PM2.5 basis of the real-time IAQI. ``"1h"`` is the CNEMC
      practice since 2014-01-01 and HJ 633-2026 §4.2.4 (spec §1.5, CORROBORATED); ``"24h_moving"``
      uses the 24-h moving mean ending at the hour.
    - ``realtime_include_o3_8h``: whether the O3 8-h moving mean enters the real-time AQI
      (spec §1.5, UNCONFIRMED; default ``False`` as HJ 633-2026 and public implementations).
    - ``realtime_so2_substitute``: what replaces the SO2 1-h IAQI when SO2 1-h > 800 under
      HJ 633-2012 (Table 1 note 2). ``"24h_moving"`` (spec §1.5 default, UNCONFIRMED) uses the
      24-h moving SO2 mean ending at the hour; ``"none"`` leaves SO2 out of that hour's AQI, which
      is what the published CNEMC hourly AQI shows (data/PROVENANCE.md §1.5).
    - ``round_before_iaqi``: round concentrations per GB/T 8170 (integer, CO one decimal) before
      the IAQI (spec §0.2; explicit in HJ 633-2026 §4.2.2, UNCONFIRMED for 2012). When ``False``
      the IAQI is computed from the value kept to ``fine_decimals`` extra decimals.
    - ``over_range_iaqi``: the IAQI reported above the top breakpoint (spec §1.3: cap at 500 and
      flag ``over_range``; no extrapolation).
    """

    realtime_pm_basis: Literal["1h", "24h_moving"] = "1h"
    realtime_include_o3_8h: bool = False
    realtime_so2_substitute: Literal["24h_moving", "none"] = "24h_moving"
    round_before_iaqi: bool = True
    fine_decimals: int = 4
    over_range_iaqi: int = 500


@dataclass(frozen=True, slots=True)
class ValidityOptions:
    """Minimum counts of GB 3095-2012 Table 4 (spec §2.2) and HJ 663-2013 (spec §2.3, §3).

    - ``daily_min_hours``: 24-h mean needs >= 20 valid hourly values (GB 3095-2012 Table 4).
    - ``o3_8h_min_hours``: an 8-h moving mean needs >= 6 of its 8 hours (GB 3095-2012 Table 4).
    - ``o3_mda8_min_windows``: daily max 8-h O3 needs >= 14 valid windows of 17 (HJ 663-2013,
      UNCONFIRMED wording) unless ``o3_mda8_exceedance_exception`` and the max exceeds the limit.
    - ``monthly_min_days`` / ``monthly_min_days_february``: 27 / 25 daily values (spec §2.2).
    - ``annual_min_days``: 324 daily values per year (GB 3095-2012 Table 4).
    - ``rolling_min_points``: minimum valid points of a rolling 24-point mean; the GB 3095 rule is
      20, CNEMC's published ``*_24h`` columns are computed from any available points.
    """

    daily_min_hours: int = 20
    o3_8h_min_hours: int = 6
    o3_mda8_min_windows: int = 14
    o3_mda8_exceedance_exception: bool = True
    o3_8h_limit_fixed: int = 160
    monthly_min_days: int = 27
    monthly_min_days_february: int = 25
    annual_min_days: int = 324
    rolling_min_points: int = 20


DEFAULT_AQI_OPTIONS = AqiOptions()
DEFAULT_VALIDITY_OPTIONS = ValidityOptions()
