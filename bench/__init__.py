"""Performance measurements; each module prints its figures."""
