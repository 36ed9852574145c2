"""Duty tables: run-time overrides and swaps, handover notes, check-ins, gap alerts.

Rotations live in the configuration; these tables hold what happens at run time.
Posts and people are referenced by their configuration ids (no foreign keys: the
configuration file is the authority and may be ahead of its mirror). Nothing is
deleted: overrides and swaps are cancelled, notes acknowledged.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from garrison.storage.base import Base, UTCDateTime

ID_LENGTH = 64
NAME_LENGTH = 200


class DutyOverrideRecord(Base):
    """A person holds a post over a time span, added through the API."""

    __tablename__ = "duty_override"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    post_id: Mapped[str] = mapped_column(String(ID_LENGTH), index=True)
    person_id: Mapped[str] = mapped_column(String(ID_LENGTH))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime())
    reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_by: Mapped[str] = mapped_column(String(NAME_LENGTH))
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    cancelled_by: Mapped[str | None] = mapped_column(String(NAME_LENGTH), default=None)


class DutySwapRecord(Base):
    """Two people exchange one shift each, added through the API."""

    __tablename__ = "duty_swap"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    post_id: Mapped[str] = mapped_column(String(ID_LENGTH), index=True)
    layer: Mapped[str] = mapped_column(String(ID_LENGTH))
    first_person_id: Mapped[str] = mapped_column(String(ID_LENGTH))
    first_shift_start: Mapped[datetime] = mapped_column(UTCDateTime())
    second_person_id: Mapped[str] = mapped_column(String(ID_LENGTH))
    second_shift_start: Mapped[datetime] = mapped_column(UTCDateTime())
    reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_by: Mapped[str] = mapped_column(String(NAME_LENGTH))
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    cancelled_by: Mapped[str | None] = mapped_column(String(NAME_LENGTH), default=None)


class HandoverNote(Base):
    """The outgoing person's note for a shift, and its acknowledgement by the incoming one."""

    __tablename__ = "duty_handover"
    __table_args__ = (UniqueConstraint("post_id", "outgoing_person_id", "shift_start"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    post_id: Mapped[str] = mapped_column(String(ID_LENGTH), index=True)
    outgoing_person_id: Mapped[str] = mapped_column(String(ID_LENGTH))
    shift_start: Mapped[datetime] = mapped_column(UTCDateTime())
    shift_end: Mapped[datetime] = mapped_column(UTCDateTime())
    incoming_person_id: Mapped[str | None] = mapped_column(String(ID_LENGTH), default=None)
    remarks: Mapped[str] = mapped_column(Text, default="")
    # Lists the UI fills: incident ids or texts, directive ids or texts, document references.
    open_incidents: Mapped[list[Any]] = mapped_column(JSON)
    pending_directives: Mapped[list[Any]] = mapped_column(JSON)
    reference_list: Mapped[list[Any]] = mapped_column(JSON)
    written_at: Mapped[datetime] = mapped_column(UTCDateTime())
    written_by: Mapped[str] = mapped_column(String(NAME_LENGTH))
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    acknowledged_by: Mapped[str | None] = mapped_column(String(NAME_LENGTH), default=None)
    acknowledgement_remarks: Mapped[str | None] = mapped_column(Text, default=None)


class CheckInRecord(Base):
    """Presence at the start of a stretch on duty: confirmed, or found missing by the worker."""

    __tablename__ = "duty_checkin"
    __table_args__ = (UniqueConstraint("post_id", "person_id", "shift_start"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    post_id: Mapped[str] = mapped_column(String(ID_LENGTH), index=True)
    person_id: Mapped[str] = mapped_column(String(ID_LENGTH))
    shift_start: Mapped[datetime] = mapped_column(UTCDateTime())
    shift_end: Mapped[datetime] = mapped_column(UTCDateTime())
    due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    checked_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    checked_in_by: Mapped[str | None] = mapped_column(String(NAME_LENGTH), default=None)
    missed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)


class GapAlertRecord(Base):
    """A coverage gap already announced on the bus, so that it is announced once."""

    __tablename__ = "duty_gap_alert"
    __table_args__ = (UniqueConstraint("post_id", "starts_at", "ends_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    post_id: Mapped[str] = mapped_column(String(ID_LENGTH))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime())
    alerted_at: Mapped[datetime] = mapped_column(UTCDateTime())
