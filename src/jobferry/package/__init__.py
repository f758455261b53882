"""Packages: zip layouts, the manifest, signatures, deterministic writing and safe, streaming
reading. No database of the service's and no network: a large read keeps its entry index in a
private SQLite file (``index``) and a large read or write hands work to a helper
process forked from the process's forkserver (``readahead``, ``writebehind``, ``helpers``)."""
