"""Export: jobs of a workspace into a deterministic package, one module per step.

* :mod:`.options` — what the request asks for: ``exportDepend``/``exportStatus``/
  ``withUpstream``/``withManifest``, the ``obsPath`` target, the ``changed`` window.
* :mod:`.selection` — which jobs: the named ones, a checked name list, the workspace (all or
  changed since), plus their upstream jobs.
* :mod:`.fates` — what became of a named job the workspace no longer holds: renamed (to
  which name, when) or deleted (when), said instead of "no job".
* :mod:`.contents` — what goes in beside the jobs: the scripts, resources and CDM jobs they
  use, the environment objects they need, the references that did not resolve.
* :mod:`.package` — the package itself: manifest header and the deterministic writer.
* :mod:`.service` — the use cases (single, batch, name list, workspace; streamed back,
  uploaded to ``obsPath`` or kept in the download center) over one read-only transaction.
"""
