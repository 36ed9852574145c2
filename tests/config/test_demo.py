from __future__ import annotations

import hashlib
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest

import garrison.config
from garrison.auth.permissions import Role
from garrison.config import (
    LoadedConfig,
    PhaseId,
    RedundancyRole,
    ServiceKind,
    load_config,
    summarize,
)

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
DEMO = EXAMPLES / "demo-event.yaml"
PEOPLE = EXAMPLES / "demo-event" / "people.yaml"


@pytest.fixture(scope="module")
def demo() -> LoadedConfig:
    return load_config(DEMO, environ={})


def test_demo_counts(demo: LoadedConfig) -> None:
    assert summarize(demo.config) == {
        "units": 2,
        "people": 12,
        "posts": 5,
        "sites": 3,
        "services": 15,
        "phases": 3,
        "redundancy_groups": 1,
        "dependencies": 13,
    }


def test_demo_files_and_digest(demo: LoadedConfig) -> None:
    assert demo.files == (DEMO, PEOPLE)
    expected = hashlib.sha256(DEMO.read_bytes() + PEOPLE.read_bytes()).hexdigest()
    assert demo.digest == expected


def test_demo_times_are_utc(demo: LoadedConfig) -> None:
    event = demo.config.event
    assert event.start == datetime(2026, 10, 12, 0, 0, tzinfo=UTC)
    assert event.end == datetime(2026, 10, 18, 15, 0, tzinfo=UTC)
    assert [phase.id for phase in event.phases] == list(PhaseId)
    assert all(phase.start.tzinfo is UTC for phase in event.phases)


def test_demo_covers_every_kind_role_and_the_uplink_pair(demo: LoadedConfig) -> None:
    config = demo.config
    assert {service.kind for service in config.services} == set(ServiceKind)
    assert {person.role for person in config.organisation.people} == set(Role)
    uplink = {
        service.id: service.redundancy.role
        for service in config.services
        if service.redundancy is not None and service.redundancy.group == "uplink"
    }
    assert uplink == {
        "uplink-primary": RedundancyRole.PRIMARY,
        "uplink-backup": RedundancyRole.BACKUP,
    }


def test_demo_endpoints_stay_on_the_lab_ports(demo: LoadedConfig) -> None:
    endpoints = [url for service in demo.config.services for url in service.endpoints]
    assert "http://127.0.0.1:18080/" in endpoints
    assert "http://127.0.0.1:18081/" in endpoints
    assert "tcp://127.0.0.1:18022" in endpoints
    assert "tcp://127.0.0.1:18023" in endpoints
    for url in endpoints:
        host_port = url.split("://", 1)[1].split("/", 1)[0]
        host, port = host_port.split(":")
        assert host == "127.0.0.1"
        assert 18000 <= int(port) <= 18999


def test_demo_webhook_default_and_override() -> None:
    default = load_config(DEMO, environ={})
    webhooks = [p.contacts.webhook for p in default.config.organisation.people]
    assert "http://127.0.0.1:18900/hooks/shift-command" in webhooks
    moved = load_config(DEMO, environ={"GARRISON_DEMO_WEBHOOK": "http://127.0.0.1:18901/x"})
    assert "http://127.0.0.1:18901/x" in [
        p.contacts.webhook for p in moved.config.organisation.people
    ]


def _snapshot(root: Path) -> dict[str, tuple[int, int]]:
    return {
        str(path.relative_to(root)): (path.stat().st_size, path.stat().st_mtime_ns)
        for path in sorted(root.rglob("*"))
    }


def test_loading_writes_nothing(tmp_path: Path) -> None:
    copy = tmp_path / "examples"
    shutil.copytree(EXAMPLES, copy)
    before = _snapshot(tmp_path)
    load_config(copy / "demo-event.yaml", environ={})
    assert _snapshot(tmp_path) == before


def test_public_surface() -> None:
    assert set(garrison.config.__all__) == {
        "MAX_FILES",
        "MAX_FILE_BYTES",
        "MAX_INCLUDE_DEPTH",
        "ConfigIssue",
        "ConfigValidationError",
        "Contacts",
        "Criticality",
        "EventConfig",
        "EventSection",
        "Inconsistency",
        "LoadedConfig",
        "Organisation",
        "Person",
        "Phase",
        "PhaseId",
        "Post",
        "Redundancy",
        "RedundancyRole",
        "Service",
        "ServiceKind",
        "Site",
        "Unit",
        "event_config_json_schema",
        "find_inconsistencies",
        "load_config",
        "summarize",
    }
