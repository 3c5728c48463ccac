"""`racesdsl serve` end to end: a real server process on 127.0.0.1, a real HTTP client.

Scores over HTTP must equal in-process `env.verify` exactly; every malformed
payload is a 4xx with a JSON reason; a hanging python verifier costs its own
request a 504 while a concurrent request is served; SIGTERM and SIGINT stop
the server gracefully (the in-flight request is answered, the process exits
0 and leaves no worker behind). See docs/integrations.md, "Reward server"."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import racesdsl
from racesdsl.integrations import export

httpx = pytest.importorskip("httpx", reason="the reward server's tests need the `serve` extra")
pytest.importorskip("uvicorn", reason="the reward server's tests need the `serve` extra")
from racesdsl.serve.launch import ServerProcess  # noqa: E402  (after the skip: it needs nothing, the server does)

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "serve"
DEMO, HANG = FIXTURES / "serve_demo.races", FIXTURES / "hang.races"
TIMEOUT = 2.0  # the server's per-request limit in these tests
MAX_BODY = 200_000


@pytest.fixture(scope="module")
def program() -> racesdsl.loader.Program:
    return racesdsl.load([DEMO, HANG])


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    with ServerProcess([DEMO, HANG], "--workers", "2", "--timeout", str(TIMEOUT), "--max-body",
                       str(MAX_BODY)) as url:
        yield url


@pytest.fixture(scope="module")
def client(server: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server, timeout=30) as c:
        yield c


def expected(program: Any, env: str, seed: int, params: dict[str, Any], completion: str) -> dict[str, Any]:
    inst = program[env].sample(seed, **params)
    return program[env].verify(inst, completion).to_dict()


def completions(program: Any, env: str, seed: int, params: dict[str, Any]) -> list[str]:
    """The reference answer, a near miss, garbage: full, partial and zero scores."""
    inst = program[env].sample(seed, **params)
    answer = inst.answer
    if isinstance(answer, int):  # `double`: one off scores 0.5
        near = answer + 1 if answer < 54 else answer - 1
    elif isinstance(answer[-1], int):  # a seq composite: the last step wrong scores 2/3
        near = [*answer[:-1], answer[-1] + 1]
    else:  # a list: reversed is wrong
        near = list(reversed(answer)) if len(set(answer)) > 1 else [x + 1 for x in answer]
    render = program[env].render_answer
    return [render(answer, **inst.params), render(near, **inst.params), "no idea", ""]


# ------------------------------------------------------------------ endpoints


def test_health_and_envs(client: httpx.Client, program: Any) -> None:
    health = client.get("/health").json()
    assert health["status"] == "ok" and health["workers"] == 2
    envs = {e["name"]: e for e in client.get("/envs").json()["envs"]}
    assert set(envs) == set(program)
    assert envs["serve_demo.top3_sum"]["kind"] == "composite" and envs["serve_demo.top3_sum"]["declared"]
    assert envs["lists.sort_list"] == {"name": "lists.sort_list", "kind": "env", "declared": False,
                                       "doc": program["lists.sort_list"].doc, "params": {"n": 6}}


def test_sample_writes_what_racesdsl_sample_writes(client: httpx.Client) -> None:
    got = client.post("/sample", json={"env": "top3_sum", "seed": 3, "n": 2})
    assert got.status_code == 200
    cli = subprocess.run([sys.executable, "-m", "racesdsl", "sample", f"{DEMO}:top3_sum", "-n", "2", "--seed", "3"],
                         capture_output=True, text=True, check=True)
    assert got.json()["instances"] == [json.loads(line) for line in cli.stdout.splitlines()]
    with_params = client.post("/sample", json={"env": "lists.sort_list", "seed": 5, "params": {"n": 3}}).json()
    assert len(with_params["instances"]) == 1 and len(with_params["instances"][0]["input"]["xs"]) == 3


def test_score_batch_equals_in_process_verify(client: httpx.Client, program: Any) -> None:
    items, want = [], []
    for env, params in [("lists.sort_list", {}), ("lists.sort_list", {"n": 9}), ("serve_demo.top3_sum", {}),
                        ("serve_demo.double", {"scale": 2})]:
        for seed in range(6):
            for text in completions(program, env, seed, params):
                items.append({"env": env, "seed": seed, "params": params, "completion": text})
                want.append(expected(program, env, seed, params, text))
    inst = program["serve_demo.top3_sum"].sample(7).to_dict()  # an instance line, as `racesdsl sample` writes it
    items.append({"instance": inst, "completion": "<step1>[1]</step1>"})
    want.append(expected(program, "serve_demo.top3_sum", 7, {}, "<step1>[1]</step1>"))
    got = client.post("/score", json={"items": items})
    assert got.status_code == 200
    assert got.json()["scores"] == want
    values = {s["value"] for s in want}
    assert {0.0, 1.0} <= values and any(0 < v < 1 for v in values)  # full, partial and zero scores were compared


@settings(max_examples=20, deadline=None)
@given(rows=st.lists(st.tuples(st.sampled_from(["lists.sort_list", "serve_demo.top3_sum", "serve_demo.double"]),
                               st.integers(-2**40, 2**40), st.text(max_size=60) | st.sampled_from(["ref", "miss"])),
                     min_size=1, max_size=8))
def test_score_property_any_seed_any_text(client: httpx.Client, program: Any, rows: list) -> None:
    items, want = [], []
    for env, seed, text in rows:
        if text in ("ref", "miss"):
            text = completions(program, env, seed, {})[0 if text == "ref" else 1]
        items.append({"env": env, "seed": seed, "completion": text})
        want.append(expected(program, env, seed, {}, text))
    assert client.post("/score", json={"items": items}).json()["scores"] == want


def test_chat_message_completions(client: httpx.Client, program: Any) -> None:
    text = completions(program, "lists.sort_list", 1, {})[0]
    messages = [{"role": "user", "content": "hi"}, {"role": "assistant", "content": text}]
    got = client.post("/score", json={"items": [{"env": "lists.sort_list", "seed": 1, "completion": messages}]})
    assert got.json()["scores"] == [expected(program, "lists.sort_list", 1, {}, text)]


def test_keep_alive_requests_are_not_delayed(client: httpx.Client) -> None:
    """Accepted connections have TCP_NODELAY: without it each response on a kept-alive
    connection waited ~40 ms for the client's delayed ACK (Nagle), whatever its size."""
    times = []
    for _ in range(15):
        start = time.perf_counter()
        client.post("/score", json={"items": [GOOD]})
        times.append(time.perf_counter() - start)
    assert sorted(times)[len(times) // 2] < 0.03, times


# -------------------------------------------------------------- trainer shapes


@pytest.fixture(scope="module")
def verl_rows(program: Any) -> list[dict[str, Any]]:
    """Rows as `racesdsl sample --schema verl` writes them: extra_info is the label."""
    return list(export.rows(program, ["lists.sort_list", "serve_demo.top3_sum", "serve_demo.double"], 3, seed=10,
                            schema="verl"))


def test_openrlhf_shape(client: httpx.Client, program: Any, verl_rows: list[dict[str, Any]]) -> None:
    queries, prompts, labels, want = [], [], [], []
    for k, row in enumerate(verl_rows):
        info = row["extra_info"]
        prompt = row["prompt"][0]["content"]
        text = completions(program, info["env"], info["seed"], json.loads(info["params"]))[k % 3]
        queries.append(prompt + text + "<|im_end|>")  # OpenRLHF decodes prompt + response, special tokens kept
        prompts.append(prompt)
        labels.append(info if k % 2 else json.dumps(info))  # a struct column or its JSON text
        want.append(expected(program, info["env"], info["seed"], json.loads(info["params"]), text + "<|im_end|>"))
    labels.append({"env": "no.such_env", "seed": 1})
    queries.append("q")
    prompts.append("")
    for path in ("/openrlhf", "/get_reward"):
        got = client.post(path, json={"query": queries, "prompts": prompts, "labels": labels})
        assert got.status_code == 200
        body = got.json()
        assert body["rewards"] == body["scores"] == [w["value"] for w in want] + [0.0]
        assert body["reasons"][:-1] == [w["reason"] for w in want]
        assert "unknown environment `no.such_env`" in body["reasons"][-1]  # a bad row scores 0, the batch goes on
        assert body["extra_logs"]["racesdsl_correct"][:-1] == [float(w["value"] == 1.0) for w in want]


def test_slime_shape(client: httpx.Client, program: Any, verl_rows: list[dict[str, Any]]) -> None:
    for row in verl_rows:
        info = row["extra_info"]
        text = completions(program, info["env"], info["seed"], json.loads(info["params"]))[1]
        got = client.post("/slime", json={"prompt": row["prompt"][0]["content"], "response": text,
                                          "label": json.dumps(info)})
        want = expected(program, info["env"], info["seed"], json.loads(info["params"]), text)
        assert got.status_code == 200 and got.json() == {"reward": want["value"], **want}


def test_nemo_gym_verify_shape(client: httpx.Client, program: Any) -> None:
    text = completions(program, "serve_demo.top3_sum", 4, {})[0]
    response = {"id": "resp_1", "object": "response", "output": [
        {"type": "reasoning", "summary": []},
        {"type": "message", "role": "assistant", "content": [{"type": "output_text", "text": text[:10]},
                                                             {"type": "output_text", "text": text[10:]}]}]}
    body = {"responses_create_params": {"input": [{"role": "user", "content": "..."}]}, "response": response,
            "env": "serve_demo.top3_sum", "seed": 4}
    got = client.post("/verify", json=body).json()
    want = expected(program, "serve_demo.top3_sum", 4, {}, text)
    assert got["reward"] == want["value"] == 1.0 and got["parts"] == want["parts"]
    assert got["response"] == response and got["responses_create_params"] == body["responses_create_params"]
    meta = {**body, "verifier_metadata": {"env": "lists.sort_list", "seed": 2}}
    del meta["env"], meta["seed"]
    assert client.post("/verify", json=meta).json()["reason"] == expected(program, "lists.sort_list", 2, {}, text)[
        "reason"]


# ----------------------------------------------------------------- bad input

GOOD = {"env": "lists.sort_list", "seed": 1, "completion": "<answer>[1]</answer>"}
MALFORMED: list[tuple[str, str, Any, int, str]] = [
    ("/score", "POST", b"{not json", 400, "bad_json"),
    ("/score", "POST", b"\xff\xfe", 400, "bad_json"),
    ("/score", "POST", [], 422, "bad_type"),
    ("/score", "POST", {}, 422, "missing_field"),
    ("/score", "POST", {"items": {"a": 1}}, 422, "bad_type"),
    ("/score", "POST", {"items": [5]}, 422, "bad_type"),
    ("/score", "POST", {"items": [{**GOOD, "completion": None}]}, 422, "missing_field"),
    ("/score", "POST", {"items": [{**GOOD, "completion": 7}]}, 422, "bad_type"),
    ("/score", "POST", {"items": [{**GOOD, "seed": "1"}]}, 422, "bad_type"),
    ("/score", "POST", {"items": [{**GOOD, "seed": True}]}, 422, "bad_type"),
    ("/score", "POST", {"items": [{"env": "lists.sort_list", "completion": "x"}]}, 422, "missing_field"),
    ("/score", "POST", {"items": [{**GOOD, "env": 3}]}, 422, "bad_type"),
    ("/score", "POST", {"items": [GOOD, {**GOOD, "env": "lists.sort_lst"}]}, 422, "unknown_env"),
    ("/score", "POST", {"items": [{**GOOD, "params": [6]}]}, 422, "bad_type"),
    ("/score", "POST", {"items": [{**GOOD, "params": {"n": 99}}]}, 422, "bad_params"),
    ("/score", "POST", {"items": [{**GOOD, "params": {"n": "six"}}]}, 422, "bad_params"),
    ("/score", "POST", {"items": [{**GOOD, "params": {"zzz": 1}}]}, 422, "bad_params"),
    ("/score", "POST", {"items": [{"instance": {"env": "lists.sort_list"}, "completion": "x"}]}, 422,
     "missing_field"),
    ("/score", "POST", {"items": [{"instance": {"env": "lists.sort_list", "seed": 1, "id": "0000"},
                                   "completion": "x"}]}, 422, "stale_instance"),
    ("/score", "POST", {"items": [{}] * 4097}, 413, "too_many_rows"),
    ("/sample", "POST", {"env": "lists.sort_list"}, 422, "missing_field"),
    ("/sample", "POST", {"env": "lists.sort_list", "seed": 0, "n": 0}, 422, "bad_value"),
    ("/sample", "POST", {"env": "lists.sort_list", "seed": 0, "n": 10**6}, 413, "bad_value"),
    ("/sample", "POST", {"env": "nope", "seed": 0}, 422, "unknown_env"),
    ("/sample", "POST", {"env": "top3_sum", "seed": 0, "params": {"sort_list.n": 40}}, 422, "bad_params"),
    ("/openrlhf", "POST", {"query": ["q"]}, 422, "missing_field"),
    ("/openrlhf", "POST", {"query": "q", "labels": []}, 422, "bad_type"),
    ("/openrlhf", "POST", {"query": ["a", "b"], "prompts": ["a"], "labels": [{}, {}]}, 422, "bad_value"),
    ("/openrlhf", "POST", {"query": [1], "prompts": [""], "labels": [{}]}, 422, "bad_type"),
    ("/slime", "POST", {"prompt": "p", "response": ["x"], "label": "{}"}, 422, "bad_type"),
    ("/slime", "POST", {"prompt": "p", "response": "x"}, 422, "missing_field"),
    ("/verify", "POST", {"env": "lists.sort_list", "seed": 1}, 422, "missing_field"),
    ("/verify", "POST", {"response": {"output": "text"}, "label": "{}"}, 422, "bad_type"),
    ("/score", "GET", None, 405, "method_not_allowed"),
    ("/nowhere", "POST", {}, 404, "not_found"),
]


@pytest.mark.parametrize(("path", "method", "body", "status", "code"), MALFORMED,
                         ids=[f"{p}-{c}-{i}" for i, (p, _, _, _, c) in enumerate(MALFORMED)])
def test_malformed_payloads_are_4xx_with_a_reason(client: httpx.Client, path: str, method: str, body: Any,
                                                  status: int, code: str) -> None:
    content = body if isinstance(body, bytes) or body is None else json.dumps(body).encode()
    got = client.request(method, path, content=content)
    assert got.status_code == status, got.text
    answer = got.json()
    assert answer["error"] == code and answer["reason"], answer


def test_bad_label_rows_score_zero_with_reason(client: httpx.Client) -> None:
    """Trainer shapes never fail a training step over one row: it scores 0, saying why."""
    labels = ["not json", "[1, 2]", {"env": "lists.sort_list"}, {"env": "lists.sort_list", "seed": 1,
                                                                   "params": "{\"n\": 99}"}]
    got = client.post("/openrlhf", json={"query": ["x"] * 4, "prompts": [""] * 4, "labels": labels})
    assert got.status_code == 200
    body = got.json()
    assert body["rewards"] == [0.0] * 4
    assert all(r.startswith("not scored: ") for r in body["reasons"]), body["reasons"]
    assert "no `seed`" in body["reasons"][2] and "99" in body["reasons"][3]


def test_body_size_limit(client: httpx.Client) -> None:
    big = json.dumps({"items": [{**GOOD, "completion": "x" * 1000}] * 250}).encode()
    assert len(big) > MAX_BODY
    got = client.post("/score", content=big)
    assert got.status_code == 413 and got.json()["error"] == "too_large"

    def chunks() -> Iterator[bytes]:  # no Content-Length: refused while streaming
        for i in range(0, len(big), 65536):
            yield big[i:i + 65536]

    got = client.post("/score", content=chunks())
    assert got.status_code == 413 and got.json()["error"] == "too_large"
    assert client.post("/score", json={"items": [GOOD]}).status_code == 200  # the server is fine


# ------------------------------------------------------- hangs and shutdown


def test_hanging_verifier_times_out_while_others_are_served(client: httpx.Client, program: Any) -> None:
    hung: dict[str, Any] = {}

    def post_hang() -> None:
        start = time.monotonic()
        hung["response"] = client.post("/score", json={"items": [{"env": "hang", "seed": 0, "completion": "<answer>2</answer>"}]})
        hung["took"] = time.monotonic() - start

    thread = threading.Thread(target=post_hang)
    thread.start()
    time.sleep(0.3)  # the hang request holds one worker now
    text = completions(program, "serve_demo.top3_sum", 1, {})[0]
    for _ in range(5):
        start = time.monotonic()
        good = client.post("/score", json={"items": [{"env": "serve_demo.top3_sum", "seed": 1, "completion": text}]})
        assert good.status_code == 200 and good.json()["scores"][0]["value"] == 1.0
        assert time.monotonic() - start < TIMEOUT / 2  # served by the other worker, not queued behind the hang
    thread.join(TIMEOUT * 10)
    answer = hung["response"]
    assert answer.status_code == 504 and answer.json()["error"] == "timeout"
    assert "worker was restarted" in answer.json()["reason"]
    assert TIMEOUT <= hung["took"] < TIMEOUT + 3
    deadline = time.monotonic() + 60
    while client.get("/health").json()["workers"] < 2:  # the replacement loads the specs, then joins the pool
        assert time.monotonic() < deadline, "the killed worker was not replaced"
        time.sleep(0.1)
    assert client.get("/health").json()["restarts"] >= 1


def test_trainer_routes_score_a_hung_row_zero(client: httpx.Client) -> None:
    """OpenRLHF and slime stop training after a few failed retries: past the time limit their
    rows score 0 with the reason (a 200), while /score keeps its 504."""
    label = {"env": "hang", "seed": 0}
    bodies = {"/openrlhf": {"query": ["<answer>2</answer>"] * 2, "prompts": ["", ""], "labels": [label] * 2},
              "/slime": {"prompt": "", "response": "<answer>2</answer>", "label": label},
              "/verify": {"response": "<answer>2</answer>", "label": label, "extra": [1]}}
    answers: dict[str, httpx.Response] = {}
    threads = [threading.Thread(target=lambda p=p, b=b: answers.setdefault(p, client.post(p, json=b)))
               for p, b in bodies.items()]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert all(a.status_code == 200 for a in answers.values()), answers
    rlhf, slime, verify = (answers[p].json() for p in bodies)
    assert rlhf["rewards"] == [0.0, 0.0] and all("not answered within" in r for r in rlhf["reasons"])
    assert slime["reward"] == 0.0 and slime["reason"].startswith("not scored: not answered within")
    assert verify["reward"] == 0.0 and verify["extra"] == [1] and "worker was restarted" in verify["reason"]


def _workers(pid: int) -> set[int]:
    """The scoring processes of server `pid` (its spawned children, not multiprocessing's resource tracker)."""
    out = set()
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
                cmdline = Path(f"/proc/{entry}/cmdline").read_bytes()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid and b"spawn_main" in cmdline:
                out.add(int(entry))
    return out


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="counts worker processes through /proc")
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_graceful_shutdown(sig: int) -> None:
    server = ServerProcess([HANG], "--workers", "1", "--timeout", "1.5")
    url = server.start()
    assert server.process is not None
    workers = _workers(server.process.pid)
    assert workers, "no worker process found"
    answer: dict[str, Any] = {}
    thread = threading.Thread(target=lambda: answer.setdefault("r", httpx.post(
        f"{url}/score", json={"items": [{"env": "hang", "seed": 0, "completion": "<answer>2</answer>"}]}, timeout=30)))
    thread.start()
    time.sleep(0.4)  # in flight
    start = time.monotonic()
    code = server.stop(sig, timeout=15)
    thread.join(5)
    assert code == 0, server.log()
    assert time.monotonic() - start < 8
    assert answer["r"].status_code == 504  # the in-flight request was answered, not dropped
    assert not [p for p in workers if Path(f"/proc/{p}").exists()], "a worker outlived the server"


def test_spec_errors_and_busy_port_exit_before_serving(tmp_path: Path, server: str) -> None:
    bad = tmp_path / "bad.races"
    bad.write_text("env broken {\n")
    run = subprocess.run([sys.executable, "-m", "racesdsl", "serve", str(bad), "--port", "0"], capture_output=True,
                         text=True, timeout=60)
    assert run.returncode == 1 and "error" in run.stderr
    port = server.rsplit(":", 1)[1]
    run = subprocess.run([sys.executable, "-m", "racesdsl", "serve", str(DEMO), "--port", port],
                         capture_output=True, text=True, timeout=60)
    assert run.returncode == 2 and "cannot listen" in run.stderr
