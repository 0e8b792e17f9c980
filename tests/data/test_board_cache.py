"""The start-up leaderboard cache is used only while it still matches the data on disk."""

from __future__ import annotations

from tokenscope.data import board_cache
from tokenscope.data.store import append_run


def test_cache_round_trip_and_invalidation(data_dir):
    assert board_cache.load() is None
    rows = [{"model": "a", "relative_completion_tokens": 1.5}]
    board_cache.save(rows)
    assert board_cache.load() == rows
    append_run({"model": "m", "tokens_completion": 3})  # new user data: stale
    assert board_cache.load() is None


def test_corrupt_cache_is_ignored(data_dir):
    board_cache.save([{"model": "a"}])
    board_cache.cache_file().write_text("{not json")
    assert board_cache.load() is None
