"""The layers of the package: what each part of src/switchboard may import, read with `ast`.

Every import counts: at module level, inside functions, and under ``TYPE_CHECKING``.
"""

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

import switchboard

PACKAGE = Path(switchboard.__file__).resolve().parent

LOOP = ("switchboard.run", "switchboard.agent")
BELOW_THE_LOOP = ("execution", "tools", "schema", "streaming", "providers", "routing")


def _module_name(path: Path) -> str:
    """The dotted name of the module at ``path``."""
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imported(path: Path) -> Iterator[str]:
    """Every module ``path`` imports, and every ``module.name`` of its ``from`` imports."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = _module_name(path).split(".")
    if path.name != "__init__.py":
        package = package[:-1]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            module = ".".join([*base, *([node.module] if node.module else [])])
            yield module
            yield from (f"{module}.{alias.name}" for alias in node.names)


def _within(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


def _violations(layer: str, forbidden: tuple[str, ...]) -> list[str]:
    """``module -> import`` for each import under ``switchboard.<layer>`` of a forbidden one."""
    found: list[str] = []
    for path in sorted((PACKAGE / layer).rglob("*.py")):
        for name in _imported(path):
            if any(_within(name, prefix) for prefix in forbidden):
                found.append(f"{_module_name(path)} -> {name}")
    return sorted(set(found))


def test_reader_sees_imports_in_functions_and_under_type_checking() -> None:
    """The reader finds a function's own imports and the type-only ones, not only the top's."""
    imported = set(_imported(PACKAGE / "tools" / "definition.py"))
    assert "switchboard.tools.argument_model.build_signature" in imported  # in a function
    assert "switchboard.tools.validation.JsonReader" in imported  # under TYPE_CHECKING


def test_tools_import_no_executor_stream_provider_router_or_loop() -> None:
    """tools/ imports nothing of execution/, streaming/, providers/, routing/, run or agent."""
    forbidden = (
        "switchboard.execution",
        "switchboard.streaming",
        "switchboard.providers",
        "switchboard.routing",
        *LOOP,
    )
    assert _violations("tools", forbidden) == []


def test_streaming_imports_no_provider_or_loop() -> None:
    """streaming/ imports nothing of providers/, run or agent."""
    assert _violations("streaming", ("switchboard.providers", *LOOP)) == []


@pytest.mark.parametrize("layer", BELOW_THE_LOOP)
def test_layers_below_the_loop_do_not_import_it(layer: str) -> None:
    """Nothing below the loop imports `switchboard.run` or `switchboard.agent`."""
    assert _violations(layer, LOOP) == []


@pytest.mark.parametrize("layer", BELOW_THE_LOOP)
def test_layers_below_the_loop_do_not_import_the_package_root(layer: str) -> None:
    """Nothing below the loop imports the package root, which loads the whole public API."""
    found = [
        f"{_module_name(path)} -> {name}"
        for path in sorted((PACKAGE / layer).rglob("*.py"))
        for name in _imported(path)
        if name == "switchboard"
    ]
    assert found == []
