"""BFCL's own AST checker, loaded from the installed ``bfcl-eval`` without its heavy deps.

``bfcl_eval/eval_checker/ast_eval/ast_checker.py`` imports
``bfcl_eval.constants.model_config`` only to ask, for a function name with a dot, whether
the model's handler renames dots to underscores (``convert_func_name``). That module
imports every model handler of BFCL (and tree-sitter, vertexai, ...), which a
``pip install --no-deps bfcl-eval`` lacks. Here the checker's file is executed with a
stand-in for that one module, answering "yes" for every model: switchboard sends BFCL
names with ``_`` for ``.`` (`bfcl_tool_name`). Every verdict is BFCL's own code.
"""

from __future__ import annotations

import functools
import importlib
import importlib.util
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from types import ModuleType
from typing import Any, Final, cast

from switchboard.errors import ConfigurationError

_CHECKER: Final = "bfcl_eval.eval_checker.ast_eval.ast_checker"
_MODEL_CONFIG: Final = "bfcl_eval.constants.model_config"
_MODEL_NAME: Final = "switchboard"


@dataclass(frozen=True, slots=True)
class _ModelConfig:
    underscore_to_dot: bool = True


class _EveryModel(Mapping[str, _ModelConfig]):
    """MODEL_CONFIG_MAPPING's stand-in: each model name maps to underscore_to_dot=True."""

    def __getitem__(self, key: str) -> _ModelConfig:
        return _ModelConfig()

    def __iter__(self) -> Iterator[str]:
        return iter(())

    def __len__(self) -> int:
        return 0


@dataclass(frozen=True, slots=True)
class Verdict:
    """BFCL's verdict on one answer.

    Attributes:
        valid: Whether the answer is correct.
        errors: BFCL's explanations when it is not.
        error_type: BFCL's error class, e.g. ``"value_error:string"``.
    """

    valid: bool
    errors: tuple[str, ...] = ()
    error_type: str = ""


def check_calls(
    docs: Sequence[Mapping[str, Any]],
    calls: Sequence[Mapping[str, Mapping[str, Any]]],
    possible_answer: Sequence[Any],
    category: str,
) -> Verdict:
    """Score calls against BFCL's possible answers with BFCL's ``ast_checker``.

    Args:
        docs: The entry's BFCL function docs (dotted names, BFCL types), as in the data.
        calls: The calls made, in BFCL's form: ``[{"tool_name": {"param": value}}]``.
        possible_answer: The entry's ground truth (`load_possible_answers`).
        category: The BFCL category, e.g. ``"simple_python"`` (it picks the checker).

    Raises:
        ConfigurationError: ``bfcl-eval`` is not installed.
    """
    checker, language = _checker(), _language(category)
    result = cast(
        "dict[str, Any]",
        checker(list(docs), list(calls), list(possible_answer), language, category, _MODEL_NAME),
    )
    errors = cast("list[Any]", result.get("error") or [])
    return Verdict(
        bool(result["valid"]), tuple(str(e) for e in errors), str(result.get("error_type", ""))
    )


def _language(category: str) -> Any:
    language: Any = importlib.import_module("bfcl_eval.constants.enums").Language
    if "java" in category and "javascript" not in category:
        return language.JAVA
    if "javascript" in category:
        return language.JAVASCRIPT
    return language.PYTHON


@functools.cache
def _checker() -> Callable[..., Any]:
    spec = importlib.util.find_spec(_CHECKER) if _installed() else None
    if spec is None or spec.loader is None:
        msg = "BFCL's checker is not installed. Install it with: pip install --no-deps bfcl-eval"
        raise ConfigurationError(msg)
    stand_in = ModuleType(_MODEL_CONFIG)
    mapping = _EveryModel()
    stand_in.__dict__["MODEL_CONFIG_MAPPING"] = mapping
    module = importlib.util.module_from_spec(spec)
    previous = sys.modules.get(_MODEL_CONFIG)
    sys.modules[_MODEL_CONFIG] = stand_in
    try:
        spec.loader.exec_module(module)
    finally:
        if previous is None:
            del sys.modules[_MODEL_CONFIG]
        else:
            sys.modules[_MODEL_CONFIG] = previous
    # Read at call time by convert_func_name: keep the stand-in whatever was imported.
    module.__dict__["MODEL_CONFIG_MAPPING"] = mapping
    return cast("Callable[..., Any]", module.ast_checker)


def _installed() -> bool:
    try:
        return importlib.util.find_spec("bfcl_eval") is not None
    except (ImportError, ValueError):
        return False
