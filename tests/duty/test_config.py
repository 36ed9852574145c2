"""The `duty` section of the configuration: values, and references checked with file:line."""

from __future__ import annotations

from pathlib import Path

import pytest

from garrison.config import ConfigValidationError, load_config
from tests.duty.factories import BASE_DUTY, write_config


def _errors(path: Path) -> list[str]:
    with pytest.raises(ConfigValidationError) as caught:
        load_config(path, environ={})
    return [f"{issue.line}: {issue.path}: {issue.message}" for issue in caught.value.issues]


def _line_of(path: Path, text: str) -> int:
    lines = path.read_text(encoding="utf-8").splitlines()
    return next(number for number, line in enumerate(lines, 1) if text in line)


def test_the_base_configuration_is_valid(tmp_path: Path) -> None:
    config = load_config(write_config(tmp_path / "event.yaml"), environ={}).config
    assert [rotation.post for rotation in config.duty.rotations] == ["command", "noc"]
    assert config.duty.check_in_grace_minutes == 15
    assert config.duty.commander_post == "command"


def test_unknown_posts_and_people_are_named_with_their_line(tmp_path: Path) -> None:
    duty = BASE_DUTY.replace("commander_post: command", "commander_post: bridge")
    duty = duty.replace("people: [alpha, bravo, charlie]", "people: [alpha, zulu, charlie]")
    duty += """
    - post: radar
      shift_length: 12
      handoff_time: "07:00"
      people: [alpha]
  overrides:
    - {person: yankee, post: noc, start: 2026-06-01T07:00:00, end: 2026-06-01T09:00:00}
  swaps:
    - post: noc
      layer: nights
      first: {person: alpha, shift_start: 2026-06-01T07:00:00}
      second: {person: bravo, shift_start: 2026-06-01T15:00:00}
"""
    path = write_config(tmp_path / "event.yaml", duty)
    assert _errors(path) == [
        f"{_line_of(path, 'commander_post')}: duty.commander_post: no post has the id 'bridge'",
        f"{_line_of(path, 'zulu')}: duty.rotations[1].people[1]: no person has the id 'zulu'",
        f"{_line_of(path, 'radar')}: duty.rotations[2].post: no post has the id 'radar'",
        f"{_line_of(path, 'yankee')}: duty.overrides[0].person: no person has the id 'yankee'",
        f"{_line_of(path, 'nights')}: duty.swaps[0].layer: "
        "the rotation of post 'noc' has no layer 'nights'",
    ]


def test_a_second_rotation_for_a_post_and_a_layer_name_used_twice(tmp_path: Path) -> None:
    duty = (
        BASE_DUTY
        + """      layers:
        - {name: lead, shift_length: 24, handoff_time: "09:00", people: [lima]}
        - {name: lead, shift_length: 24, handoff_time: "09:00", people: [delta]}
    - post: noc
      shift_length: 12
      handoff_time: "07:00"
      people: [alpha]
"""
    )
    path = write_config(tmp_path / "event.yaml", duty)
    errors = _errors(path)
    assert errors == [
        f"{_line_of(path, 'people: [delta]')}: duty.rotations[1].layers[1].name: "
        "layer name 'lead' is used twice in this rotation",
        f"{_line_of(path, 'people: [alpha]') - 3}: duty.rotations[2].post: "
        "post 'noc' already has a rotation at duty.rotations[1]; use layers instead",
    ]


@pytest.mark.parametrize(
    ("change", "path", "message"),
    [
        ("shift_length: 8", "duty.rotations[1].shift_length", "multiple of 0.25"),
        ("shift_length: 8", "duty.rotations[1].shift_length", "greater than or equal to 1"),
        ("people: [alpha, bravo, charlie]", "duty.rotations[1].people", "at least 1 item"),
        ('handoff_time: "07:00"', "duty.rotations[1].handoff_time", "time"),
    ],
)
def test_bad_values_are_refused_with_their_path(
    tmp_path: Path, change: str, path: str, message: str
) -> None:
    replacement = {
        "multiple of 0.25": "shift_length: 7.1",
        "greater than or equal to 1": "shift_length: 0.5",
        "at least 1 item": "people: []",
        "time": 'handoff_time: "25:00"',
    }[message]
    # The NOC rotation (duty.rotations[1]) is the last to use each of these keys.
    head, _sep, tail = BASE_DUTY.rpartition(change)
    duty = head + replacement + tail
    errors = _errors(write_config(tmp_path / "event.yaml", duty))
    assert len(errors) == 1
    assert f": {path}: " in errors[0]
    assert message in errors[0].lower()


def test_an_override_must_end_after_it_starts_and_a_swap_needs_two_people(tmp_path: Path) -> None:
    duty = (
        BASE_DUTY
        + """  overrides:
    - {person: alpha, post: noc, start: 2026-06-01T09:00:00, end: 2026-06-01T08:00:00}
  swaps:
    - post: noc
      first: {person: alpha, shift_start: 2026-06-01T07:00:00}
      second: {person: alpha, shift_start: 2026-06-02T07:00:00}
"""
    )
    errors = _errors(write_config(tmp_path / "event.yaml", duty))
    assert [error.split(": ", 2)[1:] for error in errors] == [
        ["duty.overrides[0]", "Value error, an override must end after it starts"],
        ["duty.swaps[0]", "Value error, a swap needs two different people"],
    ]


def test_a_restriction_window_cannot_be_empty(tmp_path: Path) -> None:
    duty = (
        BASE_DUTY
        + """      layers:
        - name: lead
          shift_length: 24
          handoff_time: "09:00"
          people: [lima]
          restrictions: [{start_time: "09:00", end_time: "09:00"}]
"""
    )
    errors = _errors(write_config(tmp_path / "event.yaml", duty))
    assert len(errors) == 1
    assert "duty.rotations[1].layers[0].restrictions[0]" in errors[0]
    assert "start_time and end_time must differ" in errors[0]
