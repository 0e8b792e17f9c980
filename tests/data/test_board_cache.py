"""The start-up leaderboard cache is used only while it still matches the data on disk."""

from __future__ import annotations

from tokenscope.data import board_cache
from tokenscope.data.store import append_run


def test_cache_round_trip_and_invalidation(data_dir):
    rows = [{"model": "a", "relative_completion_tokens": 1.5}]
    board_cache.save(rows)
    assert board_cache.load() == rows
    append_run({"model": "m", "tokens_completion": 3})  # new user data: stale
    assert board_cache.load() is None


def test_a_pulled_source_makes_the_cached_board_stale(data_dir, tmp_path, monkeypatch):
    from tokenscope import paths

    monkeypatch.setenv("TOKENSCOPE_CACHE_DIR", str(tmp_path / "cache"))  # not the shared one

    rows = [{"model": "a", "relative_completion_tokens": 1.5}]
    board_cache.save(rows)
    assert board_cache.load() == rows
    state = paths.cache_dir() / "sources" / "team" / "state.json"
    state.parent.mkdir(parents=True)
    state.write_text('{"version": 1, "parts": {"p": {}}}')  # what a pull leaves
    assert board_cache.load() is None  # neither the old cache nor the bundled-only board
    board_cache.save(rows)
    assert board_cache.load() == rows  # saved after the pull: painted at the next launch


def test_corrupt_cache_is_ignored(data_dir):
    board_cache.save([{"model": "a"}])
    board_cache.cache_file().write_text("{not json")
    rows = board_cache.load()  # the shipped board instead: the user has no results yet
    assert rows is not None and rows[0]["model"] != "a"
    append_run({"model": "m", "tokens_completion": 3})
    board_cache.cache_file().write_text("{not json")
    assert board_cache.load() is None


def test_first_launch_paints_the_shipped_board(data_dir):
    # No cache yet and no results of the user's own: the board shipped with the study.
    rows = board_cache.load()
    assert rows is not None and len(rows) == 38
    assert {"gpt-5", "claude-opus-4.5", "Hermes-4-405B"} <= {r["model"] for r in rows}
    # Once the user has results of their own, it no longer describes their data.
    append_run({"model": "m", "tokens_completion": 3})
    assert board_cache.load() is None


def test_shipped_board_is_the_bundled_leaderboard(data_dir):
    """bundled_results/leaderboard.json is what the app computes for the bundled study.

    If a change to the metrics moves a figure, this fails: rebuild the board with
    ``python scripts/build_bundled_results.py --board-only``.
    """
    import json
    import math

    from tokenscope.data.loader import load_dataset

    shipped = json.loads(board_cache.shipped_file().read_text())["rows"]
    computed = board_cache.default_rows(load_dataset("all"))
    assert [r["model"] for r in shipped] == [r["model"] for r in computed]
    for mine, theirs in zip(shipped, computed, strict=False):
        assert mine.keys() == theirs.keys()
        for key, value in theirs.items():
            if isinstance(value, float):
                assert math.isclose(mine[key], value, rel_tol=1e-10), (theirs["model"], key)
            else:
                assert mine[key] == value, (theirs["model"], key)


def test_the_august_edition_never_paints_the_latest_board(data_dir):
    # The shipped board is the default edition's; August has only its own cache.
    assert board_cache.load("2025-08") is None
    board_cache.save([{"model": "august"}], "2025-08")
    assert board_cache.load("2025-08") == [{"model": "august"}]
    assert board_cache.load() != [{"model": "august"}]


def test_shipped_board_is_ignored_when_the_bundle_changed(data_dir, tmp_path, monkeypatch):
    import shutil

    bundle = tmp_path / "bundle"
    shutil.copytree(board_cache.shipped_file().parent, bundle)
    monkeypatch.setenv("TOKENSCOPE_BUNDLED_DIR", str(bundle))
    assert board_cache.load() is not None
    with open(bundle / "runs_update.parquet", "ab") as fh:
        fh.write(b"\0")  # the update file counts as much as the August base
    assert board_cache.load() is None
