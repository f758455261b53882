"""The import feature's storage, in one place: what the target holds and the per-workspace
lock (``target``), the tables with a row per imported object (``tables``), kept plans
(``plans``), the promotion ledger and tombstones (``ledger``), where a job came from
(``origins``), the imports that changed one object (``history``), whole objects taken out
and put back (``snapshots``), rollback's reads and writes (``rollbacks``), the imports whose
rollback expired (``expiry``) and an import's working set on disk (``workset``)."""
