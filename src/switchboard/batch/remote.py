"""`Ray`: run a tool's calls as Ray tasks, with the resources they need (a GPU, many CPUs).

``@tools.register(remote=Ray(num_gpus=1))`` keeps everything else of the call here: the
executor parses, repairs and validates the arguments, runs the hooks and approval, arms the
time limits, and writes the result; only the handler runs on the cluster, as a Ray task
reserving those resources. The call's timeout (the tool's, the batch's or the run's)
cancels the task, killing its worker (``ray.cancel(force=True)``: a tool stuck in C code
stops too). A worker that dies is retried by Ray (``max_retries``); past that, the call's
result is an error for the model (`WorkerLost`). An exception the tool raises comes back as
itself, and is the model's error result as a local tool's would be.

The handler goes to the worker by name: its module (importable there, or the file it was
loaded from, sent as text once per process, see `SourceFile`) and its qualified name. Only a
function with no importable home (defined in ``__main__`` or inside another function) is
pickled, by value. The worker imports the module once and keeps it.

Ray is imported on the first call, not before: registering a remote tool needs no Ray.
"""

from __future__ import annotations

import asyncio
import inspect
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from switchboard.batch.cluster import connect, import_ray
from switchboard.batch.sources import SourceFile, import_module_from
from switchboard.blocking import run_blocking
from switchboard.errors import ConfigurationError

__all__ = ["FunctionRef", "Ray", "WorkerLost"]

_HANDLERS: dict[tuple[str, str], Callable[..., Any]] = {}
"""A worker's handlers, by module and qualified name: each imported once."""


class WorkerLost(RuntimeError):
    """The Ray worker running a remote tool's call died, on each of the tries Ray gave it."""


@dataclass(frozen=True, slots=True)
class FunctionRef:
    """A function named so that a worker can import it.

    Attributes:
        module: The module's name.
        qualname: The function's qualified name in it.
        source: The file it was loaded from, when the module is not importable by name.
    """

    module: str
    qualname: str
    source: SourceFile | None = None

    def resolve(self) -> Callable[..., Any]:
        """The function, its module imported on first use and kept.

        Raises:
            ConfigurationError: The module or the name cannot be found here.
        """
        key = (self.module, self.qualname)
        found = _HANDLERS.get(key)
        if found is not None:
            return found
        value: Any = import_module_from(self.module, self.source)
        for part in self.qualname.split("."):
            value = getattr(value, part, None)
        handler = _handler_of(value)
        if handler is None:
            msg = f"{self.module}.{self.qualname} is no function on this worker."
            raise ConfigurationError(msg)
        _HANDLERS[key] = handler
        return handler


