"""Benchmarks that print figures; ``python -m bench`` runs them all (docs/benchmarks.md)."""

from __future__ import annotations
