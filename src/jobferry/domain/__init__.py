"""The job language: documents, rules, references, graphs. Pure: no I/O."""
