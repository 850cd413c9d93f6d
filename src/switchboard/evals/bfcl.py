"""Function docs from the Berkeley Function Calling Leaderboard (BFCL) as switchboard tools.

BFCL describes each function in a JSON-Schema-like dialect of its own: Python and
Java type names (``dict``, ``float``, ``tuple``, ``any``, ``HashMap``...), an
``optional`` flag beside ``required``, a ``response`` schema for the return value,
and a few slips in its data (an ``enum`` of strings on a ``boolean``, ``minItems``
on an array's items instead of on the array). `bfcl_json_schema` rewrites one
``parameters`` object into draft 2020-12 JSON Schema, `from_bfcl` makes the tool,
and the ``load_*`` functions read the data shipped in the ``bfcl-eval`` package
(installed with ``pip install --no-deps bfcl-eval``; only its data files are used).

Example:
    >>> schema = bfcl_json_schema(
    ...     {"type": "dict", "properties": {"n": {"type": "float"}}, "required": ["n"]}
    ... )
    >>> schema["type"], schema["properties"]["n"]["type"]
    ('object', 'number')
"""

from __future__ import annotations

import copy
import importlib.util
import json
import re
from collections.abc import Callable, Mapping
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, cast

from switchboard.errors import ConfigurationError, ToolDefinitionError
from switchboard.tools.tool import Tool

if TYPE_CHECKING:
    from jsonschema.protocols import Validator

__all__ = [
    "bfcl_json_schema",
    "bfcl_tool_name",
    "from_bfcl",
    "load_bfcl",
    "load_multi_turn_docs",
    "load_possible_answers",
]

_INSTALL_HINT: Final = "Install its data with: pip install --no-deps bfcl-eval"

# BFCL type name -> JSON Schema type; None means any value (no "type" keyword). The
# names are those of bfcl_eval/constants/type_mappings.py (GORILLA_TO_OPENAPI) plus
# "Boolean" (simple_javascript) and "" (simple_javascript_23, a slip for "any"). BFCL
# itself sends "any" as "string", which rejects the numbers, lists and dicts that its
# own ground truth gives for "any" parameters: here "any" is unconstrained.
_JSON_TYPES: Final[Mapping[str, str | None]] = {
    "string": "string",
    "String": "string",
    "char": "string",
    "integer": "integer",
    "byte": "integer",
    "short": "integer",
    "long": "integer",
    "Bigint": "integer",
    "number": "number",
    "float": "number",
    "double": "number",
    "boolean": "boolean",
    "bool": "boolean",
    "Boolean": "boolean",
    "array": "array",
    "list": "array",
    "tuple": "array",
    "Array": "array",
    "ArrayList": "array",
    "Queue": "array",
    "Stack": "array",
    "dict": "object",
    "object": "object",
    "HashMap": "object",
    "Hashtable": "object",
    "any": None,
    "Any": None,
    "": None,
}

# Keywords BFCL uses with their JSON Schema meaning (and their near kin), copied as is.
_PLAIN_KEYWORDS: Final = frozenset(
    {
        "description",
        "title",
        "enum",
        "const",
        "format",
        "minimum",
        "maximum",
        "exclusiveMinimum",
        "exclusiveMaximum",
        "multipleOf",
        "minLength",
        "maxLength",
        "pattern",
        "minItems",
        "maxItems",
        "uniqueItems",
    }
)

# Keys rewritten by the converter itself.
_STRUCTURAL_KEYWORDS: Final = frozenset({"type", "properties", "items", "required", "default"})

# BFCL-only keys, dropped. "optional" (True, "True", "true" or "yes" on a property; a
# list of names on `parameters`) repeats what "required" says, and BFCL's checker reads
# only "required" (bfcl_eval/eval_checker/ast_eval/ast_checker.py,
# simple_function_checker). "response" (multi-turn docs) describes the return value,
# which no tool schema carries.
_DROPPED_KEYS: Final = frozenset({"optional", "response"})

