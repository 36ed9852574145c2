"""Detection alerts: stored, deduplicated findings, for the console and reports."""