@dataclass(frozen=True)
class Ray:
    """Run a tool's calls as Ray tasks: ``@tools.register(remote=Ray(num_gpus=1))``.

    Connects to Ray on the first call when this process is not connected yet
    (``ray.init()``: ``RAY_ADDRESS``, a cluster on this machine, else a new local one).

    Attributes:
        num_cpus: CPUs each call reserves.
        num_gpus: GPUs each call reserves.
        memory: Bytes of memory each call reserves (``None``: none reserved).
        resources: Custom resources each call reserves (``{"TPU": 1}``).
        max_retries: Times Ray runs a call again whose worker died (Ray's default: 3).
        options: Any other option of Ray's ``.options()`` (``runtime_env``,
            ``scheduling_strategy``, ``accelerator_type``, ...).

    Example:
        >>> from switchboard import Toolbox
        >>> tools = Toolbox()
        >>> @tools.register(remote=Ray(num_cpus=2), timeout=60)
        ... def render(scene: str) -> str:
        ...     '''Render a scene.'''
        ...     return scene.upper()
        >>> tools.get("render").remote
        Ray(num_cpus=2, num_gpus=0, memory=None, resources=None, max_retries=3, options={})
    """

    num_cpus: float = 1
    num_gpus: float = 0
    memory: int | None = None
    resources: Mapping[str, float] | None = None
    max_retries: int = 3
    options: Mapping[str, Any] = field(default_factory=lambda: {})
    _targets: dict[int, tuple[Callable[..., Any], FunctionRef | None]] = field(
        default_factory=lambda: {}, init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        problems: list[str] = []
        if self.num_cpus < 0 or self.num_gpus < 0:
            problems.append(f"num_cpus and num_gpus must be 0 or more (got {self})")
        if self.max_retries < 0:
            problems.append(f"max_retries must be 0 or more (got {self.max_retries})")
        if problems:
            msg = f"Ray(...): {'; '.join(problems)}."
            raise ConfigurationError(msg)

    async def call(
        self,
        name: str,
        handler: Callable[..., Any],
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
    ) -> Any:
        """Run ``handler(*args, **kwargs)`` as a Ray task; its value, or its exception.

        Raises:
            WorkerLost: The worker died on every try.
            ImportError: Ray is not installed.
        """
        ray = import_ray()
        if not ray.is_initialized():
            await asyncio.to_thread(connect, None)
        ref = _task().options(**self._ray_options(name)).remote(self._target(handler), args, kwargs)
        try:
            return await ref
        except asyncio.CancelledError:
            ray.cancel(ref, force=True)  # a timeout: the work stops, not only the wait
            raise
        except ray.exceptions.RayTaskError as e:  # the tool raised: its own exception
            cause = e.cause
            if isinstance(cause, Exception):
                raise cause from None
            raise
        except ray.exceptions.RayError as e:
            tries = "once" if self.max_retries == 0 else f"{self.max_retries + 1} times"
            msg = (
                f"the Ray worker running {name} failed ({type(e).__name__}), each of the "
                f"{tries} Ray ran it. Answer without it, or tell the user."
            )
            raise WorkerLost(msg) from None

    def _ray_options(self, name: str) -> dict[str, Any]:
        options: dict[str, Any] = {
            "name": name,
            "num_cpus": self.num_cpus,
            "num_gpus": self.num_gpus,
            "max_retries": self.max_retries,
            "retry_exceptions": False,  # a tool's own errors go back to the model
        }
        if self.memory is not None:
            options["memory"] = self.memory
        if self.resources is not None:
            options["resources"] = dict(self.resources)
        options.update(self.options)
        return options

    def _target(self, handler: Callable[..., Any]) -> FunctionRef | Callable[..., Any]:
        """What the task is sent to name ``handler``: its `FunctionRef` (made once), or itself."""
        kept = self._targets.get(id(handler))
        if kept is None or kept[0] is not handler:
            kept = self._targets[id(handler)] = (handler, function_ref(handler))
        return kept[1] or handler


def function_ref(handler: Callable[..., Any]) -> FunctionRef | None:
    """``handler`` named by its module and qualified name; ``None`` when it has no such home."""
    module_name = getattr(handler, "__module__", None)
    qualname = getattr(handler, "__qualname__", None)
    if not module_name or not qualname or module_name == "__main__" or "<" in qualname:
        return None
    path = getattr(sys.modules.get(module_name), "__file__", None)
    source = SourceFile.read(path) if isinstance(path, str) and path.endswith(".py") else None
    return FunctionRef(module_name, qualname, source)


def _handler_of(value: Any) -> Callable[..., Any] | None:
    """The function behind a module attribute: itself, or a `Tool`'s handler."""
    from switchboard.tools.tool import Tool

    if isinstance(value, Tool):
        return value.handler
    return value if callable(value) else None


def _call_tool(target: FunctionRef | Callable[..., Any], args: Any, kwargs: Any) -> Any:
    """The Ray task: import the handler (once per worker) and call it."""
    handler = target.resolve() if isinstance(target, FunctionRef) else target
    value = handler(*args, **kwargs)
    if inspect.isawaitable(value):
        return run_blocking(_awaited(value))
    return value


async def _awaited(value: Any) -> Any:
    return await value


_REMOTE: list[Any] = []


def _task() -> Any:
    """`_call_tool` as a Ray remote function, made once."""
    if not _REMOTE:
        _REMOTE.append(import_ray().remote(_call_tool))
    return _REMOTE[0]
