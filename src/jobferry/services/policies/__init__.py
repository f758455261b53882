"""Policies: the rules plans into a workspace or along a route keep (a deletion limit,
protected connections, naming and owner rules, freeze windows), kept per workspace or route
and saved as versions (``service``); which of them a plan keeps (``governing``); their problems
when a plan is made (``planning``, called by the import planner once the plan is whole); and
the refusal when a plan is applied (``gate``, before the import's task is queued)."""
