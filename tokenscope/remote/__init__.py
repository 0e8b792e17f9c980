"""Team storage: runs shared through object storage, read lazily by Polars. No Textual here.

- ``sources``: the ``[[sources]]`` tables of the config (name, uri, storage_options).
- ``layout``: where a part lives, ``<prefix>/model=<m>/date=<d>/part-<uuid>.parquet``.
- ``stores``: the object store behind a uri (obstore), and the options Polars gets.
- ``catalog``: a source's parts, listed and checked once each, and its local cache.
- ``read``: a source's runs as one lazy scan, with its status for the app's panel.
- ``push`` and ``pull``: one headless session each, with progress events.
"""
