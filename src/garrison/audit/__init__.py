"""The tamper-evident audit chain: every state change, who made it, and proof it is unaltered."""

from garrison.audit.actor import Actor
from garrison.audit.models import AuditEntry
from garrison.audit.service import AuditDraft, list_audit, record_audit, record_audits
from garrison.audit.verify import ChainProblem, VerifyReport, verify_chain

__all__ = [
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
