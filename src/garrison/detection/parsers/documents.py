"""JSON documents: flattened with dotted names; Windows events in Sigma's field names.

Windows events arrive as the JSON of an EVTX record (SigmaHQ's regression samples,
``Event.System`` / ``Event.EventData``), from Winlogbeat (``winlog.*``) or from NXLog
(flat ``EventID``, ``SourceName``, ``Channel`` …). All three become the flat names Sigma
rules use: ``EventID``, ``Channel``, ``Provider_Name``, ``Computer`` and the EventData
names (``Image``, ``CommandLine``, ``TargetUserName`` …).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from garrison.detection.parsers.base import Failure, clean_account, normalise_address
from garrison.detection.parsers.timestamps import parse_iso
from garrison.detection.records import LogSource


class DocumentTooDeep(ValueError):
    """A JSON document nests deeper than the limit."""


def flatten(document: Mapping[str, Any], *, max_depth: int, prefix: str = "") -> dict[str, Any]:
    """``{"a": {"b": 1}}`` → ``{"a.b": 1}``; lists of scalars stay lists."""
    flat: dict[str, Any] = {}
    _flatten_into(flat, document, prefix, depth=1, max_depth=max_depth)
    return flat


def _flatten_into(
    flat: dict[str, Any], value: Any, name: str, *, depth: int, max_depth: int
) -> None:
    if depth > max_depth:
        raise DocumentTooDeep(name or "(document)")
    if isinstance(value, Mapping):
        for key, item in value.items():
            child = f"{name}.{key}" if name else str(key)
            _flatten_into(flat, item, child, depth=depth + 1, max_depth=max_depth)
        return
    if isinstance(value, list):
        if all(not isinstance(item, Mapping | list) for item in value):
            flat[name] = value
            return
        for index, item in enumerate(value):
            _flatten_into(flat, item, f"{name}.{index}", depth=depth + 1, max_depth=max_depth)
        return
    flat[name] = value


def check_depth(value: Any, *, max_depth: int) -> None:
    """Raise :class:`DocumentTooDeep` when ``value`` nests deeper than ``max_depth``."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > max_depth:
            raise DocumentTooDeep("(document)")
        if isinstance(item, Mapping):
            stack.extend((child, depth + 1) for child in item.values())
        elif isinstance(item, list):
            stack.extend((child, depth + 1) for child in item)


@dataclass(frozen=True, slots=True)
class WindowsEvent:
    fields: dict[str, Any]
    logsource: LogSource
    timestamp: datetime | None
    host: str | None
    failure: Failure | None


def is_windows_event(document: Mapping[str, Any]) -> bool:
    event = document.get("Event")
    if isinstance(event, Mapping) and isinstance(event.get("System"), Mapping):
        return True
    if isinstance(document.get("winlog"), Mapping):
        return True
    return "EventID" in document and ("Channel" in document or "SourceName" in document)


def windows_event(document: Mapping[str, Any], *, max_depth: int) -> WindowsEvent:
    event = document.get("Event")
    if isinstance(event, Mapping) and isinstance(event.get("System"), Mapping):
        fields = _from_evtx(event, max_depth=max_depth)
    elif isinstance(document.get("winlog"), Mapping):
        fields = _from_winlogbeat(document, max_depth=max_depth)
    else:
        fields = _from_nxlog(document, max_depth=max_depth)
    event_id = _as_int(fields.get("EventID"))
    if event_id is not None:
        fields["EventID"] = event_id
    channel = str(fields.get("Channel") or "")
    _add_process_aliases(fields, event_id, channel)
    timestamp = (
        parse_iso(str(fields.get("TimeCreated") or "")) if fields.get("TimeCreated") else None
    )
    computer = fields.get("Computer")
    return WindowsEvent(
        fields=fields,
        logsource=LogSource(
            product="windows", service=_service(channel), category=_category(event_id, channel)
        ),
        timestamp=timestamp,
        host=str(computer) if computer else None,
        failure=_logon_failure(fields, event_id, channel),
    )


def _from_evtx(event: Mapping[str, Any], *, max_depth: int) -> dict[str, Any]:
    system = event["System"]
    fields: dict[str, Any] = {}
    for key, value in system.items():
        if isinstance(value, Mapping):
            attributes = value.get("#attributes")
            if key == "EventID" and "#text" in value:
                fields["EventID"] = value["#text"]
            elif key == "TimeCreated" and isinstance(attributes, Mapping):
                fields["TimeCreated"] = attributes.get("SystemTime")
            elif isinstance(attributes, Mapping):
                for name, item in attributes.items():
                    fields[f"{key}_{name}"] = item
        elif value is not None:
            fields[key] = value
    for section in ("EventData", "UserData"):
        data = event.get(section)
        if isinstance(data, Mapping):
            fields.update(_event_data(data, max_depth=max_depth, unwrap=section == "UserData"))
    return fields


