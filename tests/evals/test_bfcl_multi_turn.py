"""BFCL's multi_turn_base ground truth, replayed on BFCL's own stateful APIs through a Toolbox.

For every entry, two independent sets of BFCL's API instances (file system, trading,
travel, vehicle, message, posting, ticket, math) load the entry's scenario the way BFCL's
checker does (``execute_multi_turn_func_call`` in
bfcl_eval/eval_checker/multi_turn_eval/multi_turn_utils.py). One set is called directly
with each parsed ground-truth call, as BFCL's ``eval`` would; the other's methods are
registered as sequential tools, and each turn runs as one batch of `ToolCall`s with JSON
arguments through `Toolbox.execute`. The results must come back in call order with the
direct calls' values and texts, and both sets must end in the same state. Entries that
cannot be replayed are listed with the reason in ``KNOWN_UNREPLAYABLE``; the test
asserts that they still fail, so the list cannot rot.
"""

from __future__ import annotations

import ast
import asyncio
import copy
import importlib
import inspect
import json
import random
import sys
import types
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any
from unittest import mock

import pytest

# No skip when bfcl-eval is missing: the README's test command installs it, and a proof
# that silently skips proves nothing.
# Plain constants, no imports of their own: the module of each class, the doc file of
# each class, the classes that take no scenario.
from bfcl_eval.constants.executable_backend_config import (
    CLASS_FILE_PATH_MAPPING,
    MULTI_TURN_FUNC_DOC_FILE_MAPPING,
    STATELESS_CLASSES,
)

from switchboard import Tool, Toolbox, ToolCall, ToolResult
from switchboard.evals.bfcl import load_bfcl, load_possible_answers

ENTRIES = {entry["id"]: entry for entry in load_bfcl("multi_turn_base")}
ANSWERS = load_possible_answers("multi_turn_base")

# Entries whose replay through switchboard differs from BFCL's direct calls, each checked
# by hand. The replay test asserts that exactly these fail.
KNOWN_UNREPLAYABLE: dict[str, str] = {
    "multi_turn_base_173": (
        "close_ticket(ticket_id='ticket_001'): TicketAPI.close_ticket is annotated "
        "`ticket_id: int` (its doc says integer too), but the scenario's tickets have string "
        "ids and the ground truth passes one. BFCL eval()s the call unchecked and it "
        "succeeds; switchboard validates the arguments against the annotation and answers "
        "an 'invalid' error result, so the ticket stays open."
    ),
}

# No ground-truth call raises, nor (mpmath installed) returns an {"error": ...} dict. The
# raised path is replayed by test_raising_calls_become_error_results_and_the_batch_goes_on.
RAISING_GROUND_TRUTH_CALLS = 0

# Instance fields that differ between two runs of the same calls: File._last_modified is
# datetime.now() at each write (gorilla_file_system.py), the wall clock, not the scenario.
NONDETERMINISTIC_FIELDS = frozenset({"_last_modified"})


# --- loading BFCL's classes -------------------------------------------------------------


class _MissingModule(types.ModuleType):
    """Stands in for a module that is not installed: using any of its names raises."""

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        msg = f"No module named {self.__name__!r} (a stand-in of the BFCL multi-turn tests)"
        raise ModuleNotFoundError(msg, name=self.__name__)


def _import_api_module(class_name: str) -> types.ModuleType:
    """Import the module of one BFCL API class, as BFCL's checker does.

    bfcl-eval is installed ``--no-deps``. Of its multi-turn API modules only math_api.py
    imports a package that may be missing: mpmath, which ``MathAPI.logarithm`` alone uses.
    Without it the module is imported beside a stand-in (sys.modules is restored after),
    and ``logarithm`` answers, on both sides of the replay, the ``{"error": ...}`` dict
    of its own ``except Exception``; with mpmath installed it computes.
    """
    module_name = CLASS_FILE_PATH_MAPPING[class_name]
    try:
        return importlib.import_module(module_name)
    except ModuleNotFoundError as e:
        if e.name != "mpmath":
            raise
    with mock.patch.dict(sys.modules, {"mpmath": _MissingModule("mpmath")}):
        return importlib.import_module(module_name)


