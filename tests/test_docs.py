import doctest
import importlib
import pkgutil
import re
import textwrap
from pathlib import Path

import pytest

import switchboard
from switchboard.evals.tasks import load_tasks

README = Path(__file__).parent.parent / "README.md"
MODULES = sorted(
    info.name
    for info in pkgutil.walk_packages(switchboard.__path__, prefix="switchboard.")
    if not info.ispkg
)


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_run(name: str) -> None:
    """Every example in a docstring runs and prints what it shows."""
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0


def test_readme_quickstart_runs() -> None:
    """The README's quickstart runs as written."""
    text = README.read_text()
    block = re.search(r"## Quickstart\n\n```python\n(.*?)```", text, re.S)
    assert block is not None
    assert len(block.group(1).strip().splitlines()) <= 15
    namespace: dict[str, object] = {}
    exec(compile(block.group(1), "README.md", "exec"), namespace)
    assert namespace["tools"].names == ["get_weather"]  # type: ignore[attr-defined]


def test_readme_has_exactly_two_setup_commands() -> None:
    """The Set up section holds the two commands CI runs: install + main job, and tests."""
    section = README.read_text().split("## Set up", 1)[1]
    block = re.search(r"```sh\n(.*?)```", section, re.S)
    assert block is not None
    commands = [line for line in block.group(1).splitlines() if line.strip()]
    assert len(commands) == 2
    assert "switchboard " in commands[0]
    assert "pytest" in commands[1]


def test_readme_execution_example_runs_and_shows_the_real_content() -> None:
    """The 'Executing calls' example runs after the quickstart and prints what it claims."""
    text = README.read_text()
    quickstart = re.search(r"## Quickstart\n\n```python\n(.*?)```", text, re.S)
    example = re.search(r"## Executing calls\n.*?```python\n(.*?)```", text, re.S)
    assert quickstart is not None
    assert example is not None
    namespace: dict[str, object] = {}
    exec(compile(quickstart.group(1), "README.md", "exec"), namespace)
    exec(compile(example.group(1), "README.md", "exec"), namespace)
    shown = re.search(r"results\[0\]\.content  # '(.*)'", example.group(1))
    assert shown is not None
    assert namespace["results"][0].content == shown.group(1)  # type: ignore[index]


def test_readme_continuation_example_runs_without_repeating_a_call() -> None:
    """The 'Nothing lost' example continues a failed run, and no call runs twice."""
    text = README.read_text()
    block = re.search(r"\*\*Nothing lost\*\*.*?```python\n(.*?)```", text, re.S)
    assert block is not None
    paid: list[str] = []

    def pay(invoice: str) -> str:
        """Pay an invoice."""
        paid.append(invoice)
        return f"paid {invoice}"

    replies = iter(
        [
            switchboard.ToolCall("c1", "pay", '{"invoice": "INV-1"}'),
            switchboard.ProviderUnavailableError("scripted", "down", status_code=503),
            "All paid.",
        ]
    )

    def script(request: switchboard.ModelRequest) -> str | switchboard.ToolCall:
        reply = next(replies)
        if isinstance(reply, Exception):
            raise reply
        return reply

    agent = switchboard.Agent(switchboard.ScriptedModel(script), tools=[pay])
    namespace: dict[str, object] = {"agent": agent}
    exec(compile(textwrap.dedent(block.group(1)), "README.md", "exec"), namespace)
    assert paid == ["INV-1"]
    assert namespace["result"].output == "All paid."  # type: ignore[attr-defined]


def test_readme_task_line_is_a_valid_task(tmp_path: Path) -> None:
    """The task line the README shows loads as a task with the calls and facts it shows."""
    block = re.search(r"```json\n(\{\"id\": \"weather-tokyo-paris\".*?)\n```", README.read_text())
    assert block is not None
    path = tmp_path / "tasks.jsonl"
    path.write_text(block.group(1) + "\n", encoding="utf-8")
    [task] = load_tasks(path)
    assert [call.arguments["city"] for call in task.calls] == ["Tokyo", "Paris"]
    assert re.search(task.facts[0], "18.0 degrees")
