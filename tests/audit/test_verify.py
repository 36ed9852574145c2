"""Tampering with the chain behind the service's back, and verification naming it."""

from __future__ import annotations

from datetime import timedelta

import pytest

from garrison.audit.canonical import GENESIS_HASH
from garrison.audit.verify import VerifyReport, verify_chain
from garrison.runtime.context import AppContext
from tests.audit.factories import (
    append_entries,
    delete_entry,
    delete_head,
    entry_hash_at,
    entry_id,
    forge_entry,
    set_columns,
    set_head,
    shift_seq,
    swap_seq,
)


async def _verify(context: AppContext, *, page_size: int = 1000) -> VerifyReport:
    async with context.sessions() as session:
        return await verify_chain(session, page_size=page_size)


async def test_an_empty_chain_is_intact(context: AppContext) -> None:
    report = await _verify(context)
    assert report.intact
    assert report.checked == 0
    assert report.problem is None
    assert report.head_seq == 0
    assert report.head_hash == GENESIS_HASH


@pytest.mark.parametrize("page_size", [1, 2, 3, 1000])
async def test_an_untouched_chain_is_intact_whatever_the_page_size(
    context: AppContext, page_size: int
) -> None:
    await append_entries(context, 7)
    report = await _verify(context, page_size=page_size)
    assert report.intact
    assert report.checked == 7
    assert report.head_seq == 7
    assert report.head_hash == await entry_hash_at(context, seq=7)


@pytest.mark.parametrize(
    "change",
    [
        {"actor_name": "someone-else"},
        {"actor_kind": "system"},
        {"action": "test.other"},
        {"target_id": "svc-99"},
        {"after": {"state": "up", "n": 3, "tags": ["a", "b"]}},
        {"before": None},
        {"origin": {"address": "203.0.113.5", "channel": "web"}},
        {"hash": "0" * 64},
    ],
    ids=lambda change: next(iter(change)),
)
async def test_an_edited_field_is_named(context: AppContext, change: dict[str, object]) -> None:
    await append_entries(context, 5)
    await set_columns(context, seq=3, **change)
    report = await _verify(context)
    assert not report.intact
    assert report.checked == 2
    assert report.problem is not None
    assert report.problem.kind == "edited"
    assert report.problem.seq == 3
    assert report.problem.entry_id == await entry_id(context, seq=3)
    assert "#3" in report.problem.message


async def test_an_edited_time_is_named(context: AppContext) -> None:
    await append_entries(context, 5)
    await set_columns(context, seq=4, occurred_at=context.clock.now() + timedelta(microseconds=1))
    report = await _verify(context)
    assert report.problem is not None
    assert (report.problem.kind, report.problem.seq) == ("edited", 4)


async def test_an_edited_link_is_named(context: AppContext) -> None:
    await append_entries(context, 5)
    await set_columns(context, seq=2, prev_hash="a" * 64)
    report = await _verify(context)
    assert report.problem is not None
    assert (report.problem.kind, report.problem.seq) == ("edited", 2)


async def test_a_rehashed_last_entry_disagrees_with_the_head(context: AppContext) -> None:
    await append_entries(context, 3)
    forged_prev = await entry_hash_at(context, seq=2)
    await delete_entry(context, seq=3)
    forged = await forge_entry(context, seq=3, prev_hash=forged_prev)
    report = await _verify(context)
    assert report.problem is not None
    assert (report.problem.kind, report.problem.seq, report.problem.entry_id) == (
        "edited",
        3,
        forged,
    )


async def test_a_deleted_middle_entry_is_named(context: AppContext) -> None:
    await append_entries(context, 6)
    await delete_entry(context, seq=3)
    report = await _verify(context)
    assert not report.intact
    assert report.checked == 2
    assert report.problem is not None
    assert (report.problem.kind, report.problem.seq, report.problem.entry_id) == (
        "deleted",
        3,
        None,
    )


async def test_a_deleted_first_entry_is_named(context: AppContext) -> None:
    await append_entries(context, 3)
    await delete_entry(context, seq=1)
    report = await _verify(context)
    assert report.problem is not None
    assert (report.problem.kind, report.problem.seq) == ("deleted", 1)


async def test_a_deletion_hidden_by_renumbering_is_named(context: AppContext) -> None:
    await append_entries(context, 6)
    await delete_entry(context, seq=3)
    await shift_seq(context, start=4, by=-1)
    await set_head(context, seq=5)
    report = await _verify(context)
    assert report.problem is not None
    assert (report.problem.kind, report.problem.seq) == ("deleted", 3)


