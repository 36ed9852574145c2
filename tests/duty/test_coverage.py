"""Coverage: gaps and double bookings over the operation window, and `garrison duty`."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from click.testing import CliRunner

from garrison.audit.actor import Actor
from garrison.cli.main import cli
from garrison.config import load_config
from garrison.duty.coverage import DoubleBooking, Gap, check_coverage
from garrison.duty.plan import build_plan
from garrison.duty.service import add_override
from garrison.runtime.assembly import open_context
from garrison.settings import Settings
from tests.duty.factories import BASE_DUTY, HCM, config_from, local, write_config

DEMO = Path(__file__).resolve().parents[2] / "examples" / "demo-event.yaml"

# The NOC rotation starts a day late, the command post has none, and alpha stands at both.
BROKEN_DUTY = """
duty:
  rotations:
    - post: noc
      shift_length: 8
      handoff_time: "07:00"
      people: [alpha, bravo, charlie]
      start: 2026-06-01
  overrides:
    - {person: alpha, post: command, start: 2026-06-02T08:00:00, end: 2026-06-02T10:00:00}
"""


def test_the_demo_event_is_covered_around_the_clock_without_double_bookings() -> None:
    config = load_config(DEMO, environ={}).config
    started = time.perf_counter()
    report = check_coverage(build_plan(config))
    elapsed = time.perf_counter() - started
    assert report.covered
    assert report.gaps == ()
    assert report.double_bookings == ()
    assert report.problems == ()
    assert (report.start, report.end) == (config.event.start, config.event.end)
    assert elapsed < 1.0


def test_gaps_and_double_bookings_of_a_broken_roster() -> None:
    report = check_coverage(build_plan(config_from(BROKEN_DUTY)))
    window_start, window_end = local(HCM, 2026, 5, 31, 7), local(HCM, 2026, 6, 7, 7)
    assert report.gaps == (
        Gap("command", window_start, local(HCM, 2026, 6, 2, 8)),
        Gap("command", local(HCM, 2026, 6, 2, 10), window_end),
        Gap("noc", window_start, local(HCM, 2026, 6, 1, 7)),
    )
    assert report.double_bookings == (
        DoubleBooking(
            person="alpha",
            first_post="noc",
            second_post="command",
            start=local(HCM, 2026, 6, 2, 8),
            end=local(HCM, 2026, 6, 2, 10),
        ),
    )
    assert not report.covered


def test_coverage_of_a_custom_range() -> None:
    plan = build_plan(config_from(BROKEN_DUTY))
    report = check_coverage(plan, start=local(HCM, 2026, 6, 3), end=local(HCM, 2026, 6, 4))
    assert [gap.post for gap in report.gaps] == ["command"]


def test_duty_check_exits_0_for_the_demo(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["duty", "check", "--config", str(DEMO)])
    assert result.exit_code == 0, result.output
    assert "Every post (5) is covered 24/24 over the operation window." in result.output
    assert not (tmp_path / "garrison-data").exists()


def test_duty_check_lists_gaps_and_double_bookings_and_exits_1(tmp_path: Path) -> None:
    path = write_config(tmp_path / "event.yaml", BROKEN_DUTY)
    result = CliRunner().invoke(cli, ["duty", "check", "--config", str(path)])
    assert result.exit_code == 1
    assert result.output.splitlines() == [
        "Operation window: 2026-05-31 07:00 → 2026-06-07 07:00 (Asia/Ho_Chi_Minh)",
        "Gap at post command: 2026-05-31 07:00 → 2026-06-02 08:00 (49 h), nobody on duty",
        "Gap at post command: 2026-06-02 10:00 → 2026-06-07 07:00 (117 h), nobody on duty",
        "Gap at post noc: 2026-05-31 07:00 → 2026-06-01 07:00 (24 h), nobody on duty",
        "Double booking: alpha at noc and command, 2026-06-02 08:00 → 2026-06-02 10:00",
        "3 gaps: some posts are left uncovered.",
    ]


def test_duty_check_of_an_invalid_configuration_exits_2(tmp_path: Path) -> None:
    path = write_config(tmp_path / "event.yaml", BASE_DUTY.replace("[delta, echo]", "[nobody]"))
    result = CliRunner().invoke(cli, ["duty", "check", "--config", str(path)])
    assert result.exit_code == 2
    assert "duty.rotations[0].people[0]: no person has the id 'nobody'" in result.output


def test_duty_who_names_the_person_on_duty_and_the_next(tmp_path: Path) -> None:
    path = write_config(tmp_path / "event.yaml")
    arguments = ["duty", "who", "noc", "--at", "2026-06-01T16:00", "--config", str(path)]
    result = CliRunner().invoke(cli, arguments)
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        "Post noc at 2026-06-01 16:00 (Asia/Ho_Chi_Minh):",
        "  on duty: Bravo (bravo), 2026-06-01 15:00 → 2026-06-01 23:00, rotation/base",
        "  next: Charlie (charlie), 2026-06-01 23:00 → 2026-06-02 07:00, rotation/base",
    ]


def test_duty_who_exits_1_when_nobody_is_on_duty_and_2_for_a_bad_time(tmp_path: Path) -> None:
    path = write_config(tmp_path / "event.yaml", BROKEN_DUTY)
    nobody = CliRunner().invoke(
        cli, ["duty", "who", "command", "--at", "2026-06-01T12:00+07:00", "--config", str(path)]
    )
    assert nobody.exit_code == 1
    assert "nobody is on duty" in nobody.output
    assert "next: Alpha (alpha), 2026-06-02 08:00 → 2026-06-02 10:00, override" in nobody.output
    bad = CliRunner().invoke(cli, ["duty", "who", "noc", "--at", "noon", "--config", str(path)])
    assert bad.exit_code == 2
    assert "--at" in bad.output
    unknown = CliRunner().invoke(cli, ["duty", "who", "radar", "--config", str(path)])
    assert unknown.exit_code == 1
    assert "No post has the id radar." in unknown.output


def test_duty_check_without_config_reads_run_time_overrides(
    tmp_path: Path, settings: Settings, database_url: str
) -> None:
    path = write_config(tmp_path / "broken.yaml", BROKEN_DUTY.replace("start: 2026-06-01", ""))
    runner = CliRunner()
    base = ["--data-dir", str(tmp_path / "data"), "--database-url", database_url]
    environment = {"GARRISON_CONFIG_FILE": str(path)}
    before = runner.invoke(cli, [*base, "duty", "check"], env=environment)
    assert before.exit_code == 1, before.output
    assert "Gap at post command" in before.output

    async def fill_the_command_post() -> None:
        config = load_config(path, environ={}).config
        async with open_context(settings) as context, context.sessions() as session:
            await add_override(
                session,
                config=config,
                post_id="command",
                person_id="delta",
                start=local(HCM, 2026, 5, 31, 7),
                end=local(HCM, 2026, 6, 7, 7),
                reason="whole week",
                actor=Actor.system("test"),
                at=local(HCM, 2026, 5, 1),
            )
            await session.commit()

    asyncio.run(fill_the_command_post())
    after = runner.invoke(cli, [*base, "duty", "check"], env=environment)
    assert after.exit_code == 0, after.output
    assert "Double booking" not in after.output


def test_duty_check_without_any_configuration_says_how_to_give_one(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        cli,
        ["--data-dir", str(tmp_path / "data"), "duty", "check"],
        env={"GARRISON_CONFIG_FILE": None},
    )
    assert result.exit_code == 2
    assert "pass --config FILE" in result.output
