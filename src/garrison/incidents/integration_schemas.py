"""Bodies of the integration API and of the signal endpoints' answers."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from garrison.config.incidents import IntegrationKind
from garrison.incidents.models import Integration
from garrison.incidents.vocabulary import Category, Severity

IDENTIFIER = r"^[a-z0-9][a-z0-9_.-]{0,63}$"


class _Input(BaseModel):
    model_config = ConfigDict(extra="forbid")


class IntegrationCreateIn(_Input):
    id: str = Field(pattern=IDENTIFIER)
    name: str = Field(min_length=1, max_length=200)
    kind: IntegrationKind
    default_severity: Severity = Severity.SEV3
    default_category: Category = Category.AVAILABILITY
    rate_limit_per_minute: int = Field(default=120, ge=1, le=100_000)


class IntegrationOut(BaseModel):
    id: str
    name: str
    kind: str
    key_prefix: str
    default_severity: str
    default_category: str
    rate_limit_per_minute: int
    managed_by: str
    created_at: datetime
    updated_at: datetime
    disabled_at: datetime | None

    @classmethod
    def of(cls, record: Integration) -> IntegrationOut:
        return cls(
            id=record.id,
            name=record.name,
            kind=record.kind,
            key_prefix=record.key_prefix,
            default_severity=record.default_severity,
            default_category=record.default_category,
            rate_limit_per_minute=record.rate_limit_per_minute,
            managed_by=record.managed_by,
            created_at=record.created_at,
            updated_at=record.updated_at,
            disabled_at=record.disabled_at,
        )


class IntegrationKeyOut(IntegrationOut):
    key: str = Field(description="The integration key: shown this once, stored only as a hash.")


class SignalResultOut(BaseModel):
    signal_id: int
    dedup_key: str
    outcome: str
    alert_id: int | None
    incident_id: int | None


class SignalsAcceptedOut(BaseModel):
    accepted: int
    results: list[SignalResultOut]


class PagerDutyAcceptedOut(BaseModel):
    status: Literal["success"] = "success"
    message: str = "Event processed"
    dedup_key: str


class PagerDutyErrorOut(BaseModel):
    status: str
    message: str
    errors: list[str]
