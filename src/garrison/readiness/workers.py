"""The workers of readiness, drills and reports, as ``garrison serve`` starts them."""

from __future__ import annotations

from garrison.drills.worker import DrillWorker
from garrison.readiness.worker import ReadinessWorker
from garrison.reports.shift_worker import ShiftReportWorker
from garrison.reports.worker import ReportWorker
from garrison.runtime.context import AppContext
from garrison.runtime.workers import Worker


def readiness_workers(context: AppContext) -> list[Worker]:
    return [
        ReadinessWorker(context),
        DrillWorker(context),
        ReportWorker(context),
        ShiftReportWorker(context),
    ]
