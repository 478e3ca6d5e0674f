"""Adapters for third-party admin frameworks; each imports its framework only when imported."""
