"""Who may call, and where: projects, workspaces, users, credentials and roles (``service``),
console sign-in (``signin``), IAM tokens for ``X-Auth-Token`` callers (``tokens``, their
request body in ``tokenrequest``), access-key lockout (``lockouts``), replay protection
(``replays``), removing a user (``removal``), and what the account calls answer
(``records``)."""
