"""Problems pydantic finds, told in our words at the right file position."""

from __future__ import annotations

from datetime import UTC, datetime

from garrison.config import load_config

from .conftest import LoadErrors, WriteFile

EVENT = """
event:
  id: demo
  name: Demo
  timezone: Asia/Ho_Chi_Minh
  start: 2026-10-12T07:00:00
  end: 2026-10-18T22:00:00
organisation:
  units: [{id: ops, name: Operations}]
"""  # 8 lines: sections added by the tests start on line 9


def test_wrong_type(write: WriteFile, load_errors: LoadErrors) -> None:
    path = write(
        "event.yaml",
        EVENT
        + """sites:
  - id: hall
    name: 2026
""",
    )
    [issue] = load_errors(path).issues
    assert (issue.file, issue.line, issue.column, issue.path) == (path, 11, 5, "sites[0].name")
    assert issue.message.startswith("expected text")


def test_list_expected(write: WriteFile, load_errors: LoadErrors) -> None:
    path = write("event.yaml", EVENT + "sites: hall\n")
    [issue] = load_errors(path).issues
    assert (issue.line, issue.path, issue.message) == (9, "sites", "expected a list")


def test_missing_required_key(write: WriteFile, load_errors: LoadErrors) -> None:
    path = write(
        "event.yaml",
        EVENT
        + """services:
  - id: web
    name: Website
    kind: website
    unit: ops
""",
    )
    [issue] = load_errors(path).issues
    assert (issue.file, issue.line, issue.path) == (path, 10, "services[0].criticality")
    assert issue.message == "missing required key 'criticality'"


def test_unknown_key_names_the_allowed_keys(write: WriteFile, load_errors: LoadErrors) -> None:
    path = write(
        "event.yaml",
        EVENT
        + """sites:
  - id: hall
    name: Hall
    colour: red
""",
    )
    [issue] = load_errors(path).issues
    assert (issue.line, issue.column, issue.path) == (12, 5, "sites[0].colour")
    assert issue.message == "unknown key 'colour'; allowed keys: id, name, address, description"


def test_unknown_top_level_key_mentions_include(write: WriteFile, load_errors: LoadErrors) -> None:
    path = write("event.yaml", EVENT + "alarms: []\n")
    [issue] = load_errors(path).issues
    assert (issue.line, issue.path) == (9, "alarms")
    assert "allowed keys: include, event, organisation, sites, services, checks" in issue.message


def test_enum_lists_the_values(write: WriteFile, load_errors: LoadErrors) -> None:
    path = write(
        "event.yaml",
        EVENT
        + """services:
  - {id: web, name: Web, kind: teleport, criticality: high, unit: ops}
""",
    )
    [issue] = load_errors(path).issues
    assert (issue.line, issue.path) == (10, "services[0].kind")
    assert issue.message == "must be one of: link, website, dns, voice, video, email, other"


def test_role_must_be_known(write: WriteFile, load_errors: LoadErrors) -> None:
    path = write(
        "event.yaml",
        EVENT
        + """  people:
    - {id: an, name: An, unit: ops, role: boss}
""",
    )
    [issue] = load_errors(path).issues
    assert (issue.line, issue.path) == (10, "organisation.people[0].role")
    assert "duty_officer" in issue.message


def test_invalid_id(write: WriteFile, load_errors: LoadErrors) -> None:
    path = write("event.yaml", EVENT + "sites: [{id: Main Hall, name: Hall}]\n")
    [issue] = load_errors(path).issues
    assert (issue.line, issue.path) == (9, "sites[0].id")
    assert issue.message.startswith("not a valid id")


def test_invalid_datetime_and_timezone(write: WriteFile, load_errors: LoadErrors) -> None:
    path = write(
        "event.yaml",
        """
        event:
          id: demo
          name: Demo
          timezone: Mars/Olympus
          start: next monday
          end: 2026-10-18T22:00:00
        """,
    )
    issues = load_errors(path).issues
    assert [(issue.line, issue.path) for issue in issues] == [
        (4, "event.timezone"),
        (5, "event.start"),
    ]
    assert issues[0].message.startswith("unknown time zone")
    assert issues[1].message.startswith("expected a date and time")


def test_endpoint_urls(write: WriteFile, load_errors: LoadErrors) -> None:
    path = write(
        "event.yaml",
        EVENT
        + """services:
  - id: web
    name: Web
    kind: website
    criticality: high
    unit: ops
    endpoints:
      - https://127.0.0.1:18443/
      - ftp://127.0.0.1/
      - tcp://127.0.0.1
      - not a url
      - http://127.0.0.1:99999/
""",
    )
    issues = load_errors(path).issues
    assert [(issue.line, issue.path) for issue in issues] == [
        (17, "services[0].endpoints[1]"),
        (18, "services[0].endpoints[2]"),
        (19, "services[0].endpoints[3]"),
        (20, "services[0].endpoints[4]"),
    ]
    assert issues[0].message.startswith("unsupported URL scheme")
    assert issues[1].message == "tcp:// and udp:// endpoints need a port"
    assert issues[2].message == "expected a URL of the form scheme://host[:port][/path]"
    assert issues[3].message == "the port must be a number from 1 to 65535"


def test_all_issues_are_reported_sorted(write: WriteFile, load_errors: LoadErrors) -> None:
    path = write(
        "event.yaml",
        """
        sites:
          - {id: hall, name: Hall, floor: 2}
        event:
          id: demo
          timezone: Asia/Ho_Chi_Minh
          start: 2026-10-12T07:00:00
          end: 2026-10-18T22:00:00
        """,
    )
    error = load_errors(path)
    assert [(issue.line, issue.path) for issue in error.issues] == [
        (2, "sites[0].floor"),
        (3, "event.name"),
    ]
    assert str(error).splitlines() == [
        f"{path}:2:28: sites[0].floor: unknown key 'floor'; "
        "allowed keys: id, name, address, description",
        f"{path}:3:1: event.name: missing required key 'name'",
    ]


def test_times_naive_in_event_zone_or_with_offset(write: WriteFile) -> None:
    path = write(
        "event.yaml",
        """
        event:
          id: demo
          name: Demo
          timezone: Asia/Ho_Chi_Minh
          start: 2026-10-12T07:00:00
          end: "2026-10-18T22:00:00+00:00"
          phases:
            - {id: operation, start: 2026-10-12 07:00:00, end: 2026-10-19T05:00:00+07:00}
        """,
    )
    event = load_config(path, environ={}).config.event
    assert event.start == datetime(2026, 10, 12, 0, 0, tzinfo=UTC)
    assert event.end == datetime(2026, 10, 18, 22, 0, tzinfo=UTC)
    assert event.phases[0].start == datetime(2026, 10, 12, 0, 0, tzinfo=UTC)
    assert event.phases[0].end == datetime(2026, 10, 18, 22, 0, tzinfo=UTC)
    assert event.zone.key == "Asia/Ho_Chi_Minh"
