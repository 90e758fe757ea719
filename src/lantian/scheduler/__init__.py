"""One scheduler inside the platform: what must run on a clock runs here, not from a cron line.

Owning packages register their jobs (``<package>/jobs.py``, see :mod:`lantian.scheduler.registry`);
:mod:`lantian.scheduler.service` decides what is due, takes a lease in the database so that two
platform processes never run the same job at once, records every run in ``job_runs`` and retries a
failed run a bounded number of times with back-off. ``lantian serve`` runs it in a background
thread, ``lantian worker`` as a process of its own.
"""
