"""The report worker writes the daily report at ``reports.daily_hour`` (event time) on the
manual clock and emails it, PDF and HTML attached, through a real SMTP server (aiosmtpd on
127.0.0.1 with STARTTLS and a login); a relay that is down is an outcome, not a crash."""

from __future__ import annotations

from email.header import decode_header, make_header
from pathlib import Path

import pytest
import trustme
from pydantic import SecretStr

from garrison.config import load_config
from garrison.config.notifications import EmailChannel
from garrison.notify.channels.files import (
    EmailAttachment,
    build_email_with_files,
    send_email_with_files,
)
from garrison.notify.errors import DeliveryFailed
from garrison.reports.worker import REPORT_FOLDER, ReportDelivered, ReportWorker, ReportWritten
from garrison.runtime.context import AppContext
from tests.notify.sinks import smtp_sink, write_ca
from tests.readiness.factories import WatchedClock, collecting, running
from tests.reports.scenario import SCENARIO

HOUR = 3600.0


def _all_exist(paths: list[str]) -> bool:
    return all(Path(path).exists() for path in paths)


def _with_mail(path: Path, port: int, ca_file: Path) -> None:
    path.write_text(
        SCENARIO
        + "  recipients: [lima, echo]\n"
        + "notifications:\n"
        + "  email:\n"
        + f"    host: 127.0.0.1\n    port: {port}\n    security: starttls\n"
        + "    username: garrison\n    password: relay-password-1\n"
        + f"    sender: garrison@example.org\n    ca_file: {ca_file}\n",
        encoding="utf-8",
    )


async def test_the_daily_report_is_written_at_the_hour_and_emailed(
    context: AppContext, clock: WatchedClock, config_path: Path, tmp_path: Path
) -> None:
    ca = trustme.CA()
    async with smtp_sink(ca) as sink:
        _with_mail(config_path, sink.port, write_ca(ca, tmp_path))
        folder = context.settings.data_dir / REPORT_FOLDER
        async with (
            collecting(context.bus, ReportWritten) as written,
            collecting(context.bus, ReportDelivered) as delivered,
            running(ReportWorker(context)),
        ):
            # 08:00 UTC is 15:00 in Hanoi; reports.daily_hour is 18 (the default).
            await clock.idle()
            clock.advance(3 * HOUR - 1)  # the worker's sleep is not over: nothing wakes
            assert written.events == []
            assert not folder.exists()
            await clock.advance_and_settle(1)
            files = await written.wait_for(2)
            (outcome,) = await delivered.wait_for(1)
            (mail,) = await sink.wait_for(1)
    assert [Path(event.path).name for event in files] == [
        "daily-20260601.html",
        "daily-20260601.pdf",
    ]
    assert all(event.occurred_at == clock.now() for event in files)
    assert tuple(outcome.sent_to) == ("lima@example.org",)  # JSON on the bus: a list
    assert tuple(outcome.without_address) == ("echo",)
    assert outcome.error is None
    assert mail.recipients == ("lima@example.org",)
    assert mail.used_tls
    # reports.language is vi (the default): the subject is in Vietnamese.
    subject = str(make_header(decode_header(mail.message["Subject"])))
    assert subject == "Báo cáo tình hình hằng ngày: National Congress, 2026-06-01"
    parts = {
        name: part for part in mail.message.walk() if (name := part.get_filename()) is not None
    }
    assert sorted(parts) == ["daily-20260601.html", "daily-20260601.pdf"]
    pdf = parts["daily-20260601.pdf"].get_payload(decode=True)
    assert isinstance(pdf, bytes)
    assert pdf == (folder / "daily-20260601.pdf").read_bytes()
    html = (folder / "daily-20260601.html").read_text(encoding="utf-8")
    assert '<html lang="vi">' in html


async def test_a_relay_that_is_down_leaves_the_files_and_reports_the_error(
    context: AppContext, clock: WatchedClock, config_path: Path, tmp_path: Path
) -> None:
    ca = trustme.CA()
    async with smtp_sink(ca) as sink:
        port = sink.port
    _with_mail(config_path, port, write_ca(ca, tmp_path))  # nothing listens there any more
    config = load_config(config_path).config
    clock.advance(3 * HOUR)
    async with collecting(context.bus, ReportDelivered) as delivered:
        paths = await ReportWorker(context).write_daily(config)
        (outcome,) = await delivered.wait_for(1)
    assert _all_exist(paths)
    assert not outcome.sent_to
    assert outcome.error is not None
    assert "SMTP" in outcome.error


async def test_email_with_files_and_its_limits(tmp_path: Path, clock: WatchedClock) -> None:
    ca = trustme.CA()
    async with smtp_sink(ca) as sink:
        settings = EmailChannel(
            host="127.0.0.1",
            port=sink.port,
            username="garrison",
            password=SecretStr("wrong-password"),
            sender="garrison@example.org",
            ca_file=write_ca(ca, tmp_path),
        )
        attachment = EmailAttachment("a.csv", b"section,key,value\n", "text/csv")
        with pytest.raises(DeliveryFailed) as refused:
            await send_email_with_files(
                settings,
                recipients=["lima@example.org"],
                subject="s",
                text="t",
                attachments=[attachment],
                sent_at=clock.now(),
            )
        assert not refused.value.temporary  # 535: a login the relay refuses
    for recipients, attachments in (
        ([], [attachment]),
        (["a@example.org"], [EmailAttachment("big", b"x" * (20 * 1024 * 1024 + 1))]),
    ):
        with pytest.raises(ValueError, match=r"recipients|attachments"):
            build_email_with_files(
                settings,
                recipients=recipients,
                subject="s",
                text="t",
                attachments=attachments,
                sent_at=clock.now(),
            )
