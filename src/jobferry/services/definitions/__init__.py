"""The definitions a workspace holds and their life: jobs (``jobs``, ``renames``, a start call's
body: ``starts``, which versions a job is scheduled on: ``schedulable``), scripts, resources, a
job or script by name or the nearest name when it is not there (``lookup``), what a save does
beyond the development state (``publishing``), what a save would change, said before it is made
(``review``), what it accepts although it is probably a mistake, and a confirmed save refused
when that changed since its review (``cautions``), two versions of a job or script compared
(``compare``), one given back as its development state (``restore``), its development state
submitted (``submit``), a save refused when its definition changed since it was read
(``since``), which objects a definition names that its workspace lacks (``presence``), which
jobs use an object (``usage``), tags and locks (``governance``), tombstones of deleted objects,
folders, where a job came from (``provenance``), what changed in a workspace since imports wrote
it (``drift``), definitions as stored JSON text (``documents``) and what these services answer
(``records``)."""
