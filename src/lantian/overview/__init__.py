"""The overview a leader and the office see first, and every account's to-do list.

Both are read-only summaries built from the owning packages' services (campaign, supervision,
monitoring, warnings), reckoned at the one clock (:mod:`lantian.clock`); every figure carries the
address of the list it summarises. See :mod:`lantian.overview.service`.
"""