INVOLVED = sorted({name for entry in ENTRIES.values() for name in entry["involved_classes"]})
API_MODULES = {name: _import_api_module(name) for name in INVOLVED}
API_CLASSES: dict[str, type[Any]] = {name: getattr(API_MODULES[name], name) for name in INVOLVED}
MPMATH_STOOD_IN = isinstance(getattr(API_MODULES["MathAPI"], "mpmath", None), _MissingModule)


def _class_docs(class_name: str) -> list[dict[str, Any]]:
    """The multi-turn function docs of one class (its ``multi_turn_func_doc`` file)."""
    folder = resources.files("bfcl_eval") / "data" / "multi_turn_func_doc"
    text = (folder / MULTI_TURN_FUNC_DOC_FILE_MAPPING[class_name]).read_text(encoding="utf-8")
    return [json.loads(line) for line in text.splitlines() if line.strip()]


DOC_NAMES = {name: [doc["name"] for doc in _class_docs(name)] for name in INVOLVED}


def load_instances(entry: Mapping[str, Any]) -> dict[str, Any]:
    """Fresh instances of an entry's classes, loaded as ``execute_multi_turn_func_call`` does.

    A scenario for a class the entry does not involve (TravelAPI in multi_turn_base_96)
    is ignored there, and here.
    """
    instances: dict[str, Any] = {}
    for class_name in entry["involved_classes"]:
        instance = API_CLASSES[class_name]()
        if class_name not in STATELESS_CLASSES:
            scenario = copy.deepcopy(entry["initial_config"].get(class_name, {}))
            instance._load_scenario(scenario, long_context=False)
        instances[class_name] = instance
    return instances


def entry_methods(entry: Mapping[str, Any], instances: Mapping[str, Any]) -> dict[str, Any]:
    """The bound methods a model is offered: each class's documented ones, less excluded ones."""
    excluded = set(entry.get("excluded_function", []))
    return {
        name: getattr(instance, name)
        for class_name, instance in instances.items()
        for name in DOC_NAMES[class_name]
        if name not in excluded
    }


def toolbox_for(methods: Mapping[str, Any]) -> Toolbox:
    """A Toolbox of bound methods; sequential, as each call may change the instance."""
    toolbox = Toolbox()
    for method in methods.values():
        toolbox.add(Tool.from_function(method, sequential=True))
    return toolbox


# --- the ground truth -------------------------------------------------------------------


@dataclass(frozen=True)
class Call:
    """One ground-truth call string, parsed."""

    source: str
    name: str
    args: tuple[Any, ...]
    kwargs: dict[str, Any]


def parse_call(source: str) -> Call:
    """``"sort('final_report.pdf')"`` -> ``Call(name="sort", args=("final_report.pdf",))``."""
    node = ast.parse(source, mode="eval").body
    assert isinstance(node, ast.Call), source
    assert isinstance(node.func, ast.Name), source
    assert all(keyword.arg is not None for keyword in node.keywords), source
    args = tuple(ast.literal_eval(arg) for arg in node.args)
    kwargs = {str(keyword.arg): ast.literal_eval(keyword.value) for keyword in node.keywords}
    return Call(source, node.func.id, args, kwargs)


def turns_of(entry_id: str) -> list[list[Call]]:
    """The parsed ground truth of an entry: one list of calls per turn."""
    return [[parse_call(source) for source in turn] for turn in ANSWERS[entry_id]]


def json_arguments(method: Callable[..., Any], call: Call) -> str:
    """The call's arguments as a model sends them: JSON, positional ones named.

    Names come from the method's own signature (``get_zipcode_based_on_city('Rivermist')``
    -> ``{"city": "Rivermist"}``), which is what the direct call binds them to.
    """
    bound = inspect.signature(method).bind(*call.args, **call.kwargs)
    return json.dumps(bound.arguments)


