"""The JSON Schema of the configuration file, for editors that validate YAML as you type."""

from __future__ import annotations

from typing import Any

from garrison.config.includes import INCLUDE_KEY
from garrison.config.models import EventConfig

JSON_SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"


def event_config_json_schema() -> dict[str, Any]:
    schema = EventConfig.model_json_schema()
    include = {
        "type": "array",
        "items": {"type": "string"},
        "description": "Files to merge into this one, relative to this file.",
    }
    schema["properties"] = {INCLUDE_KEY: include, **schema["properties"]}
    return {"$schema": JSON_SCHEMA_DIALECT, **schema, "title": "Garrison event configuration"}