# Array-only keywords that BFCL sometimes writes on the array's items (irrelevance_128).
_ARRAY_SIZE_KEYWORDS: Final = ("minItems", "maxItems")

_DOC_KEYS: Final = frozenset({"name", "description", "parameters"})


def bfcl_tool_name(name: str) -> str:
    r"""Map a BFCL function name to one that every provider accepts.

    BFCL names are dotted (``math.factorial``), which breaks the providers' rule
    ``^[a-zA-Z0-9_-]{1,64}$``. BFCL's own handlers replace each ``.`` with ``_``
    (``re.sub(r"\.", "_", item["name"])`` in ``convert_to_tool``,
    bfcl_eval/model_handler/utils.py), and so does this function, so that names match
    the ones BFCL's checker expects from models that cannot use dots.

    Args:
        name: The ``name`` of a BFCL function doc.

    Returns:
        The name with every ``.`` replaced by ``_``.

    Example:
        >>> bfcl_tool_name("math.factorial")
        'math_factorial'
    """
    return name.replace(".", "_")


def bfcl_json_schema(parameters: Mapping[str, Any], *, tool: str = "bfcl") -> dict[str, Any]:
    """Rewrite a BFCL ``parameters`` object as a draft 2020-12 JSON Schema.

    Type names become JSON Schema types (``dict`` -> ``object``, ``float`` ->
    ``number``, ``tuple`` -> ``array``, ``any`` -> no constraint...), recursively through
    ``properties`` and ``items``. Descriptions and JSON Schema keywords are kept;
    BFCL-only keys (``optional``, ``response``) are dropped. BFCL's data slips are
    mended so that the schema accepts what BFCL's checker accepts:

    - a ``dict`` without properties stays free-form (no ``properties`` keyword, which
      strict-mode transforms would read as "no keys");
    - a ``required`` name with no property gets an unconstrained property ``{}``;
    - an ``enum`` on an array constrains its items; an ``enum`` whose values do not
      have the declared type retypes the node to the values' types (``"True"``,
      ``"dontcare"`` on a ``boolean``);
    - ``minItems``/``maxItems`` written on the items move to the array;
    - a ``default`` that its own schema rejects (``None`` for an ``integer``) is
      dropped.

    Args:
        parameters: The ``parameters`` of a BFCL function doc (``{"type": "dict", ...}``).
        tool: The tool's name, for error messages.

    Returns:
        A new JSON Schema dict with top-level ``"type": "object"`` and ``properties``.

    Raises:
        ToolDefinitionError: A type name or key that has no JSON Schema meaning here,
            or top-level parameters that are not a ``dict``.
    """
    schema = _convert(parameters, tool=tool, path="")
    if schema.get("type") != "object":
        msg = (
            f"Tool {tool!r}: BFCL parameters have type {parameters.get('type')!r}. "
            "A function's parameters must be a 'dict'."
        )
        raise ToolDefinitionError(msg, tool=tool)
    schema.setdefault("properties", {})
    return schema


def from_bfcl(doc: Mapping[str, Any], handler: Callable[..., Any] | None = None) -> Tool:
    """Make a tool from one BFCL function doc.

    Args:
        doc: ``{"name": ..., "description": ..., "parameters": {"type": "dict", ...}}``,
            as found in BFCL's ``function`` lists and ``multi_turn_func_doc`` files.
        handler: The function to run when the tool is called; ``None`` for a tool that is
            only described to a model.

    Returns:
        The tool, named by `bfcl_tool_name`, with parameters from `bfcl_json_schema`.

    Raises:
        ToolDefinitionError: The doc lacks a name or parameters, or uses a type or key
            that has no JSON Schema meaning.
    """
    raw_name = doc.get("name")
    if not isinstance(raw_name, str):
        msg = f"BFCL function doc has no string 'name': {_preview(doc)}. Pass one BFCL doc."
        raise ToolDefinitionError(msg, tool=str(raw_name))
    name = bfcl_tool_name(raw_name)
    _check_doc_keys(doc, tool=name)
    parameters = _json_object(doc.get("parameters"))
    if parameters is None:
        msg = f"Tool {name!r}: BFCL function doc has no 'parameters' object."
        raise ToolDefinitionError(msg, tool=name)
    return Tool.from_schema(
        name=name,
        description=str(doc.get("description", "")),
        parameters=bfcl_json_schema(parameters, tool=name),
        handler=handler,
    )


