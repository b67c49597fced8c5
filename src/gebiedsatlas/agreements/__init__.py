"""Prestatieafspraken: multi-year performance agreements between gemeente, woningcorporatie and
huurdersorganisatie, their commitments, jaarschijven, realisations and monitoring against the atlas.

Modules: ``vocab`` (themes, statuses, transitions), ``services`` (validated, recorded changes),
``smart`` (the SMART check), ``projection`` (linear atlas trend), ``progress`` (the derived status
rule), ``history`` (change log and snapshots), ``monitoring`` (overviews, area links), ``excel``
(template, import, export), ``parties`` (the real NTA signatories), ``demo`` (the fictional set).
"""
