"""Remotes: DataArts workspaces reached through their public API, each mirrored on this server
by a shadow workspace that changes only when the remote is refreshed.

- ``service``: add (with its shadow), list, show, test, refresh and remove remotes;
  ``records``: what the feature answers, and the one parser of a remote's body; ``removal``:
  what refuses a remote's removal (routes, a push not over, a refresh queued or running).
- ``client``: the signed DataArts calls a remote is driven with (``calls``: which calls, on
  which host; ``query``: their query strings, as the SDKs send them; ``paging``: walking a
  paged list call; ``backoff``: when a failed call is sent again; ``refusals``: how an
  error answer reads, and the credentials' refusal).
- Refresh, the shadow brought to the remote's state: ``refresh`` (read in bulk),
  ``environment`` (its connections and variables), ``submitted`` (its submitted versions),
  ``snapshot`` (from a carried export, when the remote cannot be reached), ``shadow`` and
  ``batchwrites`` (the writes into the shadow); ``refresh_task`` (a refresh run as a task of
  its own); ``refresh_said`` (how far a refresh says it got).
- Push, an import into the shadow writing the remote all or nothing: ``delivery`` (the
  importing pipeline's delivery port for remotes), ``push`` (with the remote executor of the
  change port), ``program`` (what the push must do, noted from the import's lines into the
  shadow), ``reading`` (what it reads of the remote), ``steps`` (its calls in dependency
  order), ``sending`` (a level of calls in flight), ``writes`` (each call and the one undoing
  it), ``journal`` (every call written down
  before and after it is made), ``undo``, ``undoing`` (an undo's calls a chunk at a time: read
  in bulk, a level's calls in flight together), ``meanwhile`` (what an undo leaves as a person
  changed it in the remote since the push wrote it), and ``unsent`` (the shadow brought to what the
  calls could not carry: a job's description as the remote holds it); ``recovery`` (the undo
  of a push whose process died, finished by another, waiting while the remote is out of
  reach); ``orphans`` (what the task of such a push says until its undo is over).
- ``pushable``: what a push would refuse, said by the plan into the shadow as its problems.
- ``rollback``: a push rolled back by pushing its inverse; ``basis``: what a package carried
  to a remote's side was cut against."""
