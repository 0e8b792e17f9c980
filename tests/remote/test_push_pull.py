"""Push and pull against a real S3-compatible server on loopback (moto)."""

from __future__ import annotations

import os
import signal

import polars as pl
import pytest

from remote.helpers import add_runs, cli, write_config
from tokenscope.cli import main
from tokenscope.config import load_settings
from tokenscope.data.loader import load_dataset
from tokenscope.remote.catalog import SourceCache
from tokenscope.remote.pull import PullSession
from tokenscope.remote.push import DONE, UPLOADED, PushEvent, PushSession
from tokenscope.remote.stores import open_store


def _parts(bucket) -> list[str]:
    return [k for k in bucket.keys() if k.endswith(".parquet")]


def test_push_then_pull_round_trip_keeps_every_run_and_its_text(bucket, data_dir, capsys):
    write_config(bucket.source_toml())
    ids = add_runs(data_dir, "team/model", 4, days=2, answer="línea\tuno ✓")
    events: list[PushEvent] = []
    source = load_settings().sources[0]
    session = PushSession(source, on_event=events.append)
    result = session.apply(session.plan())

    assert result.runs == 4 and result.parts == 2  # one part per (model, date)
    assert [e.stage for e in events][-1] == DONE
    assert [e.runs_done for e in events if e.stage == UPLOADED] == [2, 4]
    # Hive partitions: the model escaped into one folder level, the date beside it.
    assert all(k.startswith("runs/model=team%2Fmodel/date=2026-11-0") for k in _parts(bucket))

    pulled = PullSession(source).run()
    assert (pulled.fetched, pulled.kept) == (2, 0)
    assert PullSession(source).run().fetched == 0  # incremental: nothing new, nothing fetched
    assert SourceCache(source).last_sync is not None

    ds = load_dataset("team", sources=load_settings().sources)
    runs = ds.runs_lazy.filter(pl.col("source") == "team").collect()
    assert sorted(runs["run_id"]) == sorted(ids)
    assert set(runs["answer"]) == {"línea\tuno ✓"}
    assert ds.sources[0].state == "live" and ds.sources[0].runs == 4

    assert main(["leaderboard", "--source", "team", "--format", "csv"]) == 0
    out = capsys.readouterr().out
    assert "team/model,,,team,4," in out


def test_pushing_twice_adds_nothing(bucket, data_dir, capsys):
    write_config(bucket.source_toml())
    add_runs(data_dir, "m1", 3)
    assert main(["push"]) == 0
    first = _parts(bucket)
    assert "pushed 3 runs in 1 part" in capsys.readouterr().out
    assert main(["push", "--to", "team"]) == 0
    assert "nothing to push; 'team' holds all 3" in capsys.readouterr().out
    assert _parts(bucket) == first

    add_runs(data_dir, "m1", 2, first=3)  # two new runs: only they go
    assert main(["push", "--model", "m1", "--since", "2026-11-01"]) == 0
    assert "pushed 2 runs in 1 part to 'team' (3 already there)" in capsys.readouterr().out
    assert len(_parts(bucket)) == 2


def test_two_people_push_at_once_and_a_third_reads_both(bucket, data_dir, tmp_path, capsys):
    write_config(bucket.source_toml())
    alice, bob = tmp_path / "alice", tmp_path / "bob"
    add_runs(alice, "alice-model", 5, days=3)
    add_runs(bob, "bob-model", 5, days=3)
    pushes = [cli("push", data_dir=alice), cli("push", data_dir=bob)]
    outs = [p.communicate() for p in pushes]
    assert [p.returncode for p in pushes] == [0, 0], outs
    assert len(_parts(bucket)) == 6

    # A third person, with no runs of their own, reads both from the bucket.
    assert main(["leaderboard", "--source", "all", "--format", "csv"]) == 0
    out = capsys.readouterr().out
    assert "alice-model,,,team,5," in out and "bob-model,,,team,5," in out


@pytest.mark.slow  # a push in a process of its own, killed, then another
def test_a_push_killed_mid_upload_leaves_no_partial_part_and_the_next_completes(
    bucket, s3_server, data_dir, capsys
):
    write_config(bucket.source_toml())
    add_runs(data_dir, "m", 1, answer="small")
    # The second part is far larger than the loopback socket buffers: while the server
    # is paused it cannot all be sent, so the kill lands mid-body, deterministically.
    add_runs(data_dir, "m", 1, first=1, days=2, answer=os.urandom(12_000_000).hex())
    push = cli("push", data_dir=data_dir)
    assert push.stderr is not None
    for line in push.stderr:
        if "writing part 2/2" in line:
            break
    os.kill(s3_server.process.pid, signal.SIGSTOP)
    try:
        push.kill()
        push.wait()
    finally:
        os.kill(s3_server.process.pid, signal.SIGCONT)

    visible = _parts(bucket)
    assert len(visible) == 1  # part 1 whole; nothing of part 2
    part = open_store(load_settings().sources[0]).get(visible[0].removeprefix("runs/"))
    assert pl.read_parquet(part)["run_id"].to_list() == ["m-0"]
    assert main(["leaderboard", "--source", "team", "--format", "csv"]) == 0
    assert "m,,,team,1," in capsys.readouterr().out

    assert main(["push"]) == 0
    assert "pushed 1 run in 1 part to 'team' (1 already there)" in capsys.readouterr().out
    assert main(["leaderboard", "--source", "team", "--format", "csv"]) == 0
    assert "m,,,team,2," in capsys.readouterr().out
