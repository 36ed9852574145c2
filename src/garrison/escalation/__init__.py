"""Escalation: an incident nobody acknowledges climbs the chain of command until someone does.

When an incident opens, the policy that applies (``policy.py``) is copied onto it;
the escalation worker fires its steps on ``context.clock`` from timers kept in the
database (``service.py``), notifying the people each step names (``targets.py``)
through ``garrison.notify``. An acknowledgement or a resolution stops it.
"""
