"""Use cases with transaction boundaries. Adapters (API, console, CLI) call these and nothing
below them; services answer typed records, and the adapters own the wire and the pages.

A folder per feature:

- ``accounts``: who may call, and where (projects, workspaces, users, keys, roles, sign-in).
- ``workspaces``: a workspace's own settings, signing keys and environment profiles.
- ``definitions``: the jobs, scripts and resources a workspace holds, and their life.
- ``environment``: what jobs run against (environment objects, workspace variables).
- ``connections``: data connections through every DataArts API shape.
- ``exporting``: jobs of a workspace into a deterministic package.
- ``importing``: a package read, checked, planned, applied all or nothing, and rolled back.
- ``routes``: the remembered path of a promotion, and promotion along it.
- ``remotes``: DataArts workspaces reached through their public API, mirrored by shadows.
- ``releases``: enterprise mode: pending items, release packages, a production side.
- ``policies``: the rules plans into a workspace or along a route keep, checked at plan and
  at apply.
- ``support``: helpers the features share, none a feature of its own.

Beside them, what every feature uses: ``context`` (who is calling, in which workspace, with
which role), ``approving`` (a signed approval of a plan checked and kept, and which count),
``audit`` (every change recorded in its transaction), ``tasks`` (system tasks), ``taskviews``
(what a task is shown as), ``taskends`` (waiting for a task's end), ``taskprogress`` (how far
a running task got, said from inside its transaction too), ``taskfailures`` (a log line for
each task that ends FAILED), ``downloads`` (the download
center), ``retention`` (task lines and audit entries dropped past the days an operator keeps
them) and ``container`` (every service, wired once at the entry point).
"""
