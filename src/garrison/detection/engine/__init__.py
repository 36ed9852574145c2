"""The detection engine: Sigma rules, our detectors and threat intelligence on one stream."""
