"""The per-check state machine: confirmation before DOWN and UP, flapping reported once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from garrison.probes.confirmation import CheckConfirmation
from garrison.probes.flapping import FlapDetector
from garrison.probes.states import CheckState
from tests.probes.engine.factories import result

T0 = datetime(2026, 6, 1, 8, 0, tzinfo=UTC)


def machine(
    *,
    fail_after: int = 2,
    recover_after: int = 1,
    window: float = 600,
    max_changes: int = 5,
    initial: CheckState = CheckState.UNKNOWN,
) -> CheckConfirmation:
    return CheckConfirmation(
        fail_after=fail_after,
        recover_after=recover_after,
        flapping=FlapDetector(window_seconds=window, max_changes=max_changes),
        initial=initial,
        since=T0,
    )


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def test_one_failure_is_not_an_outage_two_in_a_row_are() -> None:
    check = machine(initial=CheckState.UP)
    assert check.observe(result(False, at(0))) is None
    assert check.state == CheckState.UP
    assert check.awaiting_confirmation
    moved = check.observe(result(False, at(10), reason="connection refused"))
    assert moved is not None
    assert (moved.previous, moved.current) == (CheckState.UP, CheckState.DOWN)
    assert "connection refused" in moved.reason
    # The evidence is the failures that confirmed it, newest first.
    assert [r.started_at for r in moved.evidence] == [at(10), at(0)]
    assert not check.awaiting_confirmation


def test_a_success_between_failures_resets_the_count() -> None:
    check = machine(initial=CheckState.UP, fail_after=3)
    for seconds, ok in [(0, False), (10, False), (20, True), (30, False), (40, False)]:
        assert check.observe(result(ok, at(seconds))) is None
    moved = check.observe(result(False, at(50)))
    assert moved is not None
    assert moved.current == CheckState.DOWN
    assert len(moved.evidence) == 3


def test_recovery_needs_recover_after_successes() -> None:
    check = machine(initial=CheckState.DOWN, recover_after=3)
    assert check.observe(result(True, at(0))) is None
    assert check.observe(result(True, at(10))) is None
    assert check.state == CheckState.DOWN
    moved = check.observe(result(True, at(20)))
    assert moved is not None
    assert (moved.previous, moved.current) == (CheckState.DOWN, CheckState.UP)
    assert len(moved.evidence) == 3


def test_first_results_leave_unknown() -> None:
    check = machine()
    moved = check.observe(result(True, at(0)))
    assert moved is not None
    assert (moved.previous, moved.current) == (CheckState.UNKNOWN, CheckState.UP)
    other = machine()
    assert other.observe(result(False, at(0))) is None
    moved = other.observe(result(False, at(1)))
    assert moved is not None
    assert (moved.previous, moved.current) == (CheckState.UNKNOWN, CheckState.DOWN)


def test_fail_after_one_reports_the_first_failure() -> None:
    check = machine(initial=CheckState.UP, fail_after=1)
    moved = check.observe(result(False, at(0)))
    assert moved is not None
    assert moved.current == CheckState.DOWN
    assert not check.awaiting_confirmation


def test_flapping_is_reported_once_and_cleared_when_stable() -> None:
    check = machine(initial=CheckState.UP, fail_after=1, window=100, max_changes=3)
    moves = []
    # Alternate every 5 s: each result flips the confirmed state.
    for step in range(11):
        moved = check.observe(result(step % 2 == 1, at(step * 5)))
        if moved is not None:
            moves.append((moved.previous, moved.current))
    assert moves == [
        (CheckState.UP, CheckState.DOWN),
        (CheckState.DOWN, CheckState.UP),
        (CheckState.UP, CheckState.DOWN),
        # The fourth change within 100 s is one too many: FLAPPING, and silence after it.
        (CheckState.DOWN, CheckState.FLAPPING),
    ]
    assert check.state == CheckState.FLAPPING
    # It settles (DOWN from 50 s on); still FLAPPING until a whole window without change.
    last_change = at(50)
    assert check.observe(result(False, last_change + timedelta(seconds=50))) is None
    assert check.state == CheckState.FLAPPING
    moved = check.observe(result(False, last_change + timedelta(seconds=100)))
    assert moved is not None
    assert (moved.previous, moved.current) == (CheckState.FLAPPING, CheckState.DOWN)
    assert check.observe(result(False, last_change + timedelta(seconds=110))) is None


def test_changes_spread_wider_than_the_window_are_not_flapping() -> None:
    check = machine(initial=CheckState.UP, fail_after=1, window=100, max_changes=3)
    for step in range(10):
        moved = check.observe(result(step % 2 == 1, at(step * 40)))
        assert moved is not None
        assert moved.current != CheckState.FLAPPING


def test_flap_detector_counts_only_inside_the_window() -> None:
    detector = FlapDetector(window_seconds=60, max_changes=2)
    for seconds in (0, 10, 20):
        detector.record_change(at(seconds))
    assert detector.is_excessive(at(20))
    assert detector.changes_within_window(at(65)) == 2
    assert not detector.is_excessive(at(65))
    assert detector.settled(at(80))
