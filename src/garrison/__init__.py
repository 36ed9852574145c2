"""Garrison: keeps a critical event's communications uninterrupted, secure and confidential."""

__version__ = "0.1.0"