async def test_a_deleted_last_entry_is_named(context: AppContext) -> None:
    await append_entries(context, 4)
    await delete_entry(context, seq=4)
    report = await _verify(context)
    assert not report.intact
    assert report.checked == 3
    assert report.problem is not None
    assert (report.problem.kind, report.problem.seq, report.problem.entry_id) == (
        "deleted",
        4,
        None,
    )


async def test_a_deleted_head_is_named(context: AppContext) -> None:
    await append_entries(context, 3)
    await delete_head(context)
    report = await _verify(context)
    assert not report.intact
    assert report.checked == 3
    assert report.problem is not None
    assert report.problem.kind == "deleted"


async def test_a_forged_entry_past_the_head_is_named(context: AppContext) -> None:
    await append_entries(context, 3)
    forged = await forge_entry(context, seq=4, prev_hash=await entry_hash_at(context, seq=3))
    report = await _verify(context)
    assert not report.intact
    assert report.problem is not None
    assert (report.problem.kind, report.problem.seq, report.problem.entry_id) == (
        "inserted",
        4,
        forged,
    )


async def test_a_forged_entry_before_the_first_is_named(context: AppContext) -> None:
    await append_entries(context, 3)
    forged = await forge_entry(context, seq=0, prev_hash=GENESIS_HASH)
    report = await _verify(context)
    assert report.problem is not None
    assert (report.problem.kind, report.problem.seq, report.problem.entry_id) == (
        "inserted",
        0,
        forged,
    )


@pytest.mark.parametrize("valid_hash", [True, False], ids=["rehashed", "garbage-hash"])
async def test_a_forged_entry_in_the_middle_is_named(context: AppContext, valid_hash: bool) -> None:
    await append_entries(context, 6)
    prev = await entry_hash_at(context, seq=3)
    await shift_seq(context, start=4, by=1)
    forged = await forge_entry(context, seq=4, prev_hash=prev, valid_hash=valid_hash)
    await set_head(context, seq=7)
    report = await _verify(context)
    assert not report.intact
    assert report.checked == 3
    assert report.problem is not None
    assert (report.problem.kind, report.problem.seq, report.problem.entry_id) == (
        "inserted",
        4,
        forged,
    )


async def test_a_copied_entry_in_the_middle_is_named(context: AppContext) -> None:
    await append_entries(context, 5)
    prev = await entry_hash_at(context, seq=3)
    await shift_seq(context, start=5, by=1)
    forged = await forge_entry(context, seq=5, prev_hash=prev, valid_hash=True)
    # The forged row, placed at #5, claims to follow #3: it duplicates #4's link.
    report = await _verify(context)
    assert report.problem is not None
    assert (report.problem.kind, report.problem.seq, report.problem.entry_id) == (
        "inserted",
        5,
        forged,
    )


@pytest.mark.parametrize(("first", "second"), [(2, 3), (2, 5), (1, 6), (5, 6)])
async def test_swapped_entries_are_named(context: AppContext, first: int, second: int) -> None:
    await append_entries(context, 6)
    moved = await entry_id(context, seq=second)
    await swap_seq(context, first=first, second=second)
    report = await _verify(context)
    assert not report.intact
    assert report.checked == first - 1
    assert report.problem is not None
    assert (report.problem.kind, report.problem.seq, report.problem.entry_id) == (
        "reordered",
        first,
        moved,
    )


async def test_an_entry_moved_out_of_its_place_is_named(context: AppContext) -> None:
    await append_entries(context, 5)
    moved = await entry_id(context, seq=3)
    await swap_seq(context, first=3, second=100)
    report = await _verify(context)
    assert report.problem is not None
    assert (report.problem.kind, report.problem.seq, report.problem.entry_id) == (
        "reordered",
        3,
        moved,
    )


async def test_the_first_problem_in_chain_order_is_named(context: AppContext) -> None:
    await append_entries(context, 8)
    await delete_entry(context, seq=7)
    await set_columns(context, seq=5, actor_name="x")
    await swap_seq(context, first=2, second=3)
    report = await _verify(context, page_size=2)
    assert report.problem is not None
    assert (report.problem.kind, report.problem.seq) == ("reordered", 2)
