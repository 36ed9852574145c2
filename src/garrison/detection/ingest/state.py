"""What the ingest endpoint and the ingest worker of one running Garrison share.

The detection settings come from the event configuration (``settings.config_file``),
read once; the worker (or a test) may set them explicitly with :func:`configure_ingest`.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass, field

from prometheus_client import CollectorRegistry

from garrison.config import load_config
from garrison.config.detection import DetectionSettings, HttpSource
from garrison.detection.ingest.builder import EventBuilder, builders_for
from garrison.detection.pipeline import DetectionPipeline, pipeline_for
from garrison.runtime.context import AppContext


@dataclass(slots=True)
class IngestState:
    settings: DetectionSettings
    pipeline: DetectionPipeline
    builders: dict[str, EventBuilder] = field(default_factory=dict)

    def http_builder(self, name: str) -> EventBuilder | None:
        """The builder of the enabled ``http`` source called ``name``."""
        for source in self.settings.sources:
            if source.name == name and isinstance(source, HttpSource) and source.enabled:
                return self.builders.get(name)
        return None


# Keyed like the pipeline, by the context's own Prometheus registry (see pipeline.py).
_STATES: weakref.WeakKeyDictionary[CollectorRegistry, IngestState] = weakref.WeakKeyDictionary()


def configure_ingest(context: AppContext, settings: DetectionSettings) -> IngestState:
    """Apply ``settings``: queue bounds, one builder per enabled source."""
    pipeline = pipeline_for(context)
    pipeline.queue.resize(settings.queues.pipeline_events, max_bytes=settings.queues.pipeline_bytes)
    pipeline.batch_events = settings.queues.batch_events
    state = IngestState(
        settings=settings,
        pipeline=pipeline,
        builders=builders_for(settings, pipeline.metrics),
    )
    _STATES[context.registry] = state
    return state


def ingest_state(context: AppContext) -> IngestState:
    """This Garrison's ingest state, configured from its event configuration on first use."""
    state = _STATES.get(context.registry)
    if state is None:
        state = configure_ingest(context, load_detection_settings(context))
    return state


def load_detection_settings(context: AppContext) -> DetectionSettings:
    path = context.settings.config_file
    if path is None:
        return DetectionSettings()
    return load_config(path).config.detection