def load_bfcl(category: str) -> list[dict[str, Any]]:
    """Read the test entries of one BFCL category.

    Args:
        category: A category name, e.g. ``"simple_python"`` (file ``BFCL_v4_{category}.json``).

    Returns:
        The entries, in file order; each has an ``id``, a ``question`` and usually a
        ``function`` list of docs (multi-turn entries name ``involved_classes`` instead).

    Raises:
        ConfigurationError: ``bfcl-eval`` is not installed, or has no such category.
    """
    return _read_json_lines(_category_file(_data_dir(), category))


def load_possible_answers(category: str) -> dict[str, list[Any]]:
    """Read the ground truth of one BFCL category, by entry id.

    Args:
        category: A category name, e.g. ``"simple_python"``.

    Returns:
        Entry id -> its ``ground_truth`` list: ``[{"func.name": {"param": [possible
        values...]}}]`` (``""`` among the values: the parameter may be omitted), or for
        multi-turn categories one list of Python call strings per turn.

    Raises:
        ConfigurationError: ``bfcl-eval`` is not installed, or the category has no
            possible answers (irrelevance categories have none).
    """
    path = _category_file(_data_dir() / "possible_answer", category)
    return {entry["id"]: entry["ground_truth"] for entry in _read_json_lines(path)}


def load_multi_turn_docs() -> list[dict[str, Any]]:
    """Read every function doc of BFCL's multi-turn APIs (``multi_turn_func_doc/``).

    Returns:
        The docs of all API files, in file-name order, then file order. The memory
        APIs' files share some function names.

    Raises:
        ConfigurationError: ``bfcl-eval`` is not installed.
    """
    folder = _data_dir() / "multi_turn_func_doc"
    files = sorted(
        (item for item in folder.iterdir() if item.name.endswith(".json")),
        key=lambda item: item.name,
    )
    return [doc for file in files for doc in _read_json_lines(file)]


def _convert(node: Mapping[str, Any], *, tool: str, path: str) -> dict[str, Any]:
    """Rewrite one BFCL schema node (and those below it) as JSON Schema."""
    schema: dict[str, Any] = {}
    json_type = _json_type(node.get("type"), tool=tool, path=path)
    if json_type is not None:
        schema["type"] = json_type
    for key, value in node.items():
        if key in _PLAIN_KEYWORDS:
            schema[key] = copy.deepcopy(value)
        elif key not in _STRUCTURAL_KEYWORDS and key not in _DROPPED_KEYS:
            msg = (
                f"Tool {tool!r}: key {key!r} at {path or '/'} is not part of BFCL's "
                "schema dialect. Remove it, or build the tool with Tool.from_schema."
            )
            raise ToolDefinitionError(msg, tool=tool, parameter=path or None)
    if "properties" in node or "required" in node:
        schema.update(_object_keywords(node, tool=tool, path=path))
    if "items" in node:
        schema.update(_array_keywords(node["items"], tool=tool, path=path))
    _mend_enum(schema)
    if "default" in node and _is_valid(node["default"], schema):
        schema["default"] = copy.deepcopy(node["default"])
    return schema


def _json_type(name: object, *, tool: str, path: str) -> str | None:
    """Map a BFCL type name to a JSON Schema type (None: any value)."""
    if name is None:
        return None
    if isinstance(name, str) and name in _JSON_TYPES:
        return _JSON_TYPES[name]
    known = ", ".join(repr(known) for known in _JSON_TYPES)
    msg = f"Tool {tool!r}: BFCL type {name!r} at {path or '/'} is unknown. Use one of {known}."
    raise ToolDefinitionError(msg, tool=tool, parameter=path or None)


