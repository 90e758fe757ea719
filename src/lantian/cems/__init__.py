"""Task 21's enforcement on stack data: the hourly judgement of each outlet's CEMS data (即超即罚),
the daily-penalty day counts (按日计罚), the monthly transmission rates and listed supervision
(挂牌督办). The register of stacks is :mod:`lantian.sources.kinds.stacks`; the arithmetic is
:mod:`lantian.standards.cems`."""
