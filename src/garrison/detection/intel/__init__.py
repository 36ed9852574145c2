"""Threat intelligence: indicator lists matched against every event."""
