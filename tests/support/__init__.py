"""Helpers the tests share: builders, signed clients, servers, packages, databases."""