def expected_content(value: Any) -> str:
    """The text the executor gives the model for a return value.

    A str as is; anything else as compact JSON with non-ASCII kept, and a value JSON
    cannot hold (mpmath's ``mpf``) as its ``str()``. The executor writes it with
    ``pydantic_core.to_json(value, fallback=str)``, which spells every value that BFCL's
    ground truth returns exactly as this ``json.dumps`` does (the two differ on floats
    such as 1e-05, which pydantic_core writes 0.00001; none is returned here).
    """
    if isinstance(value, str):
        return value
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, default=str)


# --- comparing state --------------------------------------------------------------------


def snapshot(value: Any, path: str = "$", seen: dict[int, str] | None = None) -> Any:
    """A plain, comparable copy of an object graph: objects by class and fields.

    Cycles and shared objects (a Directory's ``parent``, the file system's
    ``_current_dir``) become ``("ref", path where first seen)``, so two graphs compare
    equal only if they have the same shape. A ``random.Random`` compares by its state:
    equal states mean both sides drew the same numbers. Numbers compare by value, int or
    float: a ``float`` parameter receives ``10000.0`` through switchboard where BFCL's
    ``eval`` passes the literal ``10000`` (see
    test_int_literal_for_float_parameter_arrives_as_float).
    """
    seen = {} if seen is None else seen
    if isinstance(value, random.Random):
        return ("Random", value.getstate())
    if isinstance(value, int | float) and not isinstance(value, bool):
        return ("number", value)
    if isinstance(value, dict):
        return {key: snapshot(each, f"{path}[{key!r}]", seen) for key, each in value.items()}
    if isinstance(value, list | tuple):
        items = [snapshot(each, f"{path}[{i}]", seen) for i, each in enumerate(value)]
        return [type(value).__name__, *items]
    if not hasattr(value, "__dict__") or isinstance(value, type):
        return (type(value).__name__, value)
    if id(value) in seen:
        return ("ref", seen[id(value)])
    seen[id(value)] = path
    fields = {
        name: snapshot(each, f"{path}.{name}", seen)
        for name, each in vars(value).items()
        if name not in NONDETERMINISTIC_FIELDS
    }
    return (type(value).__qualname__, fields)


def first_difference(left: Any, right: Any, path: str = "$") -> str | None:
    """Where two snapshots first differ (None if nowhere), for a readable failure."""
    if isinstance(left, dict) and isinstance(right, dict):
        if left.keys() != right.keys():
            return f"{path}: keys {sorted(map(str, left))} != {sorted(map(str, right))}"
        pairs = [(left[key], right[key], f"{path}[{key!r}]") for key in left]
    elif isinstance(left, list | tuple) and type(left) is type(right) and len(left) == len(right):
        pairs = [(a, b, f"{path}[{i}]") for i, (a, b) in enumerate(zip(left, right, strict=True))]
    else:
        return None if left == right else f"{path}: {left!r} != {right!r}"
    found = (first_difference(a, b, where) for a, b, where in pairs)
    return next((difference for difference in found if difference), None)


def mutable_ids(value: Any, found: set[int] | None = None) -> set[int]:
    """The ids of every dict, list, set and object with fields reachable from a value."""
    found = set() if found is None else found
    if id(value) in found or isinstance(value, type):
        return found
    if isinstance(value, tuple | frozenset):
        children = list(value)
    elif isinstance(value, dict):
        children = [*value.keys(), *value.values()]
    elif isinstance(value, list | set):
        children = list(value)
    elif hasattr(value, "__dict__"):
        children = list(vars(value).values())
    else:  # str, numbers, None, datetime...: immutable
        return found
    if not isinstance(value, tuple | frozenset):
        found.add(id(value))
    for child in children:
        mutable_ids(child, found)
    return found


# --- the replay -------------------------------------------------------------------------


@dataclass
class Replay:
    """What replaying one entry found."""

    turns: int = 0
    calls: int = 0
    raised: int = 0
    error_dicts: int = 0
    problems: list[str] = field(default_factory=list[str])


@dataclass(frozen=True)
class Direct:
    """One direct call: its value (None when it raised) and the text the model should read."""

    value: Any
    content: str
    raised: bool


