"""The audit package's public surface, pinned."""

from __future__ import annotations

import garrison.audit


def test_public_names() -> None:
    assert sorted(garrison.audit.__all__) == [
        "Actor",
        "AuditDraft",
        "AuditEntry",
        "ChainProblem",
        "VerifyReport",
        "list_audit",
        "record_audit",
        "record_audits",
        "verify_chain",
    ]
    for name in garrison.audit.__all__:
        assert getattr(garrison.audit, name) is not None
