"""docs/integration.md kept true: its Admin API calls.

Each call (curl, Python ``requests``, JavaScript ``fetch``) is taken from the
document, pointed at the example app on 127.0.0.1 instead of
``https://admin.example.com``, given a real key in ``SECRET_API_KEY`` and run.
"""

from __future__ import annotations

import ast
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

DOC = Path(__file__).resolve().parent.parent / "docs" / "integration.md"
TEXT = DOC.read_text()
SECTION = TEXT.split("## Calling your Admin API with a key")[1].split("\n## ")[0]
DOC_HOST = "https://admin.example.com"


def snippet(language: str) -> str:
    match = re.search(rf"```{language}\n(.*?)```", SECTION, re.S)
    assert match, f"no {language} example in docs/integration.md"
    return match.group(1)


def require(tool: str) -> str:
    """The path of a command-line tool; a skip without it, a failure under CI."""
    path = shutil.which(tool)
    if path is None:
        if os.environ.get("CI"):
            pytest.fail(f"{tool} is needed to check the docs' examples under CI")
        pytest.skip(f"{tool} is not installed; under CI this fails")
    return path


def run(command: list[str], token: str) -> list[str]:
    """Run a snippet with the key in the environment; the lines it printed."""
    result = subprocess.run(  # noqa: S603 - the docs' own examples, local server only
        command,
        env={**os.environ, "SECRET_API_KEY": token},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return [line for line in result.stdout.splitlines() if line.strip()]


def test_curl_examples_work(live_server: str, admin_token: str) -> None:
    curl = require("curl")
    script = snippet("sh").replace(DOC_HOST, live_server)
    script = re.sub(r"^export SECRET_API_KEY=.*\n", "", script, flags=re.M)
    script = script.replace("curl ", f"{curl} -sS --fail-with-body ").replace("\\\n", "")
    script = "\n".join(f"{line}; echo" for line in script.splitlines() if line.strip())

    outputs = [
        json.loads(line) for line in run(["bash", "-euo", "pipefail", "-c", script], admin_token)
    ]

    assert [output.get("email") for output in outputs[:2]] == ["admin@example.com"] * 2
    assert outputs[2] == {"hello": "world"}


def test_python_requests_example_works(live_server: str, admin_token: str) -> None:
    code = snippet("python").replace(DOC_HOST, live_server)

    outputs = [ast.literal_eval(line) for line in run([sys.executable, "-c", code], admin_token)]

    assert outputs[0]["email"] == "admin@example.com"
    assert outputs[1] == {"hello": "world"}


def test_javascript_fetch_example_works(live_server: str, admin_token: str) -> None:
    node = require("node")
    code = snippet("js").replace(DOC_HOST, live_server)

    outputs = run([node, "--input-type=module", "-e", code], admin_token)

    assert outputs == ["{ hello: 'world' }"]  # Node's console.log of the object
