"""Source registers (台账): every source the plan names, known one by one, each with its lifecycle.

* :mod:`lantian.sources.registry` — what a kind of register is (:class:`RegisterKind`) and the kinds;
* :mod:`lantian.sources.lifecycle` — lifecycles as transition tables citing the plan;
* :mod:`lantian.sources.models` — the tables every kind shares and the columns each kind starts with;
* :mod:`lantian.sources.service` — the one write path: import, save, steps, field checks, rules →
  inspection cases, listing in scope, indicators of the plan's targets;
* :mod:`lantian.sources.kinds` — one module per kind (table, row, lifecycle, rules, indicators, sample).
"""
