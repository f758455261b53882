"""Use cases with transaction boundaries. Adapters (API, console, CLI) call these and nothing
below them."""