def _object_keywords(node: Mapping[str, Any], *, tool: str, path: str) -> dict[str, Any]:
    """Convert ``properties`` and ``required``, declaring required names BFCL left out.

    A ``dict`` with no properties is a free-form dict in BFCL (``{"Alice": [...]}``
    answers simple_python_337), so it gets no ``properties`` keyword at all: an empty
    one would read as "no keys" to strict-mode transforms.
    """
    raw_properties = _json_object(node.get("properties") or {})
    if raw_properties is None:
        msg = f"Tool {tool!r}: BFCL 'properties' at {path or '/'} is not an object."
        raise ToolDefinitionError(msg, tool=tool, parameter=path or None)
    properties = {
        str(name): _convert(
            _subschema(sub, tool=tool, path=f"{path}/properties/{name}"),
            tool=tool,
            path=f"{path}/properties/{name}",
        )
        for name, sub in raw_properties.items()
    }
    keywords: dict[str, Any] = {}
    if "required" in node:
        required = _json_list(node["required"])
        if required is None:
            msg = f"Tool {tool!r}: BFCL 'required' at {path or '/'} is not a list of names."
            raise ToolDefinitionError(msg, tool=tool, parameter=path or None)
        keywords["required"] = list(dict.fromkeys(str(name) for name in required))
    # parallel_29 requires "adults", "children", "singles" of a dict with no properties:
    # each is any value. Declaring them keeps the meaning and satisfies the providers
    # (Gemini rejects a required name that is not a property).
    for name in keywords.get("required", []):
        properties.setdefault(name, {})
    if properties:
        keywords["properties"] = properties
    return keywords


def _array_keywords(items: object, *, tool: str, path: str) -> dict[str, Any]:
    """Convert ``items``, moving array-size keywords misplaced on the items to the array."""
    converted = _convert(
        _subschema(items, tool=tool, path=f"{path}/items"), tool=tool, path=f"{path}/items"
    )
    keywords: dict[str, Any] = {"items": converted}
    if converted.get("type") == "array":
        return keywords
    for key in _ARRAY_SIZE_KEYWORDS:
        if key in converted:
            keywords[key] = converted.pop(key)
    return keywords


def _mend_enum(schema: dict[str, Any]) -> None:
    """Make an ``enum`` agree with the node's type, as BFCL's ground truth reads it."""
    enum = _json_list(schema.get("enum"))
    if enum is None or "type" not in schema:
        return
    items = _json_object(schema.get("items"))
    scalars = not any(isinstance(value, list) for value in enum)
    if schema["type"] == "array" and items is not None and "enum" not in items and scalars:
        # live_multiple_146: an enum of strings on an array of strings lists the allowed
        # elements.
        schema["items"] = {**items, "enum": schema.pop("enum")}
        return
    if all(_has_type(value, schema["type"]) for value in enum):
        return
    # live_*: "boolean" with enum ["True", "False", "dontcare"]; the ground truth uses
    # the strings, so the enum is the truth and the type follows it.
    types = sorted({_type_of(value) for value in enum})
    schema["type"] = types[0] if len(types) == 1 else types


def _has_type(value: object, json_type: object) -> bool:
    """Tell whether a value has a JSON Schema type."""
    # jsonschema is imported where used (here and below): ~30 ms that `import switchboard`
    # does not pay for a program that never reads BFCL.
    from jsonschema import Draft202012Validator

    return isinstance(json_type, str) and Draft202012Validator.TYPE_CHECKER.is_type(
        value, json_type
    )


def _is_valid(value: Any, schema: Mapping[str, Any]) -> bool:
    """Tell whether a value satisfies a schema, formats included (as `Tool.validate` checks)."""
    from jsonschema import Draft202012Validator

    validator: Validator = Draft202012Validator(
        schema, format_checker=Draft202012Validator.FORMAT_CHECKER
    )
    # The stubs leave iter_errors' deprecated two-argument overload untyped.
    errors = validator.iter_errors(value)  # pyright: ignore[reportUnknownMemberType]
    return next(iter(errors), None) is None


