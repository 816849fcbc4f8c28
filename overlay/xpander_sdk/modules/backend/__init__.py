"""Compatibility paths of the official SDK (re-exports only)."""
