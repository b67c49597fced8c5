"""Indicators: the catalogue (what each figure means and how it aggregates) and value queries."""
