"""The campaign's weekly and monthly briefings (工作周报、月报; issue 18).

:func:`lantian.briefings.figures.build_briefing` gathers the figures of a week or month from the
owning packages' services; :mod:`lantian.briefings.documents` renders them as Word, PDF and Excel
with the charts and the map of :mod:`lantian.briefings.charts`, in the layout of the plan's
``briefing.toml`` template; :func:`lantian.briefings.service.make_briefing` keeps the three files
in the file store and records the issue (``briefings``, audited). A scheduled job
(:mod:`lantian.briefings.jobs`) makes the previous week's and month's; the page ``/briefings``
lists, makes and serves them; ``lantian briefing make`` does the same from the command line.
"""
