"""The grants table: every role against a sample of actions, and scopes that stop at their border."""

from __future__ import annotations

import pytest

from lantian.auth.permissions import (
    GRANTS,
    PUBLIC,
    RESOURCE_KINDS,
    Action,
    Principal,
    can,
    resource,
)

ADMIN = Principal("admin", "administrator")
OFFICE = Principal("gongjianban", "campaign_office")
LEADER = Principal("fushizhang", "leader")
INSPECTOR = Principal("duchazu", "inspector")
UNIT_HBJ = Principal("hbj", "unit", "HBJ")  # 环保局
TOWN_A = Principal("quzhuang", "township", "410183100")  # 曲梁镇
TOWN_B = Principal("chengguan", "township", "410183101")
DEVICE = Principal("logger-01", "device")

TASK_OF_HBJ = resource("task", unit="HBJ", units=["GAJ"], area="410183100")
TASK_OF_JTJ = resource("task", unit="JTJ")
CASE_IN_A = resource("inspection_case", area="410183100")
CASE_IN_B = resource("inspection_case", area="410183101")
STATION_IN_A = resource("station", area="410183100")
AQI_PUBLISHED = resource("aqi", published=True)
AQI_UNPUBLISHED = resource("aqi")
MEASUREMENT_IN_A = resource("measurement", area="410183100")
HJ212 = resource("hj212_data")
ACCOUNT = resource("account")
AUDIT_LOG = resource("audit_log")

R, W, V, S = Action.READ, Action.WRITE, Action.REVIEW, Action.SUBMIT_HJ212

#: (principal, action, resource, allowed) — the expected answers, written out one by one.
CASES = [
    # administrator: everything but submitting device data
    (ADMIN, W, ACCOUNT, True),
    (ADMIN, R, AUDIT_LOG, True),
    (ADMIN, V, MEASUREMENT_IN_A, True),
    (ADMIN, W, TASK_OF_JTJ, True),
    (ADMIN, S, HJ212, False),
    # campaign office: runs the campaign, reads accounts and the audit log, manages neither
    (OFFICE, W, TASK_OF_JTJ, True),
    (OFFICE, V, MEASUREMENT_IN_A, True),
    (OFFICE, R, AUDIT_LOG, True),
    (OFFICE, R, ACCOUNT, True),
    (OFFICE, W, ACCOUNT, False),
    (OFFICE, S, HJ212, False),
    # leader: reads everything, changes nothing
    (LEADER, R, TASK_OF_JTJ, True),
    (LEADER, R, AUDIT_LOG, True),
    (LEADER, R, ACCOUNT, True),
    (LEADER, R, AQI_UNPUBLISHED, True),
    (LEADER, W, TASK_OF_JTJ, False),
    (LEADER, V, MEASUREMENT_IN_A, False),
    (LEADER, W, ACCOUNT, False),
    # inspector: reads the campaign, writes inspection cases
    (INSPECTOR, R, STATION_IN_A, True),
    (INSPECTOR, W, CASE_IN_B, True),
    (INSPECTOR, W, TASK_OF_HBJ, False),
    (INSPECTOR, R, AUDIT_LOG, False),
    # unit: its own unit's things only (lead or cooperating), plus what is published
    (UNIT_HBJ, R, TASK_OF_HBJ, True),
    (UNIT_HBJ, W, TASK_OF_HBJ, True),
    (Principal("gaj", "unit", "GAJ"), W, TASK_OF_HBJ, True),  # cooperating unit
    (UNIT_HBJ, R, TASK_OF_JTJ, False),
    (UNIT_HBJ, W, TASK_OF_JTJ, False),
    (UNIT_HBJ, R, AQI_PUBLISHED, True),
    (UNIT_HBJ, R, AQI_UNPUBLISHED, False),
    (UNIT_HBJ, V, TASK_OF_HBJ, False),
    (UNIT_HBJ, R, ACCOUNT, False),
    # township: its own area only; township A refused township B's case
    (TOWN_A, R, CASE_IN_A, True),
    (TOWN_A, W, CASE_IN_A, True),
    (TOWN_A, R, CASE_IN_B, False),
    (TOWN_A, W, CASE_IN_B, False),
    (TOWN_B, W, CASE_IN_B, True),
    (TOWN_A, R, STATION_IN_A, True),
    (TOWN_A, W, STATION_IN_A, False),  # stations are the office's
    (TOWN_A, W, MEASUREMENT_IN_A, False),  # monitoring data are never a township's to change
    (TOWN_A, R, TASK_OF_HBJ, True),  # the task names area A
    (TOWN_A, R, TASK_OF_JTJ, False),
    # device: HJ 212 data only
    (DEVICE, S, HJ212, True),
    (DEVICE, R, HJ212, False),
    (DEVICE, R, AQI_UNPUBLISHED, False),
    (DEVICE, W, MEASUREMENT_IN_A, False),
    # the anonymous public: published data only
    (PUBLIC, R, AQI_PUBLISHED, True),
    (PUBLIC, R, resource("warning", published=True), True),
    (PUBLIC, R, AQI_UNPUBLISHED, False),
    (PUBLIC, W, AQI_PUBLISHED, False),
    (PUBLIC, R, resource("audit_log", published=True), False),
    (PUBLIC, S, HJ212, False),
]


@pytest.mark.parametrize(("principal", "action", "target", "allowed"), CASES)
def test_grants(principal: Principal, action: Action, target: object, allowed: bool) -> None:
    assert can(principal, action, target) is allowed  # type: ignore[arg-type]


def test_every_role_is_exercised_by_the_table() -> None:
    exercised = {principal.role for principal, *_ in CASES}
    assert exercised == {grant.role for grant in GRANTS}


def test_nobody_but_a_device_submits_hj212_data() -> None:
    submitters = {g.role for g in GRANTS if Action.SUBMIT_HJ212 in g.actions}
    assert submitters == {"device"}


def test_leader_reads_every_kind_and_writes_none() -> None:
    for kind in RESOURCE_KINDS:
        assert can(LEADER, "read", resource(kind))
        assert not can(LEADER, "write", resource(kind))


def test_mistakes_fail_loudly() -> None:
    with pytest.raises(ValueError, match="kind"):
        resource("tsak")
    with pytest.raises(ValueError):
        can(ADMIN, "delete", TASK_OF_HBJ)
    with pytest.raises(ValueError, match="scope"):
        Principal("x", "township")
    with pytest.raises(ValueError, match="role"):
        Principal("x", "superuser")
