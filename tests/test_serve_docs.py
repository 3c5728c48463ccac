"""docs/integrations.md "Reward server": its JSON examples, posted to a real server over
README's demo.races, get the answers the page shows (the docs are the contract)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

httpx = pytest.importorskip("httpx", reason="the reward server's tests need the `serve` extra")
pytest.importorskip("uvicorn", reason="the reward server's tests need the `serve` extra")
from racesdsl.serve.launch import ServerProcess  # noqa: E402

DOCS = Path(__file__).resolve().parent.parent / "docs" / "integrations.md"
README = DOCS.parent.parent / "README.md"


def test_reward_server_docs_examples_are_what_the_server_answers(tmp_path: Path) -> None:
    """Request, answer, request, answer: every ```json block of the section is used."""
    section = DOCS.read_text(encoding="utf-8").split("## Reward server", 1)[1]
    blocks = [json.loads(b) for b in re.findall(r"^```json\n(.*?)^```", section, re.M | re.S)]
    score_request, score_answer, openrlhf, verify = blocks
    demo = re.search(r"<!-- file: demo.races -->\n```races\n(.*?)```", README.read_text(encoding="utf-8"), re.S)
    assert demo is not None
    (tmp_path / "demo.races").write_text(demo.group(1), encoding="utf-8")
    with ServerProcess([tmp_path / "demo.races"], "--workers", "1") as url, httpx.Client(base_url=url) as http:
        assert http.post("/score", json=score_request).json() == score_answer
        shown = re.search(r"answers `(\{\"rewards\".*?\})`", section, re.S)
        assert shown is not None
        assert http.post("/openrlhf", json=openrlhf).json() == json.loads(shown.group(1).replace("\n", " "))
        got = http.post("/verify", json=verify).json()
        assert (got["reward"], got["reason"], got["parts"]) == (1.0, "correct", [])
        label = openrlhf["labels"][0]
        slime = http.post("/slime", json={"prompt": "p", "response": "<answer>[-57, 75]</answer>", "label": label})
        assert slime.json() == {"reward": 1.0, "value": 1.0, "reason": "correct", "parts": []}
