"""Log ingestion: syslog listeners, HTTP bulk ingest and file tails feeding the pipeline."""
