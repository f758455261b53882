"""Who may call, and where: projects, workspaces, users, credentials and roles (``service``),
who administers the project and removing users (``users``; the routes and waiting release
packages a removal leaves with too few approvers: ``leaving``), console sign-in (``signin``), IAM
tokens for ``X-Auth-Token`` callers (``tokens``, their request body in ``tokenrequest``),
access-key lockout (``lockouts``), replay protection (``replays``), what the account calls
answer (``records``), and the data folder's generated admin credentials, removed with their
revoked key (``adminfile``)."""
