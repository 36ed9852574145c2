"""Security detection: logs in, Sigma rules and our own detectors, alerts out."""