def call_directly(methods: Mapping[str, Any], call: Call) -> Direct:
    """Call a method as BFCL's eval does; the text is taken at once, as the executor does."""
    try:
        value = methods[call.name](*call.args, **call.kwargs)
    except Exception as e:
        # The executor's default message for a tool that raised (executor.py).
        return Direct(None, f"{call.name} raised {type(e).__name__}: {e}", raised=True)
    return Direct(value, expected_content(value), raised=False)


def result_problems(label: str, direct: Direct, result: ToolResult) -> list[str]:
    """How a result differs from the direct call (empty when it matches).

    Values are compared after the whole turn on both sides: a value that aliases the
    instance's state (a list it keeps) has then seen the same later calls on each side.
    """
    want = (direct.raised, "raised" if direct.raised else None, direct.content)
    got = (result.is_error, result.error_kind, result.content)
    problems = [
        f"{label}: {name} {value!r} != {expected!r}"
        for name, value, expected in zip(
            ("is_error", "error_kind", "content"), got, want, strict=True
        )
        if value != expected
    ]
    if snapshot(result.value) != snapshot(direct.value):
        problems.append(f"{label}: value {result.value!r} != direct {direct.value!r}")
    return problems


async def replay_turns(entry: Mapping[str, Any], turns: list[list[Call]]) -> Replay:
    """Run turns directly and through a Toolbox, one batch per turn, and compare."""
    direct_instances, tool_instances = load_instances(entry), load_instances(entry)
    direct_methods = entry_methods(entry, direct_instances)
    toolbox = toolbox_for(entry_methods(entry, tool_instances))
    replay = Replay()
    for turn, calls in enumerate(turns):
        direct = [call_directly(direct_methods, call) for call in calls]
        tool_calls = [
            ToolCall(
                id=f"{entry['id']}/{turn}/{index}",
                name=call.name,
                arguments=json_arguments(direct_methods[call.name], call),
            )
            for index, call in enumerate(calls)
        ]
        results = await toolbox.execute(tool_calls)
        replay.turns += 1
        replay.calls += len(calls)
        replay.raised += sum(each.raised for each in direct)
        replay.error_dicts += sum(
            isinstance(each.value, dict) and "error" in each.value for each in direct
        )
        order = [(result.call_id, result.name) for result in results]
        if order != [(call.id, call.name) for call in tool_calls]:
            replay.problems.append(f"turn {turn}: results {order} are not in call order")
            continue
        for call, outcome, result in zip(calls, direct, results, strict=True):
            replay.problems += result_problems(f"turn {turn}: {call.source}", outcome, result)
    difference = first_difference(snapshot(direct_instances), snapshot(tool_instances))
    if difference:
        replay.problems.append(f"final state differs at {difference}")
    return replay


@cache
def replay(entry_id: str) -> Replay:
    """The replay of an entry's ground truth, run once per test session."""
    return asyncio.run(replay_turns(ENTRIES[entry_id], turns_of(entry_id)))


# --- the tests --------------------------------------------------------------------------


@pytest.mark.parametrize("entry_id", list(ENTRIES))
def test_toolbox_replay_matches_direct_calls(entry_id: str) -> None:
    """Each turn as one batch gives the direct calls' results, texts and final state."""
    problems = replay(entry_id).problems
    if entry_id in KNOWN_UNREPLAYABLE:
        assert problems, f"{entry_id} replays now: remove it from KNOWN_UNREPLAYABLE"
        first_failing_call = problems[0].split(": ")[1]
        assert first_failing_call in KNOWN_UNREPLAYABLE[entry_id], problems
        return
    assert not problems, f"{entry_id}:\n" + "\n".join(problems)


def test_known_unreplayable_names_only_real_entries() -> None:
    """A stale KNOWN_UNREPLAYABLE id would never be checked: each must be an entry."""
    assert set(KNOWN_UNREPLAYABLE) <= set(ENTRIES)


