"""Following a file across rotation, truncation and restarts (offsets in the database)."""

from __future__ import annotations

import os
from pathlib import Path

from garrison.config.detection import FileSource
from garrison.detection.ingest.builder import EventBuilder
from garrison.detection.ingest.file_tail import FileTail
from garrison.detection.pipeline import pipeline_for
from garrison.runtime.context import AppContext
from tests.detection.ingest.factories import detection_settings


def _line(n: int) -> bytes:
    return b"Jun  1 08:00:%02d web sshd[7]: Invalid user u%d from 192.0.2.%d\n" % (n, n, n)


def _tail(context: AppContext, path: Path, name: str = "auth-log", **options: object) -> FileTail:
    settings = detection_settings({"name": name, "type": "file", "path": str(path), **options})
    source = settings.sources[0]
    assert isinstance(source, FileSource)
    pipeline = pipeline_for(context)
    return FileTail(
        config=source,
        builder=EventBuilder.for_source(source, settings.limits, pipeline.metrics),
        pipeline=pipeline,
        sessions=context.sessions,
        now=context.clock.now,
    )


async def _accounts(context: AppContext) -> list[str]:
    queue = pipeline_for(context).queue
    events = await queue.take(10_000) if queue.depth else []
    return [str(e.fields["account"]) for e in events if e.kind == "auth_failure"]


async def test_rotation_by_rename_reads_the_old_file_to_its_end(
    context: AppContext, tmp_path: Path
) -> None:
    path = tmp_path / "auth.log"
    path.write_bytes(_line(1))
    tail = _tail(context, path, start_at="beginning")
    await tail.open()
    await tail.poll_once()
    assert await _accounts(context) == ["u1"]
    with path.open("ab") as log:
        log.write(_line(2) + b"Jun  1 08:00:03 web sshd[7]: Invalid user u3 from 192.0.2.3")
    path.rename(tmp_path / "auth.log.1")
    path.write_bytes(_line(4))
    await tail.poll_once()
    await tail.poll_once()
    assert await _accounts(context) == ["u2", "u3", "u4"]
    tail.close()


async def test_truncation_starts_again_from_the_top(context: AppContext, tmp_path: Path) -> None:
    path = tmp_path / "auth.log"
    path.write_bytes(_line(1) + _line(2))
    tail = _tail(context, path, start_at="beginning")
    await tail.open()
    await tail.poll_once()
    assert await _accounts(context) == ["u1", "u2"]
    with path.open("r+b") as log:  # copytruncate
        log.truncate(0)
    path.write_bytes(_line(5))
    await tail.poll_once()
    await tail.poll_once()
    assert await _accounts(context) == ["u5"]
    tail.close()


async def test_a_restart_resumes_at_the_saved_offset(context: AppContext, tmp_path: Path) -> None:
    path = tmp_path / "auth.log"
    path.write_bytes(_line(1) + _line(2) + b"Jun  1 08:00:09 web sshd[7]: Invalid us")
    first = _tail(context, path, start_at="beginning")
    await first.open()
    await first.poll_once()
    first.close()
    assert await _accounts(context) == ["u1", "u2"]
    with path.open("ab") as log:
        log.write(b"er u9 from 192.0.2.9\n" + _line(3))
    second = _tail(context, path)  # start_at "end" applies only to a file never seen
    await second.open()
    await second.poll_once()
    second.close()
    assert await _accounts(context) == ["u9", "u3"]


async def test_a_file_rotated_while_stopped_is_read_from_its_start(
    context: AppContext, tmp_path: Path
) -> None:
    path = tmp_path / "auth.log"
    path.write_bytes(_line(1))
    first = _tail(context, path, start_at="beginning")
    await first.open()
    await first.poll_once()
    first.close()
    await _accounts(context)
    os.replace(path, tmp_path / "auth.log.1")
    path.write_bytes(_line(6) + _line(7))
    second = _tail(context, path)
    await second.open()
    await second.poll_once()
    second.close()
    assert await _accounts(context) == ["u6", "u7"]


async def test_a_new_file_starts_at_its_end_and_a_missing_one_is_waited_for(
    context: AppContext, tmp_path: Path
) -> None:
    path = tmp_path / "auth.log"
    missing = _tail(context, path)
    await missing.open()
    assert await missing.poll_once() == 0
    path.write_bytes(_line(1))
    await missing.poll_once()
    missing.close()
    assert await _accounts(context) == ["u1"]

    other = tmp_path / "other.log"
    other.write_bytes(_line(2))
    existing = _tail(context, other, name="other")
    await existing.open()
    await existing.poll_once()
    with other.open("ab") as log:
        log.write(_line(3))
    await existing.poll_once()
    existing.close()
    assert await _accounts(context) == ["u3"]
