"""Scaling out: ingest on a Ray cluster into a Chroma server (the optional `[scale]` extra).

`cluster` connects to Ray (or starts a private cluster on this machine); `ray_ingest` is the
ingest itself, built from the same pieces as the local one (`assistant.indexing`). Nothing
here is imported unless `--ray` is used, so the base install needs no Ray.
"""