def test_every_ground_truth_call_is_replayed() -> None:
    """The replays cover every turn and call of every entry; none of the calls raises."""
    replays = [replay(entry_id) for entry_id in ENTRIES]
    assert set(ANSWERS) == set(ENTRIES)
    assert sum(each.turns for each in replays) == sum(len(turns) for turns in ANSWERS.values())
    assert sum(each.calls for each in replays) == sum(
        len(turn) for turns in ANSWERS.values() for turn in turns
    )
    assert sum(each.raised for each in replays) == RAISING_GROUND_TRUTH_CALLS


def test_mpmath_stand_in_changes_only_logarithm() -> None:
    """Without mpmath, logarithm's calls answer {"error": ...}; no other ground-truth call does."""
    logarithm_calls = sum(
        call.name == "logarithm"
        for entry_id in ENTRIES
        for turn in turns_of(entry_id)
        for call in turn
    )
    error_dicts = sum(replay(entry_id).error_dicts for entry_id in ENTRIES)
    assert error_dicts == (logarithm_calls if MPMATH_STOOD_IN else 0)


def test_raising_calls_become_error_results_and_the_batch_goes_on() -> None:
    """A BFCL method that raises gives a 'raised' result; the calls after it still run."""
    entry = ENTRIES["multi_turn_base_150"]
    first, second = turns_of("multi_turn_base_150")
    raising = [
        parse_call(
            "get_flight_cost(travel_from='RMS', travel_to='XXX', "
            "travel_date='2026-10-06', travel_class='economy')"
        ),
        parse_call("compute_exchange_rate(base_currency='XYZ', target_currency='USD', value=1.0)"),
    ]
    turns = [first, [second[0], raising[0], *second[1:], raising[1]]]
    result = asyncio.run(replay_turns(entry, turns))
    assert result.raised == 2
    assert not result.problems, "\n".join(result.problems)


def test_int_literal_for_float_parameter_arrives_as_float() -> None:
    """Pydantic validation gives a ``float`` parameter a float where BFCL's eval passes an int."""
    entry = ENTRIES["multi_turn_base_116"]
    direct = load_instances(entry)["TradingBot"]
    tools = load_instances(entry)["TradingBot"]
    direct.fund_account(amount=10000)
    toolbox = toolbox_for({"fund_account": tools.fund_account})
    [result] = toolbox.execute_sync([ToolCall("c1", "fund_account", '{"amount": 10000}')])
    assert not result.is_error
    assert type(direct.transaction_history[-1]["amount"]) is int
    assert type(tools.transaction_history[-1]["amount"]) is float
    assert tools.transaction_history[-1]["amount"] == direct.transaction_history[-1]["amount"]


@pytest.mark.parametrize("class_name", INVOLVED)
def test_documented_functions_are_the_public_methods(class_name: str) -> None:
    """Each class's multi-turn docs name exactly its public methods, so tools keep their names."""
    cls = API_CLASSES[class_name]
    public = {name for name, _ in inspect.getmembers(cls, inspect.isfunction)}
    assert set(DOC_NAMES[class_name]) == {name for name in public if not name.startswith("_")}
    assert len(DOC_NAMES[class_name]) == len(set(DOC_NAMES[class_name]))


def test_no_entry_has_two_classes_with_one_method_name() -> None:
    """No name needs routing: BFCL would send it to the last class, a Toolbox refuses it."""
    for entry in ENTRIES.values():
        names = [name for cls in entry["involved_classes"] for name in DOC_NAMES[cls]]
        assert len(names) == len(set(names)), entry["id"]


def test_excluded_functions_are_not_called_by_the_ground_truth() -> None:
    """Leaving an entry's excluded functions out of its Toolbox drops no ground-truth call."""
    for entry_id, entry in ENTRIES.items():
        called = {call.name for turn in turns_of(entry_id) for call in turn}
        assert not called & set(entry.get("excluded_function", [])), entry_id


def test_the_two_instance_sets_share_no_mutable_object() -> None:
    """Direct and Toolbox instances are independent, so equal final states mean something."""
    for entry in ENTRIES.values():
        first, second = load_instances(entry), load_instances(entry)  # both alive: ids unique
        assert not mutable_ids(first) & mutable_ids(second), entry["id"]
