"""Gebiedsatlas: a shared area atlas and performance-agreement monitor for the New Town Alliantie."""

__version__ = "0.1.0"
