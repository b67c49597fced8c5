"""The woonprogramma: the housing mix per area, targets, the project pipeline and scenarios (docs/housing.md)."""
