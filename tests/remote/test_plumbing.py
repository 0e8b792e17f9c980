"""Config, options and credentials of every kind of source; gs:// and hf:// without the network.

gs:// and hf:// cannot be reached from the test machine: these tests check what is
handed to the clients (options, the credential chain, the Hub's URLs and token), that a
failure is one line, and that no credential reaches a message.
"""

from __future__ import annotations

import json

import httpx
import pytest

from remote.helpers import write_config
from tokenscope.cli import main
from tokenscope.config import ConfigError, load_settings
from tokenscope.remote.sources import Source, SourceError, redact_options
from tokenscope.remote.stores import HfSource, ObjectStoreSource, polars_options, split_options

HF_SECRET = "hf_abcdefghijklmnopqrstuvwxyz012345"


def _config(body: str):
    write_config(body)
    return load_settings()


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            '[[sources]]\nname = "t"\nuri = "s3://b/p"\n'
            'storage_options = { aws_secret_access_key = "SEKRIT-VALUE" }',
            "sources[0].storage_options.aws_secret_access_key is a credential: never in the "
            "config file; set AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY",
        ),
        (
            '[[sources]]\nname = "t"\nuri = "hf://datasets/o/n"\nstorage_options = { token = "x" }',
            "is a credential: never in the config file; set HF_TOKEN in the environment",
        ),
        ('[[sources]]\nname = "user"\nuri = "s3://b/p"', "'user' is taken by a built-in filter"),
        ('[[sources]]\nname = "t"\nuri = "ftp://host/x"', "must start with s3://, gs://, az://"),
        ('[[sources]]\nname = "t"\nuri = "s3://k:pw@b/p"', "holds a password"),
        ('[[sources]]\nname = "a/b"\nuri = "s3://b/p"', "sources[0].name must be 1-40"),
        ('[[sources]]\nname = "t"\nuri = "s3://b-\\u001b[31m/p"', "holds a control character"),
        ('[[sources]]\nname = "t"\nuri = "s3://[b/p"', "sources[0].uri is not a valid URI"),
    ],
)
def test_bad_sources_are_one_line_naming_the_key(body, message):
    with pytest.raises(ConfigError) as caught:
        _config(body)
    text = str(caught.value)
    assert message in text and "\n" not in text
    assert "SEKRIT" not in text  # a credential's value is never echoed


def test_an_unknown_source_filter_names_the_choices(capsys):
    _config('[[sources]]\nname = "team"\nuri = "s3://b/p"')
    assert main(["leaderboard", "--source", "nope"]) == 2
    err = capsys.readouterr().err
    assert err == "tokenscope: error: unknown source 'nope' (choose all, bundled, user, team)\n"


def test_polars_gets_the_options_as_written_and_obstore_the_same_split():
    options = {
        "aws_endpoint_url": "http://127.0.0.1:9000",
        "aws_allow_http": "true",
        "aws_region": "eu-west-1",
        "max_retries": "3",
    }
    source = Source("t", "s3://bucket/prefix", options)
    assert polars_options(source) == options
    config, client = split_options(options)
    assert config == {"aws_endpoint_url": "http://127.0.0.1:9000", "aws_region": "eu-west-1"}
    assert client["allow_http"] == "true" and client["connect_timeout"] == "5s"


def _service_account(tmp_path) -> str:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    path = tmp_path / "service-account.json"
    account = {
        "type": "service_account",
        "project_id": "p",
        "private_key_id": "k1",
        "private_key": pem,
        "client_email": "reader@p.iam.gserviceaccount.com",
    }
    path.write_text(json.dumps(account))
    return str(path)


