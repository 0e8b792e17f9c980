"""An ask on its own thread (tokenscope.ask.live): frames gather what arrived, one is out
at a time until it is painted, nothing is lost, and a cancelled ask stores its runs."""

from __future__ import annotations

import itertools
import json
import queue
import threading

from probe.transcript_server import Reply, chunked

from tokenscope.ask.live import LiveAsk, LiveFrame
from tokenscope.ask.models import ModelChoice
from tokenscope.ask.session import AskJob
from tokenscope.config import Settings
from tokenscope.data import store
from tokenscope.probe.endpoints import ad_hoc

HEAD = '{"id":"c","object":"chat.completion.chunk","model":"m","choices":[{"index":0,'


def sse(tokens: int, reasoning: int, finish: bool = True) -> bytes:
    """``tokens`` one-word deltas, the first ``reasoning`` of them reasoning."""
    out = []
    for i in range(tokens):
        field = "reasoning_content" if i < reasoning else "content"
        word = f" w{i}" + ("\n\n" if i % 50 == 49 else "")
        delta = json.dumps({field: word})
        out.append(f'data: {HEAD}"delta":{delta},"finish_reason":null}}]}}\n\n')
    if finish:
        usage = {"prompt_tokens": 3, "completion_tokens": tokens}
        out.append(f'data: {HEAD}"delta":{{}},"finish_reason":"stop"}}]}}\n\n')
        out.append(f'data: {HEAD[:-28]}"choices":[],"usage":{json.dumps(usage)}}}\n\n')
        out.append("data: [DONE]\n\n")
    return "".join(out).encode()


def choice(url: str, label: str = "fast") -> ModelChoice:
    return ModelChoice(f"x:{label}", label, "configured", "m", ad_hoc(url))


def gather(frames: list[LiveFrame], key: str) -> tuple[str, str]:
    reasoning = "".join("".join(f.panes[key].reasoning) for f in frames if key in f.panes)
    answer = "".join("".join(f.panes[key].answer) for f in frames if key in f.panes)
    return reasoning, answer


def test_a_painter_that_falls_behind_gets_one_frame_with_everything(transcripts) -> None:
    body = sse(2000, 800)
    url = transcripts.add("live-fast", Reply(body, chunks=chunked(body, [700])))
    inbox: queue.Queue[LiveFrame] = queue.Queue()
    live = LiveAsk(AskJob("q", (choice(url),), save=False), Settings(), inbox.put)
    live.start()
    first = inbox.get(timeout=30)
    # The painter holds the first frame while the whole stream arrives and is stored:
    # nothing else is sent meanwhile, however many deltas come.
    assert live.ended.wait(30)
    assert inbox.empty()
    live.painted()
    frames = [first, inbox.get(timeout=30)]
    last = frames[-1]
    assert last.done and inbox.empty()
    # Two frames for every event the session folded (a read's tokens come as one delta:
    # the body is over 200 kB, so at least four reads).
    assert last.events > 2 * len(frames)
    # Nothing was lost on the way: the frames add up to the stored run.
    result = last.outcome.results[0]
    assert result.status == "ok"
    assert gather(frames, "fast") == (result.reasoning, result.answer)
    assert last.panes["fast"].status == "ok" and last.panes["fast"].counts.completion == 2000
    live.close()
    assert not live.alive


def test_frames_follow_the_painter_and_add_up_to_the_run(transcripts) -> None:
    body = sse(600, 300)
    url = transcripts.add("live-paced", Reply(body, chunks=chunked(body, [900]), delay=0.002))
    inbox: queue.Queue[LiveFrame] = queue.Queue()
    live = LiveAsk(AskJob("q", (choice(url),), save=False), Settings(), inbox.put)
    live.start()
    frames: list[LiveFrame] = []
    while not frames or not frames[-1].done:
        frames.append(inbox.get(timeout=30))
        assert inbox.empty()  # one frame out at a time
        assert all(news.key == key for key, news in frames[-1].panes.items())
        live.painted()
    result = frames[-1].outcome.results[0]
    assert gather(frames, "fast") == (result.reasoning, result.answer)
    assert len(frames) < 600  # gathered, not one per delta (600 of them)


def test_cancel_stops_every_model_and_stores_what_arrived(transcripts) -> None:
    body = sse(400, 300, finish=False)
    url = transcripts.add("live-hang", Reply(body, chunks=chunked(body, [500]), hang=True))
    inbox: queue.Queue[LiveFrame] = queue.Queue()
    live = LiveAsk(AskJob("q", (choice(url),)), Settings(), inbox.put)
    live.start()
    reasoning = ""
    while len(reasoning) < 300:  # some text is on screen
        frame = inbox.get(timeout=30)
        reasoning += gather([frame], "fast")[0]
        live.painted()
    live.cancel()
    frames = []
    while not frames or not frames[-1].done:
        frames.append(inbox.get(timeout=30))
        live.painted()
    assert [f.panes["fast"] for f in frames if "fast" in f.panes][-1].status == "cancelled"
    stored = frames[-1].outcome.stored["fast"]
    assert stored.run_id is not None and stored.record["status"] == "cancelled"
    assert stored.record["reasoning"].startswith(reasoning)
    assert store.store_path().exists()
    live.close()


def test_closing_mid_stream_stores_the_partial_run_before_it_returns(transcripts) -> None:
    body = sse(200, 150, finish=False)
    url = transcripts.add("live-close", Reply(body, hang=True))
    inbox: queue.Queue[LiveFrame] = queue.Queue()
    live = LiveAsk(AskJob("q", (choice(url),)), Settings(), inbox.put)
    live.start()
    while True:  # a frame with text: the stream is under way
        frame = inbox.get(timeout=30)
        live.painted()
        if gather([frame], "fast")[0]:
            break
    live.close()  # the painter goes away without waiting for frames
    assert not live.alive and live.ended.is_set()
    record = live.session.stored["fast"].record
    assert record["status"] == "cancelled" and record["reasoning"]


def test_meters_are_repainted_every_other_frame_however_slow_the_painter(transcripts) -> None:
    """While text flows, a meter frame is every ``meter_every``-th frame sent, not every
    other tick of the clock: a painter slower than a tick got a meter repaint in about
    every frame (four panes' worth of it), or in none."""
    body = sse(1500, 700)
    url = transcripts.add("live-meters", Reply(body, chunks=chunked(body, [300]), delay=0.001))
    inbox: queue.Queue[LiveFrame] = queue.Queue()
    job = AskJob("q", (choice(url),), save=False)
    live = LiveAsk(job, Settings(), inbox.put, fps=1000.0, meter_every=2)
    # The painter holds each frame until more text has arrived (a tick or more later),
    # so every tick after it has text to send.
    arrived, wanted = threading.Event(), [0]
    push = live.board.push

    def counted(event) -> None:  # type: ignore[no-untyped-def]
        push(event)
        if live.board.events >= wanted[0]:
            arrived.set()

    live.board.push = counted  # type: ignore[method-assign]
    live.start()
    frames: list[LiveFrame] = []
    while not frames or not frames[-1].done:
        frames.append(inbox.get(timeout=30))
        arrived.clear()
        wanted[0] = frames[-1].events + 4
        if not frames[-1].urgent:
            arrived.wait(1.0)  # bounded: the stream's end brings no more text
        live.painted()
    plain = [f.meters for f in frames if not (f.urgent or f.done)]
    assert len(plain) > 6 and any(plain)
    # Never two meter frames in a row (urgent and last frames carry the meters anyway).
    assert not any(a and b for a, b in itertools.pairwise(plain)), plain
