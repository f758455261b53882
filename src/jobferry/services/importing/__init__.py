"""Import: read, verify, transform, resolve, check, plan and apply a package, a module a step
(docs/design.md §5 has the pipeline's picture; each module's docstring names its step).

- ``request``: the import request (DataArts ImportFileReq plus jobferry options), parsed once.
- ``ports``: the pipeline's two interfaces: the source it reads (``ImportSource``) and the
  target it reads and writes (``ImportTarget``: ``TargetReader``, the change port, and
  ``ImportRecord``, the import's own record).
- ``changes``: the change port: every object write of an apply as a typed line (put, rename,
  delete, set scheduling), with commit and abort; its executors are chosen per target.
- ``delivery``: how an import's and a rollback's changes reach the workspace's truth (here,
  or pushed to a remote), chosen once per workspace.
- ``started``: the import a kept plan started already (the same import asked twice).
- ``sources`` (read): the source: the package file an import path names.
- ``uploads`` (read): where package files come from (uploads, object storage).
- ``contents`` (read): what a package holds, told without importing it (``show_file_info``).
- ``transform`` (transform): the profile and the request applied to each object (pure; also
  offline).
- ``prepare`` (transform): what each object becomes before the target is asked (its text,
  references, rule violations, ledger copy), here or in the reader's helper process.
- ``local`` (resolve, apply): the target when it is a workspace of this server (read a batch
  at a time; the local executor of the change port and the import's record, written in the
  caller's transaction).
- ``checks`` (check): every problem of every object; ``restarts`` (check): a scheduled job
  paused is not started again on a submitted version whose schedule could never run.
- ``locks`` (check): another user's lock on an object the import changes: a problem under the
  hard lock policy, the holder named on the plan line under the soft one.
- ``basis`` (check): a package cut against a snapshot of this target is refused where what it
  writes or deletes changed here since.
- ``matching`` (match): each object's target, by identity through the ledger or by name.
- ``decide`` (decide): CREATE, OVERWRITE, RENAME, SKIP or UNCHANGED, drift, the diff.
- ``policy`` (plan): which ``sameNamePolicy`` the plan applies (AUTO resolved), and why each
  SKIP is one.
- ``model`` (plan): the planned objects, their records and problems, the plan's outcome.
- ``planner`` (plan): transform → resolve → check → match → decide, a batch at a time.
- ``findings`` (plan): what planning found beyond the records: the counts, the first problems,
  each missing environment object once with the objects using it.
- ``recording`` (plan): what the working set keeps of each planned object, and what an
  ATOMIC import may write ahead.
- ``deletes`` (plan): what the target deletes, and names that clash, once the package is read.
- ``ordering`` (order): pending references, cycles, the apply order and failures.
- ``rewrites`` (plan): the target's jobs outside the package that a rename rewrites, decided
  once the plan is whole (the plan lists them, who holds a lock on one under the soft lock
  policy first, and the apply rewrites exactly them); under the hard policy another user's lock
  on one is a problem of the rename, found before what fails is decided.
- ``plan`` (keep): the kept plan as typed values (``Plan``, ``PlanLine``, ``PlanSummary``) and
  the form storage keeps them in.
- ``plans`` (keep): kept plans and their lines, stored and paged.
- ``kept`` (keep, apply): a kept plan's working set and the reads it made, kept with it, and
  the apply of a kept plan, which makes those reads again rather than planning again.
- ``recorded`` (keep, apply): a plan's reads of its target, kept as they pass and made again
  at apply time, with the witness of their answers.
- ``apply`` (apply): the plan written through the change port (its record apart), a batch at a
  time.
- ``results`` (apply, report): each object's line of the import's result (its subtask), the
  lock it passed over under the soft lock policy included.
- ``ending`` (apply, report): an apply refused before it writes, or what it did and the task's
  end.
- ``progress`` (plan, apply, report): what the task says as it goes, a batch at a time (the
  objects checked, then written), from inside the import's transaction too.
- ``promote`` (apply): what repeated promotion adds to an apply (renames, deletes, pauses,
  the ledger, rewritten references).
- ``service`` (report): upload, check-file, plan and import as tasks (one transaction per
  import).
- ``offline``: ``jobferry package transform`` (the same transform, written as a new package).
- ``rollback``, ``undoing``: undoing an import from its per-object change records;
  ``rollback_refusals``: each way a rollback is refused.
- ``expiry``: rollbacks expire (``JOBFERRY_ROLLBACK_DAYS``): what old imports replaced, and
  what their pushes sent, dropped by the housekeeping sweep; their rollback refused.
"""