def _type_of(value: object) -> str:
    """The JSON Schema type name of a JSON value."""
    from jsonschema import Draft202012Validator

    checker = Draft202012Validator.TYPE_CHECKER
    for name in ("null", "boolean", "integer", "number", "string", "array", "object"):
        if checker.is_type(value, name):
            return name
    return "string"


def _subschema(node: object, *, tool: str, path: str) -> dict[str, Any]:
    """Check that a nested BFCL schema is an object."""
    schema = _json_object(node)
    if schema is not None:
        return schema
    msg = f"Tool {tool!r}: BFCL schema at {path} is {node!r}, not an object."
    raise ToolDefinitionError(msg, tool=tool, parameter=path)


def _json_object(value: object) -> dict[str, Any] | None:
    """A JSON object as a str-keyed dict (None for anything else)."""
    if not isinstance(value, Mapping):
        return None
    mapping = cast("Mapping[object, Any]", value)
    return {str(key): item for key, item in mapping.items()}


def _json_list(value: object) -> list[Any] | None:
    """A JSON array as a list (None for anything else)."""
    return cast("list[Any]", value) if isinstance(value, list) else None


def _check_doc_keys(doc: Mapping[str, Any], *, tool: str) -> None:
    """Reject top-level doc keys that the converter does not know."""
    unknown = sorted(set(doc) - _DOC_KEYS - _DROPPED_KEYS)
    if unknown:
        msg = (
            f"Tool {tool!r}: BFCL function doc has unknown keys {unknown}. "
            f"Expected only {sorted(_DOC_KEYS | _DROPPED_KEYS)}."
        )
        raise ToolDefinitionError(msg, tool=tool)


def _preview(doc: Mapping[str, Any]) -> str:
    """A short text of a doc for error messages."""
    text = json.dumps(doc, default=str)
    return text if len(text) <= 120 else f"{text[:117]}..."


def _data_dir() -> Traversable:
    """The ``data`` folder of the installed ``bfcl_eval`` package."""
    try:
        return resources.files("bfcl_eval") / "data"
    except ImportError:
        # Installed --no-deps, bfcl_eval's __init__ may import what is missing; its data
        # needs none of it, and find_spec locates the package without running it.
        pass
    try:
        spec = importlib.util.find_spec("bfcl_eval")
    except (ImportError, ValueError):
        spec = None
    if spec is None or not spec.submodule_search_locations:
        msg = f"The BFCL data is not installed (no package 'bfcl_eval'). {_INSTALL_HINT}"
        raise ConfigurationError(msg)
    return Path(next(iter(spec.submodule_search_locations))) / "data"


def _category_file(folder: Traversable, category: str) -> Traversable:
    """The ``BFCL_v4_{category}.json`` file in a folder, or a helpful error."""
    file = folder / f"BFCL_v4_{category}.json"
    if re.fullmatch(r"[a-z0-9_]+", category) and file.is_file():
        return file
    if not folder.is_dir():
        msg = f"The BFCL data folder {folder} is missing. {_INSTALL_HINT}"
        raise ConfigurationError(msg)
    known = sorted(
        item.name.removeprefix("BFCL_v4_").removesuffix(".json")
        for item in folder.iterdir()
        if item.name.startswith("BFCL_v4_") and item.name.endswith(".json")
    )
    msg = f"BFCL has no file for category {category!r} in {folder}. Known: {', '.join(known)}."
    raise ConfigurationError(msg)


def _read_json_lines(file: Traversable) -> list[dict[str, Any]]:
    """Parse a JSON Lines file of objects."""
    entries: list[dict[str, Any]] = []
    for number, line in enumerate(file.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            entry = json.loads(line)
        except json.JSONDecodeError as e:
            msg = f"{file}, line {number}: not JSON Lines ({e.msg}). It is no BFCL test file."
            raise ConfigurationError(msg) from e
        obj = _json_object(entry)
        if obj is None:
            msg = f"{file}, line {number}: a JSON {type(entry).__name__}, not an object."
            raise ConfigurationError(msg)
        entries.append(obj)
    return entries
