"""Enforcement actions beyond their register (plan safeguard 三): the monthly statistics per unit
and township (:mod:`.statistics`), the public disclosure list (:mod:`.disclosure`), and the way
from an inspection case to a new action (:mod:`.from_case`). The register itself is the kind
``enforcement_action`` (:mod:`lantian.sources.kinds.enforcement_actions`)."""
