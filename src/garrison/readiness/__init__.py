"""Readiness (sẵn sàng): plans and their runbooks, readiness tasks, inspections."""
