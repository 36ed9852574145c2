"""Typed publish/subscribe for domain events."""

from garrison.bus.abc import Bus, Subscription
from garrison.bus.events import DomainEvent
from garrison.bus.memory import InProcessBus

__all__ = ["Bus", "DomainEvent", "InProcessBus", "Subscription"]
