"""The escalation and notifications sections: every mistake named with its file, line and path."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from garrison.config import ConfigValidationError, load_config
from garrison.config.notifications import NotificationsSection, SmsGateway

BASE = """\
event:
  id: demo
  name: Demo
  timezone: Asia/Ho_Chi_Minh
  start: 2026-10-12T07:00:00
  end: 2026-10-18T22:00:00
organisation:
  units:
    - {id: ops, name: Operations, leader: an}
    - {id: sec, name: Security}
  people:
    - {id: an, name: An, unit: ops, role: leader}
    - {id: binh, name: Binh, unit: ops, role: engineer}
  posts:
    - {id: desk, name: Desk, unit: ops}
services:
  - {id: web, name: Web, kind: website, criticality: high, unit: ops}
"""  # 17 lines: the sections of each test start on line 18


def _errors(tmp_path: Path, text: str) -> list[tuple[int, str, str]]:
    path = tmp_path / "event.yaml"
    path.write_text(BASE + textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    with pytest.raises(ConfigValidationError) as caught:
        load_config(path, environ={})
    return [(issue.line, issue.path, issue.message) for issue in caught.value.issues]


def test_unknown_posts_people_units_and_roles_are_named_where_they_stand(tmp_path: Path) -> None:
    errors = _errors(
        tmp_path,
        """
        escalation:
          default_policy: missing
          policies:
            - id: main
              name: Main
              steps:
                - targets:
                    - {kind: on_duty, post: kiosk}
                    - {kind: person, person: chau}
                    - {kind: role, role: analyst, unit: ops}
                    - {kind: role, role: engineer, unit: noc}
                    - {kind: unit_leader, unit: sec}
                  wait_minutes: 5
            - id: main
              name: Again
              steps: [{targets: [{kind: commander}], wait_minutes: 1}]
          rules:
            - {policy: other, services: [mail], units: [hq]}
        """,
    )
    assert errors == [
        (19, "escalation.default_policy", "no escalation policy has the id 'missing'"),
        (25, "escalation.policies[0].steps[0].targets[0].post", "no post has the id 'kiosk'"),
        (26, "escalation.policies[0].steps[0].targets[1].person", "no person has the id 'chau'"),
        (
            27,
            "escalation.policies[0].steps[0].targets[2].role",
            "nobody in unit 'ops' has the role 'analyst'",
        ),
        (28, "escalation.policies[0].steps[0].targets[3].unit", "no unit has the id 'noc'"),
        (29, "escalation.policies[0].steps[0].targets[4].unit", "unit 'sec' has no leader"),
        (
            31,
            "escalation.policies[1].id",
            "duplicate id 'main': escalation.policies[0] already uses it",
        ),
        (35, "escalation.rules[0].policy", "no escalation policy has the id 'other'"),
        (35, "escalation.rules[0].services[0]", "no service has the id 'mail'"),
        (35, "escalation.rules[0].units[0]", "no unit has the id 'hq'"),
    ]


def test_bad_values_name_their_field(tmp_path: Path) -> None:
    errors = _errors(
        tmp_path,
        """
        escalation:
          policies:
            - id: main
              name: Main
              repeat: 11
              steps:
                - targets: [{kind: pager, post: desk}]
                  wait_minutes: 0
        notifications:
          people:
            - {person: ghost, language: fr}
        """,
    )
    paths = [path for _line, path, _message in errors]
    assert "escalation.policies[0].repeat" in paths
    assert any(path.startswith("escalation.policies[0].steps[0].targets[0]") for path in paths)
    assert "escalation.policies[0].steps[0].wait_minutes" in paths
    assert "notifications.people[0].language" in paths
    twice = _errors(tmp_path, "notifications:\n  channels: [email, sms, email]\n")
    assert twice == [(19, "notifications.channels", "a channel is listed twice")]


def test_people_settings_name_existing_people_once(tmp_path: Path) -> None:
    errors = _errors(
        tmp_path,
        """
        notifications:
          people:
            - {person: ghost}
            - {person: an, language: vi}
            - {person: an, channels: [sms]}
        """,
    )
    assert errors == [
        (20, "notifications.people[0].person", "no person has the id 'ghost'"),
        (
            22,
            "notifications.people[2].person",
            "person 'an' already has settings at notifications.people[1]",
        ),
    ]


def test_secrets_come_from_the_environment_and_stay_hidden(tmp_path: Path) -> None:
    path = tmp_path / "event.yaml"
    path.write_text(
        BASE
        + textwrap.dedent(
            """
            notifications:
              email:
                host: 127.0.0.1
                username: relay
                password: ${SMTP_PASSWORD}
                sender: garrison@example.org
              webhook: {secret: "${HOOK_SECRET}"}
            """
        ),
        encoding="utf-8",
    )
    environ = {"SMTP_PASSWORD": "relay-password", "HOOK_SECRET": "a-shared-secret-of-32-chars!!"}
    section = load_config(path, environ=environ).config.notifications
    assert section.email is not None
    assert section.email.password is not None
    assert section.email.password.get_secret_value() == "relay-password"
    assert "relay-password" not in repr(section)
    assert section.webhook is not None
    assert "a-shared-secret" not in repr(section)


def test_an_sms_template_must_say_where_phone_and_message_go() -> None:
    with pytest.raises(ValueError, match=r"\{message\}"):
        SmsGateway(url="https://sms.example/send?to={phone}")
    with pytest.raises(ValueError, match="GET request has no body"):
        SmsGateway(url="https://sms.example/send?to={phone}", method="GET", body="{message}")
    with pytest.raises(ValueError, match="username and password"):
        NotificationsSection.model_validate(
            {"email": {"host": "h", "sender": "a@b.example", "username": "u"}}
        )
