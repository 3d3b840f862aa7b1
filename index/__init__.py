"""Articles in: load, clean, chunk, embed and store them, once.

Read the stages in the order data flows: `loaders` (files to `Document`s), `clean`
(boilerplate out, metadata found), `chunk` (sentence-aware `Chunk`s with offsets),
`embed` (the encoder), `store` (Chroma plus the keyword index), and `ingest`, which runs them.
"""
