"""Runs long work in the background: tasks queued in the database, claimed by any process."""
