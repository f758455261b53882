"""Remotes: DataArts workspaces reached through their public API, each mirrored on this server
by a shadow workspace that changes only when the remote is refreshed."""
