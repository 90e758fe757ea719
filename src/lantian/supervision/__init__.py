"""Supervision: inspection cases from assignment to closure, duty roster and daily reports.

Implements the seed's second document (新密市…强化督查巡查工作方案): cases handed over by the
inspection teams are forwarded (转办), rectified (整改), reported back (反馈) and closed (办结) by the
case-handling group (现场保障及案件查办组), who propose accountability (建议问责) to the accountability
group; five working groups report daily by 17:00. The same case mechanism carries every other problem
the platform finds (a stack exceedance, a ledger violation, a late task) through
:func:`lantian.supervision.service.open_case`.
"""
