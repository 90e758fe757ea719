"""The plan the web app runs on: read once by :func:`lantian.web.app.create_app`."""

from __future__ import annotations

from fastapi import Request

from lantian.plan import Plan


def current_plan(request: Request) -> Plan:
    """The plan held on ``app.state`` (read when the app was built, never per request)."""
    plan: Plan = request.app.state.plan
    return plan
