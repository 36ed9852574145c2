"""The workers of escalation, notifications and directives, in the order they must start."""

from __future__ import annotations

from garrison.directives.worker import DirectiveWorker
from garrison.escalation.worker import EscalationWorker
from garrison.notify.worker import NotificationWorker
from garrison.runtime.context import AppContext
from garrison.runtime.workers import Worker


def escalation_workers(context: AppContext) -> list[Worker]:
    """Delivery listens before anything can queue a notification; escalation and directive
    follow-up come next."""
    return [NotificationWorker(context), EscalationWorker(context), DirectiveWorker(context)]
