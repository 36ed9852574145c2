"""Our detectors in Python, for what Sigma cannot say (baselines, memory across restarts)."""
