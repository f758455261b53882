"""What jobs run against: environment objects (connections, queues, clusters… in ``objects``)
and workspace variables (``variables``). Data connections' own API is ``services.connections``."""
