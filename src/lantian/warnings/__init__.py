"""Heavy-pollution warnings: forecasts, level rules, episode lifecycle, linkage, notices.

Seed tasks 40–42 and spec §4.1–4.2. The engine proposes and explains; a person decides.
"""
