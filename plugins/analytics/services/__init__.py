"""The analytics plugin's decisions, by concern.

``contributions`` (what each event adds to which daily rollup: one pure function), ``folding``
(adding it exactly once under at-least-once delivery), ``periods`` (ranges and buckets),
``reports`` (the partner and marketplace numbers, from rollups only), ``rebuild`` (recompute
the rollups from the stored facts and compare).
"""
