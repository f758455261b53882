"""Enterprise mode (DataArts' development → production releases inside one workspace).

- ``production``: switching a workspace to enterprise mode (its production side, a linked
  workspace of its own) and the scope a release acts in there.
- ``pending``: the pending item every submit, rename or delete keeps per object.
- ``service``: release packages made, listed, shown, deployed, cancelled and planned again;
  ``records``: what the calls take (parsed once) and answer; ``checks``: the rules a package
  is made and deployed by; ``freezing``: the package file and what production held when it
  was planned; ``listing``: the package list's filters and order, and the plan a package
  keeps.
- ``approvals``: the simple-mode review centre's list of applications (not the release flow).
- ``signatures``: signed approvals of a package's plan (its approvals file, an approval kept,
  the workspace's rule of N approvals a deploy checks); ``approval_keys``: the public keys
  users sign with; ``carried``: a package exported with its approvals as one signed release
  file, and taken into another server's production only with the approved plan hash;
  ``carried_once``: a signed release taken in once (refused again, naming its ledger entry
  or its rollback's).
- ``delivery``: the import pipeline's delivery port for both sides (a deploy marks its
  package released in the import's own transaction; an import submitting into development
  keeps its pending items).
- ``deployed``: which development version production holds of an object, as pending items
  say it (``deployed_version``), and the waiting items told when it moves; ``as_released``:
  what an import as released wrote or deleted there, outside the ledger.
- ``ledger``: the release ledger, one entry per release, rollback and restore with the state
  it left every object (definitions kept by hash); ``ledger_view``: the ledger read back a
  page of entries at a time with what production held at D, as JSON and CSV;
  ``rollback``: the last release rolled back through the import's rollback (``scheduling``:
  refused while a job it wrote runs otherwise than it left it); ``restore``:
  production planned and applied back to the state right after an earlier release;
  ``moved``: what moved production since a restore was planned, named object by object
  when its apply is refused.
"""
