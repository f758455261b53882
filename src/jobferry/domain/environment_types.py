"""The types of environment objects: an example of each kind's, for the hints that ask for one."""

from __future__ import annotations

from jobferry.domain.enums import EnvironmentKind

TYPE_EXAMPLES: dict[EnvironmentKind, str] = {
    EnvironmentKind.CONNECTION: "DWS or HIVE",
    EnvironmentKind.DLI_QUEUE: "DLI",
    EnvironmentKind.CDM_CLUSTER: "CDM",
    EnvironmentKind.CDM_JOB: "CDM",
    EnvironmentKind.MRS_CLUSTER: "MRS",
    EnvironmentKind.DIS_STREAM: "DIS",
    EnvironmentKind.GES_GRAPH: "GES",
    EnvironmentKind.RESOURCE_GROUP: "DataArts",
    EnvironmentKind.QUALITY_RULE: "DQC",
    EnvironmentKind.AGENCY: "IAM",
}
"""A type to name as an example for each kind's objects, where one is asked for (``env put``
without ``--type``, a PUT refused for its type): a connection's is DataArts' connection type
(``DWS``, ``HIVE``: what the connection calls take), the other kinds' the service holding the
object (a DLI queue's ``DLI``, an agency's ``IAM``). The server takes any type's name; this
only keeps a hint from naming a connection type for a queue."""
