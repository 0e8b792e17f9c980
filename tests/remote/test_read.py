"""Reading sources: unreachable ones, foreign and corrupt parts, hostile names."""

from __future__ import annotations

import io
import uuid

import polars as pl

from remote.helpers import add_runs, make_bucket, start_moto, write_config
from tokenscope.cli import main
from tokenscope.config import load_settings
from tokenscope.data.loader import load_dataset
from tokenscope.remote.pull import PullSession
from tokenscope.remote.push import PushSession


def _push(source) -> None:
    session = PushSession(source)
    session.apply(session.plan())


def test_a_source_that_disappears_shows_its_pulled_copy_marked_stale(data_dir, capsys):
    server = start_moto()  # its own server: this test takes it down
    try:
        pulled, never = make_bucket(server), make_bucket(server)
        write_config(pulled.source_toml("team"), never.source_toml("other"))
        add_runs(data_dir, "shared-model", 3)
        team, other = load_settings().sources
        _push(team)
        PullSession(team).run()
        live = load_dataset("all", sources=(team, other))
        assert [s.state for s in live.sources] == ["live", "live"]
        capsys.readouterr()
        assert main(["sources"]) == 0
        lines = capsys.readouterr().out.splitlines()
        assert lines[0].startswith("team  live  s3://") and "3 runs in 1 part" in lines[0]
        assert "pulled just now" in lines[0] and "pulled never" in lines[1]
    finally:
        server.stop()

    assert main(["sources"]) == 1  # scripts can tell a stale source from a live one
    captured = capsys.readouterr()
    assert captured.out.splitlines()[0].startswith("team  stale  ")
    assert captured.out.splitlines()[1].startswith("other  unreachable  ")
    assert "tokenscope: source 'team' cannot be reached" in captured.err
    assert "(stale)" in captured.err

    ds = load_dataset("all", sources=(team, other))
    states = {s.name: s for s in ds.sources}
    assert states["team"].state == "stale" and states["team"].stale
    assert states["team"].runs == 3 and states["team"].last_sync is not None
    assert states["other"].state == "unreachable"
    # One line each, and everything else still loads.
    team_line, other_line = ds.warnings[-2:]
    assert team_line.startswith("source 'team' cannot be reached") and "(stale)" in team_line
    assert other_line.startswith("source 'other' cannot be reached")
    assert "\n" not in team_line + other_line
    sources = set(ds.runs_lazy.select("source").unique().collect()["source"])
    assert {"bundled", "user", "team"} <= sources

    assert main(["leaderboard", "--source", "team", "--format", "csv"]) == 0
    captured = capsys.readouterr()
    assert "shared-model,,,team,3," in captured.out
    assert captured.err.count("cannot be reached") == 2
    assert "Traceback" not in captured.err


def _part(frame: pl.DataFrame) -> bytes:
    data = io.BytesIO()
    frame.write_parquet(data)
    return data.getvalue()


def test_foreign_corrupt_and_hostile_parts_are_skipped_by_name(bucket, data_dir, capsys):
    write_config(bucket.source_toml())
    add_runs(data_dir, "good-model", 2)
    _push(load_settings().sources[0])
    name = f"part-{uuid.uuid4().hex}.parquet"
    bucket.put(f"runs/model=x/date=2026-11-01/{name}", b"PAR1 not really parquet PAR1")
    bucket.put("runs/other/other-tool.parquet", _part(pl.DataFrame({"loss": [0.5]})))
    bucket.put("runs/model=y/typed.parquet", _part(pl.DataFrame({"model": ["y"], "score": ["A"]})))
    bucket.put(f"runs/model=\x1b]0;pwned\x07/{name}", b"garbage")

    assert main(["leaderboard", "--source", "team", "--format", "csv"]) == 0
    captured = capsys.readouterr()
    assert "good-model,,,team,2," in captured.out  # the rest loads
    err = captured.err
    assert f"skipped model=x/date=2026-11-01/{name}: not a readable Parquet part" in err
    assert "skipped other/other-tool.parquet: no 'model' column" in err
    assert "skipped model=y/typed.parquet: column 'score' is String, not Float64" in err
    # The hostile name is shown literally: its control characters are inert escapes.
    assert f"skipped model=\\x1b]0;pwned\\x07/{name}: a name the object store" in err
    assert "\x1b" not in err and "\x07" not in err

    # A pull skips the same parts by name and keeps the good one.
    result = PullSession(load_settings().sources[0]).run()
    assert result.fetched == 1 and len(result.skipped) == 4
