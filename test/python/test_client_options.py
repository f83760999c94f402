"""init() options: a misspelled, unknown or invalid option is refused before anything starts,
with a message that names it and says what to pass."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

import gradpilot
from gradpilot.client.options import DEFAULT_SPILL_DIR, resolve_options

URL = "http://127.0.0.1:9"  # nothing is contacted: every case fails in validation


def _resolve(**options):
    base = dict(name=None, project=None, config=None, policy=None, token=None, id=None, rank=0, world_size=1,
                resume=None, from_step=None, state=None, batch_size=256, flush_interval=1.0,
                spill_dir=DEFAULT_SPILL_DIR, max_memory_steps=100_000, ack_timeout=10.0, reconnect_delay_max=2.0,
                resume_timeout=30.0, quiet=False)
    url = options.pop("url", URL)
    unknown = {k: options.pop(k) for k in list(options) if k not in base}
    base.update(options)
    return resolve_options(url, base, unknown)


@pytest.mark.parametrize("option, message", [
    ("runId", 'Misspelled option "runId": did you mean "id"?'),
    ("worldSize", 'Misspelled option "worldSize": did you mean "world_size"?'),
    ("flushIntervalMs", 'Misspelled option "flushIntervalMs": did you mean "flush_interval" (in seconds)?'),
    ("flush_interval_ms", 'Misspelled option "flush_interval_ms": did you mean "flush_interval" (in seconds)?'),
    ("maxMemorySteps", 'Misspelled option "maxMemorySteps": did you mean "max_memory_steps"?'),
    ("spil_dir", 'Misspelled option "spil_dir": did you mean "spill_dir"?'),
    ("server", 'Misspelled option "server": did you mean "url"?'),
])
def test_should_name_a_misspelled_option_and_the_right_one(option, message):
    with pytest.raises(gradpilot.GradpilotError) as e:
        gradpilot.init(URL, **{option: 1})
    assert str(e.value) == message
    assert e.value.code == "INVALID_OPTION"


def test_should_refuse_an_unknown_option_listing_the_known_ones():
    with pytest.raises(gradpilot.GradpilotError, match=r'^Unknown option "colour"; the options are url, name, .*quiet$'):
        gradpilot.init(URL, colour="blue")


@pytest.mark.parametrize("options, message", [
    (dict(url="127.0.0.1:7070"), r'Expected the "url" option to start with http:// or https://, got \'127.0.0.1:7070\''),
    (dict(url=None), r'Expected the "url" option to be the server URL, e.g. "http://127.0.0.1:7070"'),
    (dict(rank=2, world_size=2), r'Expected the "rank" option to be below "world_size" \(2\), got 2'),
    (dict(rank=True), r'Expected the "rank" option to be an integer >= 0, got True'),
    (dict(batch_size=0), r'Expected the "batch_size" option to be an integer in \[1, 20000\], got 0'),
    (dict(batch_size=50_000), r'Expected the "batch_size" option to be an integer in \[1, 20000\], got 50000'),
    (dict(flush_interval=0), r'Expected the "flush_interval" option to be a positive number of seconds, got 0'),
    (dict(ack_timeout=float("nan")), r'Expected the "ack_timeout" option to be a positive number of seconds, got nan'),
    (dict(id="no spaces"), r'Expected the "id" option to be a run id \(1-64 letters, digits, "\.", "_" or "-"\)'),
    (dict(id="a", resume="b"), r'The "id" and "resume" options name different runs \("a" and "b"\): pass only "resume"'),
    (dict(from_step=5), r'The "from_step" option needs "resume": pass resume=run_id, from_step=step'),
    (dict(state={"version": 1}), r'The "state" option needs "resume"'),
    (dict(config=["lr", 1]), r'Expected the "config" option to be a dict of hyperparameters'),
    (dict(config={"f": object()}), r'Expected the "config" option to hold only JSON values'),
    (dict(spill_dir=""), r'Expected the "spill_dir" option to be a directory path or None'),
    (dict(name=""), r'Expected the "name" option to be a non-empty string'),
    (dict(quiet="yes"), r'Expected the "quiet" option to be True or False'),
    (dict(url=[]), r'Expected the "url" option to name at least one server, got an empty list'),
    (dict(url=["http://a:1", "ftp://b:2"]), r'Expected the "url" option to start with http:// or https://, got \'ftp://b:2\''),
])
def test_should_refuse_an_invalid_value_naming_the_option(options, message):
    with pytest.raises(gradpilot.GradpilotError, match=message) as e:
        _resolve(**options)
    assert e.value.code == "INVALID_OPTION"


def test_should_refuse_an_invalid_policy_with_the_controllers_message():
    with pytest.raises(gradpilot.GradpilotError, match=r'^Invalid "policy" option: .*"kind"') as e:
        gradpilot.init(URL, policy={"kind": "sometimes"})
    assert e.value.code == "INVALID_OPTION"


def test_should_fill_in_the_defaults_and_keep_the_server_path():
    o = _resolve(url="https://example.org:8443/gradpilot/", name="n")
    assert o.url == "https://example.org:8443/gradpilot"
    assert (o.batch_size, o.flush_interval, o.max_memory_steps, o.ack_timeout) == (256, 1.0, 100_000, 10.0)
    assert o.spill_dir.endswith(f"gradpilot-spill-{os.getuid()}")
    assert o.id and o.name == "n" and o.resume is False
    assert _resolve(resume="r1").id == "r1" and _resolve(resume="r1").resume is True
    assert _resolve(spill_dir=None).spill_dir is None


def test_should_take_several_servers_as_a_list_or_a_comma_separated_string_in_order_without_repeats():
    servers = ["http://a:7070/", " http://b:7070", "http://a:7070"]
    o = _resolve(url=servers)
    assert (o.url, o.urls) == ("http://a:7070", ("http://a:7070", "http://b:7070"))
    assert _resolve(url=",".join(servers)).urls == ("http://a:7070", "http://b:7070")
    assert _resolve(url=URL).urls == (URL.rstrip("/"),)


def test_should_name_the_packages_to_install_when_the_socket_client_is_missing():
    for missing in ("socketio", "websocket"):
        script = f"import sys; sys.modules[{missing!r}] = None\nimport gradpilot\ngradpilot.init({URL!r})"
        done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
        assert done.returncode == 1
        assert (f"gradpilot.client.errors.GradpilotError: gradpilot streams steps over socket.io and needs python-socketio "
                f"with websocket-client (missing: {missing}): `apt install python3-socketio python3-websocket` or "
                '`pip install "python-socketio[client]>=5"`') in done.stderr
