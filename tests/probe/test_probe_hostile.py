"""Hostile servers: control codes in error bodies, streams that never end, credentials in URLs."""

from __future__ import annotations

import base64
import json
from dataclasses import replace

import pytest

from tokenscope.cli import main
from tokenscope.data import store
from tokenscope.probe.endpoints import Endpoint, ad_hoc

from .helpers import FAST, HOSTILE, OSC52, assert_printable, run_probe
from .test_probe_faults import GOOD, chunk
from .transcript_server import Reply


def stored() -> list[dict]:
    path = store.store_path()
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


# -- error bodies are data ---------------------------------------------------------


def error_reply(status: int, said: str, as_json: bool) -> Reply:
    body = json.dumps({"error": {"message": said}}) if as_json else said
    return Reply(
        body.encode(),
        status,
        "application/json" if as_json else "text/plain",
        headers={"Retry-After": "0"},  # a 429 is retried at once, then given up
    )


@pytest.mark.parametrize("status", [500, 429])
@pytest.mark.parametrize("as_json", [True, False], ids=["json", "text"])
def test_ask_prints_an_error_body_as_data_never_as_terminal_codes(
    transcripts, capsys, status, as_json
):
    said = "overloaded " + " ".join(HOSTILE.values())
    url = transcripts.add(f"ask-evil-{status}-{as_json}", error_reply(status, said, as_json))
    code = main(["ask", "--base-url", url, "--model", "m", "What is 2 + 2?"])
    out, err = capsys.readouterr()
    assert code == 1
    assert_printable(out + err)
    assert "overloaded \\x1b]52;c;" in err  # the body shows, escaped
    error = stored()[0]["error"]
    assert_printable(error) and "\\x1b]52" in error
    # The JSON output keeps the escaped line: the same text the app shows.
    capsys.readouterr()
    main(["ask", "--base-url", url, "--model", "m", "--no-save", "--format", "json", "q"])
    row = json.loads(capsys.readouterr().out)[0]
    assert OSC52 not in row["error"] and "\\x1b]52" in row["error"]


async def test_an_error_inside_the_stream_and_a_malformed_chunk_are_escaped(transcripts):
    bad = b"data: {" + OSC52.encode() + b"\n\n"
    inside = b'data: {"error": {"message": "' + json.dumps(OSC52)[1:-1].encode() + b'"}}\n\n'
    url = transcripts.add("evil-midstream", Reply(chunk("Hi") + bad + inside))
    events, result = await run_probe(url)
    assert result.status == "failed" and "\\x1b]52" in result.error
    assert_printable(result.error)
    for event in events:
        if hasattr(event, "message"):
            assert_printable(event.message)


# -- a server that never stops -----------------------------------------------------


async def test_a_server_ignoring_max_tokens_is_cut_and_keeps_what_arrived(transcripts):
    url = transcripts.add("runaway", Reply(chunks=[chunk("Hi")], repeat=chunk(" tok")))
    _events, result = await run_probe(url, max_tokens=100)
    assert result.status == "failed" and result.finish_reason == "cut"
    assert "ignored max_tokens 100 and kept streaming" in result.error
    assert result.answer.startswith("Hi tok tok")
    # Cut at a clear margin above the cap (1.5 x 100 + 64), not long after it.
    assert 150 < result.tokens_completion <= 215
    assert result.answer.count(" tok") == result.tokens_completion - 1


async def test_a_stream_past_max_text_mb_is_cut_without_a_max_tokens(transcripts):
    piece = chunk("x" * 1000)
    url = transcripts.add("runaway-text", Reply(repeat=piece))
    settings = replace(FAST, max_text_mb=0.05)
    _events, result = await run_probe(url, settings=settings)
    assert result.status == "failed" and result.finish_reason == "cut"
    assert "more than 0.05 MB of text (max_text_mb)" in result.error
    assert 50_000 < len(result.answer) <= 51_000


async def test_one_event_larger_than_the_text_cap_fails_before_it_is_all_read(transcripts):
    huge = chunk("y" * 3_000_000)
    url = transcripts.add("runaway-event", Reply(huge, chunks=[huge[:2_500_000]], hang=True))
    settings = replace(FAST, max_text_mb=1.0)
    _events, result = await run_probe(url, settings=settings)
    assert result.status == "failed" and "exceeded" in result.error


# -- credentials in a base URL ---------------------------------------------------------

USER, PASSWORD = "alice", "s3cr3t-pass-word"
BASIC = base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()


def with_credentials(url: str) -> str:
    return url.replace("http://", f"http://{USER}:{PASSWORD}@")


def test_url_credentials_travel_as_a_header_and_never_reach_a_message(transcripts, capsys):
    echo = f"bad credentials in 'Authorization: Basic {BASIC}' ({USER}:{PASSWORD})"
    url = transcripts.add("creds", Reply(json.dumps({"error": echo}).encode(), 401))
    code = main(["ask", "--base-url", with_credentials(url), "--model", "m", "q"])
    out, err = capsys.readouterr()
    assert code == 1 and "401" in err
    text = out + err + store.store_path().read_text()
    assert PASSWORD not in text and BASIC not in text
    (sent,) = transcripts.requests_for("creds")
    assert sent.headers["authorization"] == f"Basic {BASIC}"
    assert stored()[0]["endpoint"] == url.split("/")[2]


async def test_url_credentials_authorise_a_stream(transcripts):
    url = transcripts.add("creds-ok", Reply(GOOD))
    _events, result = await run_probe(with_credentials(url))
    assert result.status == "ok" and result.answer == "Hello world"
    assert transcripts.requests_for("creds-ok")[0].headers["authorization"] == f"Basic {BASIC}"


@pytest.mark.parametrize(
    "base_url",
    [
        f"http://{USER}:{PASSWORD}@:8080/v1",  # no host at all
        f"http://{USER}:{PASSWORD}@example.test:99999/v1",  # a port out of range
        f"http://{USER}:{PASSWORD}@[::1/v1",  # a broken IPv6 literal
        f"http://{PASSWORD}@example.test/v1",  # the key as the user name
    ],
)
def test_an_endpoint_host_never_holds_credentials(base_url):
    endpoint = Endpoint("mine", base_url)
    assert PASSWORD not in endpoint.host and PASSWORD not in endpoint.public_url
    assert endpoint.host


def test_a_bad_url_is_refused_without_its_credentials(capsys):
    code = main(["ask", "--base-url", f"ftp://{USER}:{PASSWORD}@host/v1", "--model", "m", "q"])
    assert code == 2 and PASSWORD not in capsys.readouterr().err
    assert ad_hoc(f"https://{USER}:{PASSWORD}@api.example.test/v1").name == "api.example.test"
