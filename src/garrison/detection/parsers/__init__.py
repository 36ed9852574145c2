"""Parsers: raw log lines and JSON documents to normalised fields and auth failures."""

from garrison.detection.parsers.base import Failure, ParseContext, ParsedRecord
from garrison.detection.parsers.documents import DocumentTooDeep
from garrison.detection.parsers.registry import PARSER_NAMES, LogParser, create_parser

__all__ = [
    "PARSER_NAMES",
    "DocumentTooDeep",
    "Failure",
    "LogParser",
    "ParseContext",
    "ParsedRecord",
    "create_parser",
]
