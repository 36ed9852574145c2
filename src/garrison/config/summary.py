"""How much an event configuration holds, section by section."""

from __future__ import annotations

from garrison.config.models import EventConfig


def summarize(config: EventConfig) -> dict[str, int]:
    organisation = config.organisation
    groups = {svc.redundancy.group for svc in config.services if svc.redundancy is not None}
    return {
        "units": len(organisation.units),
        "people": len(organisation.people),
        "posts": len(organisation.posts),
        "sites": len(config.sites),
        "services": len(config.services),
        "phases": len(config.event.phases),
        "redundancy_groups": len(groups),
        "dependencies": sum(len(service.depends_on) for service in config.services),
    }
