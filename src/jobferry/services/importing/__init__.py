"""Import: read, verify, transform, resolve, check, plan and apply a package, one module a step.

- ``request``: the import request (DataArts ImportFileReq plus jobferry options), checked.
- ``transform``: the profile and the request applied to each object (pure; also offline).
- ``snapshot``: what the target holds, read once per plan.
- ``checks``: every problem of every object.
- ``model``: the plan, its objects and problems, and their wire form.
- ``planner``: transform → resolve → check → action per object → apply order.
- ``apply``: the plan written in the caller's transaction, in bulk.
- ``service``: uploads, check-file, plan and import as tasks (one transaction per import).
- ``offline``: ``jobferry package transform`` (the same transform, written as a new package).
- ``rollback``: undoing an import from its per-object change records.
"""
