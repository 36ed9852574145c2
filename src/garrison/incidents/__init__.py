"""Incidents: signals in, alerts deduplicated and grouped, incidents with a timeline.

Signals come from the bus (probes, detection) and from outside systems over HTTP
(Prometheus Alertmanager, PagerDuty Events API v2 clients, a generic webhook).
Every signal is stored; alerts are deduplicated by their key and grouped into
open incidents; an incident moves through triggered → acknowledged → mitigated →
resolved → closed, with a classification and a need-to-know list enforced on
every read. Escalation hooks in through the bus events of ``events.py`` and
``timeline.add_timeline_entry``.
"""
