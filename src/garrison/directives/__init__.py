"""Directives (chỉ đạo): leaders' instructions with a deadline, followed until they are done.

Issued to a person, a post (whoever is on duty) or a unit, on an incident or on
their own; the receiver acknowledges and reports completion with a note. The
directive worker reminds the receiver when the deadline passes, then tells the
issuer. Everything is audited; directives on an incident are on its timeline.
"""
