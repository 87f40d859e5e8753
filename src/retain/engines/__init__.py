"""Engines: where the per-batch work runs. ``local`` streams batches on a thread pool."""