def _event_data(data: Mapping[str, Any], *, max_depth: int, unwrap: bool) -> dict[str, Any]:
    items = data.get("Data")
    if isinstance(items, list) and all(isinstance(item, Mapping) for item in items):
        named: dict[str, Any] = {}
        for item in items:
            attributes = item.get("#attributes")
            if isinstance(attributes, Mapping) and "Name" in attributes:
                named[str(attributes["Name"])] = item.get("#text")
        return named
    cleaned = {key: value for key, value in data.items() if key != "#attributes"}
    if unwrap and len(cleaned) == 1:
        (inner,) = cleaned.values()
        if isinstance(inner, Mapping):
            cleaned = {key: value for key, value in inner.items() if key != "#attributes"}
    return flatten(cleaned, max_depth=max_depth)


_WINLOGBEAT_SYSTEM = {
    "event_id": "EventID",
    "channel": "Channel",
    "provider_name": "Provider_Name",
    "provider_guid": "Provider_Guid",
    "computer_name": "Computer",
    "record_id": "EventRecordID",
    "task": "Task",
    "opcode": "Opcode",
    "keywords": "Keywords",
    "level": "Level",
}


def _from_winlogbeat(document: Mapping[str, Any], *, max_depth: int) -> dict[str, Any]:
    winlog = document["winlog"]
    fields = {
        key: value
        for key, value in flatten(document, max_depth=max_depth).items()
        if not key.startswith("winlog.")
    }
    for source, target in _WINLOGBEAT_SYSTEM.items():
        if winlog.get(source) is not None:
            fields[target] = winlog[source]
    for section in ("event_data", "user_data"):
        data = winlog.get(section)
        if isinstance(data, Mapping):
            fields.update(flatten(data, max_depth=max_depth))
    if "@timestamp" in document:
        fields["TimeCreated"] = document["@timestamp"]
    return fields


_NXLOG_RENAMES = {"SourceName": "Provider_Name", "Hostname": "Computer", "EventTime": "TimeCreated"}


def _from_nxlog(document: Mapping[str, Any], *, max_depth: int) -> dict[str, Any]:
    fields = flatten(document, max_depth=max_depth)
    for source, target in _NXLOG_RENAMES.items():
        if source in fields and target not in fields:
            fields[target] = fields.pop(source)
    return fields


def _add_process_aliases(fields: dict[str, Any], event_id: int | None, channel: str) -> None:
    # Security 4688 names the process fields differently; Sigma's process_creation rules
    # are written with Sysmon's names.
    if channel == "Security" and event_id == 4688:
        for alias, original in (("Image", "NewProcessName"), ("ParentImage", "ParentProcessName")):
            if alias not in fields and original in fields:
                fields[alias] = fields[original]


_SERVICES = {
    "security": "security",
    "system": "system",
    "application": "application",
    "microsoft-windows-sysmon/operational": "sysmon",
    "windows powershell": "powershell-classic",
    "microsoft-windows-powershell/operational": "powershell",
    "microsoft-windows-windows defender/operational": "windefend",
    "microsoft-windows-taskscheduler/operational": "taskscheduler",
    "microsoft-windows-windows firewall with advanced security/firewall": "firewall-as",
    "microsoft-windows-bits-client/operational": "bits-client",
    "microsoft-windows-dns-client/operational": "dns-client",
    "microsoft-windows-wmi-activity/operational": "wmi",
    "microsoft-windows-codeintegrity/operational": "codeintegrity-operational",
}
_SYSMON_CATEGORIES = {
    1: "process_creation",
    2: "file_change",
    3: "network_connection",
    5: "process_termination",
    6: "driver_load",
    7: "image_load",
    8: "create_remote_thread",
    9: "raw_access_thread",
    10: "process_access",
    11: "file_event",
    12: "registry_add",
    13: "registry_set",
    14: "registry_rename",
    15: "create_stream_hash",
    17: "pipe_created",
    18: "pipe_created",
    19: "wmi_event",
    20: "wmi_event",
    21: "wmi_event",
    22: "dns_query",
    23: "file_delete",
    24: "clipboard_capture",
    25: "process_tampering",
    26: "file_delete_detected",
}


def _service(channel: str) -> str | None:
    return _SERVICES.get(channel.lower())


def _category(event_id: int | None, channel: str) -> str | None:
    if channel.lower() == "microsoft-windows-sysmon/operational" and event_id is not None:
        return _SYSMON_CATEGORIES.get(event_id)
    if channel == "Security" and event_id == 4688:
        return "process_creation"
    return None


# Failed logons (4625) and Kerberos pre-authentication failures (4771).
_LOGON_FAILURES = frozenset({4625, 4771})


def _logon_failure(fields: dict[str, Any], event_id: int | None, channel: str) -> Failure | None:
    if channel != "Security" or event_id not in _LOGON_FAILURES:
        return None
    address = normalise_address(str(fields.get("IpAddress") or ""))
    if address in (None, "-", "127.0.0.1", "::1"):
        return None
    account = clean_account(str(fields.get("TargetUserName") or "")) or None
    detail = f"Windows event {event_id}"
    return Failure(address, account, detail, "attempt")


def _as_int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None
