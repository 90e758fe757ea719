"""The campaign's results computed from the platform's own data (issue 18).

:mod:`lantian.results.headline` — the plan's two headline targets (PM2.5 period mean and
heavy-pollution days against the same period a year before) from the stored measurements.
"""