def test_gs_takes_its_options_and_the_credential_file_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", _service_account(tmp_path))
    options = {"google_base_url": "http://127.0.0.1:1", "google_allow_http": "true"}
    store = ObjectStoreSource(Source("g", "gs://team-bucket/runs", options)).store
    assert type(store).__name__ == "GCSStore"  # built offline: nothing is contacted yet
    assert store.config["bucket"] == "team-bucket"
    assert str(store.prefix) == "runs"
    assert store.config["base_url"] == "http://127.0.0.1:1"
    assert store.client_options["allow_http"] == "true"

    # A broken credential file is one line, and none of its contents.
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"type": "service_account", "private_key": "SECRETKEYTEXT"}))
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(bad))
    with pytest.raises(SourceError) as caught:
        ObjectStoreSource(Source("g", "gs://team-bucket/runs")).list()
    assert str(caught.value).startswith("source 'g': connecting failed (")
    assert "SECRETKEYTEXT" not in str(caught.value) and "\n" not in str(caught.value)


def test_hf_lists_and_fetches_through_the_hub_api_with_the_token_from_the_environment(
    monkeypatch,
):
    monkeypatch.setenv("HF_TOKEN", HF_SECRET)
    seen: list[httpx.Request] = []

    def hub(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if "/api/datasets/" in request.url.path:
            return httpx.Response(
                200,
                json=[
                    {"type": "directory", "path": "runs/model=m"},
                    {"type": "file", "path": "runs/model=m/date=none/part-a.parquet", "size": 9},
                ],
            )
        if request.url.path.endswith("part-a.parquet"):
            return httpx.Response(200, content=b"PAR1data!")
        return httpx.Response(401, text=f"bad token {HF_SECRET}")

    source = Source("hub", "hf://datasets/team/evals@v2/runs")
    store = HfSource(source, transport=httpx.MockTransport(hub))
    listing = store.list()
    assert [(o.key, o.size) for o in listing] == [("model=m/date=none/part-a.parquet", 9)]
    assert store.get("model=m/date=none/part-a.parquet") == b"PAR1data!"
    assert str(seen[0].url) == (
        "https://huggingface.co/api/datasets/team/evals/tree/v2/runs?recursive=true"
    )
    assert str(seen[1].url) == (
        "https://huggingface.co/datasets/team/evals/resolve/v2/runs/model%3Dm/date%3Dnone/part-a.parquet"
    )
    assert {r.headers["authorization"] for r in seen} == {f"Bearer {HF_SECRET}"}
    assert (
        store.uri("model=m/part-a.parquet")
        == "hf://datasets/team/evals@v2/runs/model=m/part-a.parquet"
    )
    assert polars_options(source) is None  # Polars reads HF_TOKEN itself

    # A server echoing the token back: the message shows *** instead.
    with pytest.raises(SourceError) as caught:
        store.get("missing.parquet")
    assert HF_SECRET not in str(caught.value) and "***" in str(caught.value)
    with pytest.raises(SourceError, match="pushing to hf:// is not supported"):
        store.put_new("model=m/x.parquet", b"")


def test_secret_looking_option_values_are_redacted_in_messages():
    shown = redact_options({"aws_endpoint_url": "http://x", "google_bearer_token_x": "tok"})
    assert shown == {"aws_endpoint_url": "http://x", "google_bearer_token_x": "***"}


@pytest.mark.parametrize(
    ("uri", "variables"),
    [("s3://b/p", "AWS_ACCESS_KEY_ID"), ("gs://b/p", "GOOGLE_APPLICATION_CREDENTIALS")],
)
def test_missing_credentials_name_the_variables_not_the_metadata_address(uri, variables):
    """Off the cloud, a client with no credentials fails on the instance-metadata address;
    the user is told which variables to set instead of that paragraph."""
    from tokenscope.remote.stores import _fail

    source = Source("t", uri, {})
    raw = RuntimeError(
        "Generic S3 error: Error performing PUT http://169.254.169.254/latest/api/token in "
        "1.2ms - Server returned non-2xx status code: 403 Forbidden"
    )
    message = str(_fail(source, "listing", raw))
    assert message.startswith("source 't': no credentials found in the environment (set ")
    assert variables in message and "169.254" not in message
