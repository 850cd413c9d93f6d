"""Connecting to Ray: the optional extra, imported only here and only when used.

A local cluster started by switchboard runs offline: no dashboard, and Ray's usage
statistics (which its dashboard process would otherwise send to usage-stats.ray.io) are off
unless ``RAY_USAGE_STATS_ENABLED`` says otherwise.
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Generator
from types import ModuleType
from typing import Any

from switchboard.errors import ConfigurationError

__all__ = ["connect", "disconnect", "import_ray", "largest_node_cpus"]

_USAGE_STATS = "RAY_USAGE_STATS_ENABLED"


def import_ray() -> ModuleType:
    """The ``ray`` module.

    Raises:
        ImportError: Ray is not installed; the message says how to install it.
    """
    try:
        import ray
    except ImportError as e:
        msg = 'Ray is not installed. Install the extra: pip install "switchboard[ray]"'
        raise ImportError(msg) from e
    return ray


def connect(address: str | None = "local") -> bool:
    """Connect this process to Ray, unless it already is; whether it connected now.

    Args:
        address: ``"local"``: start a new local cluster (stopped by `disconnect`);
            ``"auto"``: the cluster of ``RAY_ADDRESS`` or the one started on this machine
            (``ray start --head``); an address; ``None``: Ray's own choice (``RAY_ADDRESS``,
            a cluster on this machine, else a new local one).

    Raises:
        ConfigurationError: No cluster answers at ``address``.
        ImportError: Ray is not installed.
    """
    ray = import_ray()
    if ray.is_initialized():
        return False
    options: dict[str, Any] = {"logging_level": logging.WARNING}
    if address in (None, "local"):
        options["include_dashboard"] = False
    try:
        with _usage_stats_off():
            ray.init(address=address, **options)
    except ConnectionError as e:
        msg = (
            f"No Ray cluster answers at {address!r} ({e}). Start one (`ray start --head`), "
            "pass its address, or run on a local cluster started for the batch (--ray)."
        )
        raise ConfigurationError(msg) from e
    return True


def disconnect() -> None:
    """Leave Ray: a local cluster this process started stops; any other goes on."""
    import_ray().shutdown()


def largest_node_cpus() -> float:
    """The CPUs of the largest live node: what one actor can reserve at most."""
    ray = import_ray()
    nodes: list[dict[str, Any]] = ray.nodes()
    cpus = [float(node.get("Resources", {}).get("CPU", 0)) for node in nodes if node.get("Alive")]
    return max(cpus, default=1.0) or 1.0


@contextlib.contextmanager
def _usage_stats_off() -> Generator[None]:
    """Ray's usage statistics off for the processes ``ray.init`` starts, unless set already."""
    if _USAGE_STATS in os.environ:
        yield
        return
    os.environ[_USAGE_STATS] = "0"
    try:
        yield
    finally:
        os.environ.pop(_USAGE_STATS, None)
