"""The campaign plan as data: areas, units, tasks, targets, progress reports, accountability."""
