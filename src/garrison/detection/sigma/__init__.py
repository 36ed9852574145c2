"""Sigma rules (specification 2.x) parsed with pySigma and compiled into Python predicates."""
