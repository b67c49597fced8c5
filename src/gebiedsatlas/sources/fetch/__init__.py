"""Connectors that fetch published sources (CBS, PDOK, Leefbaarometer) into a local cache."""
