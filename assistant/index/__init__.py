"""The index stage: embedding, the on-disk builds and their Chroma collections, ingest, and loading.

``ingest`` writes a new build atomically (read -> split -> embed, reusing unchanged vectors ->
store); ``load`` opens the current build for answering (passages, texts, vectors, BM25).
"""
