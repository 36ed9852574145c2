"""Drill scoring as pure functions: per inject against its targets, per post, overall."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from garrison.drills.scoring import InjectOutcome, score_drill, score_inject

T0 = datetime(2026, 5, 21, 10, 0, tzinfo=UTC)


def _at(minutes: float | None) -> datetime | None:
    return None if minutes is None else T0 + timedelta(minutes=minutes)


def _outcome(
    position: int,
    post: str | None,
    *,
    opened: float | None = 1,
    ack: float | None = None,
    mitigated: float | None = None,
    resolved: float | None = None,
    targets: dict[str, float | None] | None = None,
    plan: str | None = None,
    used: tuple[str, ...] = (),
) -> InjectOutcome:
    return InjectOutcome(
        position=position,
        title=f"inject {position}",
        post=post,
        injected_at=T0,
        opened_at=_at(opened),
        acknowledged_at=_at(ack),
        mitigated_at=_at(mitigated),
        resolved_at=_at(resolved),
        targets=targets or {},
        expected_plan=plan,
        plans_used=used,
    )


def test_an_inject_scores_the_share_of_its_targets_met() -> None:
    outcome = _outcome(
        1,
        "noc",
        opened=1,
        ack=4,  # 3 min after opening: within 5
        mitigated=20,  # 19 min: over 15
        resolved=31,  # 30 min: exactly on target
        targets={"acknowledge": 5, "mitigate": 15, "resolve": 30},
        plan="link-cut",
        used=("link-cut",),
    )
    score = score_inject(outcome)
    assert score.seconds == {
        "detect": 60.0,
        "acknowledge": 180.0,
        "mitigate": 1140.0,
        "resolve": 1800.0,
    }
    assert score.met == {"acknowledge": True, "mitigate": False, "resolve": True, "runbook": True}
    assert score.score == 75.0


def test_what_never_happened_misses_its_target_and_no_target_scores_full() -> None:
    missed = score_inject(_outcome(1, None, opened=None, targets={"acknowledge": 5}, plan="x"))
    assert missed.seconds["detect"] is None
    assert missed.met == {"acknowledge": False, "runbook": False}
    assert missed.score == 0.0
    assert score_inject(_outcome(2, None)).score == 100.0


def test_posts_score_the_mean_of_their_injects_and_the_drill_the_mean_of_all() -> None:
    outcomes = [
        _outcome(1, "noc", ack=2, targets={"acknowledge": 5}),  # 100
        _outcome(2, "noc", ack=30, targets={"acknowledge": 5, "resolve": 60}),  # 0
        _outcome(3, "soc", ack=2, targets={"acknowledge": 5, "resolve": 60}),  # 50
    ]
    drill = score_drill(outcomes)
    assert [s.score for s in drill.injects] == [100.0, 0.0, 50.0]
    assert drill.per_post == {"noc": 50.0, "soc": 50.0}
    assert drill.overall == 50.0
    assert score_drill([]).overall is None
