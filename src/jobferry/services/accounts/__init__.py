"""Who may call, and where: projects, workspaces, users, credentials and roles (``service``),
console sign-in (``signin``), access-key lockout (``lockouts``) and replay protection
(``replays``)."""
