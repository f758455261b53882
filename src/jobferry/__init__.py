"""jobferry: move DataArts Factory jobs between environments, safely."""

__version__ = "0.1.0"
