"""Import: read, verify, transform, resolve, check, plan and apply a package, one module a step.

- ``request``: the import request (DataArts ImportFileReq plus jobferry options), checked.
- ``ports``: the pipeline's two interfaces: the source it reads (``ImportSource``) and the
  target it reads and writes (``ImportTarget``: ``TargetReader``, ``TargetWriter``).
- ``sources``: the sources: a package file, a workspace of this server.
- ``uploads``: where package files come from (uploads, object storage), fetched for a read.
- ``transform``: the profile and the request applied to each object (pure; also offline).
- ``local``: the target when it is a workspace of this server (read a batch at a time,
  written in the caller's transaction).
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
