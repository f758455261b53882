"""Runs long work in the background with persisted status (in-process workers)."""
