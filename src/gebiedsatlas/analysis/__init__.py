"""Analysis: profiles, comparisons, references, deviations, scores, typology and change signals."""
