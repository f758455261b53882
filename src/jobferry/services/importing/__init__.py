"""Import: read, verify, transform, resolve, check, plan and apply a package, one module a step.

- ``request``: the import request (DataArts ImportFileReq plus jobferry options), checked.
- ``uploads``: where packages come from (uploads, object storage), opened for a streaming read.
- ``transform``: the profile and the request applied to each object (pure; also offline).
- ``snapshot``: what the target holds, asked a batch at a time.
- ``checks``: every problem of every object.
- ``model``: the planned objects, their records and problems, and the plan's outcome.
- ``planner``: transform → resolve → check → action per object, a batch at a time.
- ``ordering``: pending references, cycles, the apply order and failures, once read whole.
- ``plans``: kept plans and their objects, paged.
- ``apply``: the plan written in the caller's transaction, a batch at a time.
- ``service``: uploads, check-file, plan and import as tasks (one transaction per import).
- ``offline``: ``jobferry package transform`` (the same transform, written as a new package).
- ``rollback``: undoing an import from its per-object change records.
"""
