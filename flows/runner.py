"""How the ingest steps run: as Prefect task runs inside a flow run, or as the same functions in order without one.

One code path, two recorders. Under a Prefect server (``PREFECT_API_URL``, a worker running a deployment,
``outages serve``, the test harness) ``outages ingest`` calls the ``ingest`` flow and every step is a task run with its
retries, logs and artifacts on that server. Without a server the command calls the flow's own function
(``ingest.fn``, Prefect's documented way to call a decorated function "without any Prefect orchestration") and
:func:`step` calls each task's function (``task.fn``) in the same order, applying the same retry policy as the task
declares: no temporary API server is started, so a one-source run takes about two seconds instead of fifteen and
cannot fail because such a server was slow to start.

Retries are for transient failures only (:func:`is_transient`): a crashed crawl process, a refused connection, a
DuckDB file briefly held by another writer. A permission error, a full disk, a locked warehouse that stayed locked
or a bad catalog fail at once, in both modes.
"""

from __future__ import annotations

import functools
import logging
import sys
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, cast

if TYPE_CHECKING:
    from prefect import Task
    from prefect.client.schemas.objects import State, TaskRun

LOGGER_NAME = "outages"


def in_flow_run() -> bool:
    """True inside a Prefect flow run (its tasks are then recorded as task runs)."""
    if "prefect.context" not in sys.modules:
        return False  # Prefect was never loaded: there is no run
    from prefect.context import FlowRunContext

    return FlowRunContext.get() is not None


def in_prefect_run() -> bool:
    """True inside a Prefect flow run or task run (a task called on its own under a server is one)."""
    if "prefect.context" not in sys.modules:
        return False
    from prefect.context import FlowRunContext, TaskRunContext

    return FlowRunContext.get() is not None or TaskRunContext.get() is not None


def run_logger() -> logging.Logger | logging.LoggerAdapter[logging.Logger]:
    """The run's Prefect logger inside a flow or task run; otherwise the plain ``outages`` logger."""
    if in_prefect_run():
        from prefect import get_run_logger

        return get_run_logger()
    return logging.getLogger(LOGGER_NAME)


def is_transient(exc: BaseException) -> bool:
    """Whether trying again may succeed: only failures of something outside us that comes back by itself."""
    import duckdb

    from warehouse.lock import WriterLockTimeout

    if isinstance(exc, WriterLockTimeout):
        return False  # it already waited its full time
    if type(exc).__name__ == "CrawlError":  # the crawl process died (OOM, a signal): a fresh one may finish
        return True
    if isinstance(exc, duckdb.IOException):
        text = str(exc).lower()
        return "lock" in text and "permission" not in text
    return isinstance(exc, ConnectionError | TimeoutError)


def transient_only(task: Task[..., Any], task_run: TaskRun, state: State[Any]) -> bool:  # noqa: ARG001 (Prefect's signature)
    """``retry_condition_fn`` for the ingest tasks: Prefect retries a failed task run only when this says so."""
    failure = state.data if isinstance(state.data, BaseException) else state.result(raise_on_failure=False)
    return isinstance(failure, BaseException) and is_transient(failure)


def _delays(options: dict[str, Any]) -> list[float]:
    retries = int(options.get("retries") or 0)
    declared = options.get("retry_delay_seconds")
    if declared is None:
        return [0.0] * retries
    if isinstance(declared, int | float):
        return [float(declared)] * retries
    listed = [float(d) for d in declared]
    return [listed[min(i, len(listed) - 1)] for i in range(retries)]


def step(task: Any, *args: Any, **kwargs: Any) -> Any:
    """Run one ingest step: a task run inside a flow run, else the task's function with the task's retry policy."""
    if in_flow_run():
        return task(*args, **kwargs)
    function: Callable[..., Any] = task.fn
    options = task.options if isinstance(task, Deferred) else vars(task)
    delays = _delays(options)
    for attempt in range(len(delays) + 1):
        try:
            return function(*args, **kwargs)
        except Exception as exc:
            if attempt == len(delays) or not is_transient(exc):
                raise
            logging.getLogger(LOGGER_NAME).warning(
                "%s failed (%s); trying again in %gs", function.__name__, exc, delays[attempt]
            )
            time.sleep(delays[attempt])
    raise AssertionError("unreachable")  # pragma: no cover


def finish(result: Any, *, total: int, failed: dict[str, list[str]]) -> Any:
    """What the flow returns: inside a flow run, a ``Failed`` state when every source failed and a ``Completed`` one
    naming the failed sources when some did (both carrying ``result``); otherwise ``result`` itself."""
    if not failed or not in_flow_run():
        return result
    from prefect.states import Completed, Failed

    names = ", ".join(sorted(failed))
    if total and len(failed) >= total:
        return Failed(message=f"all {total} sources failed: {names}", data=result)
    return Completed(message=f"{len(failed)} of {total} sources failed: {names}", data=result)


def run_ingest(**parameters: Any) -> Any:
    """Run the ``ingest`` flow once and return its :class:`~flows.ingest.IngestResult`: as a flow run when a Prefect
    server is configured, else as the flow's function without one (the module docstring says why)."""
    from flows.ingest import IngestResult, ingest
    from flows.locking import prefect_server_url

    if not prefect_server_url():
        _log_to_stderr()
        return ingest.fn(**parameters)
    state = cast("State[Any]", ingest(**parameters, return_state=True))  # a sync flow: a state, not an awaitable
    result = state.result(raise_on_failure=False)
    if isinstance(result, BaseException):
        raise result
    if not isinstance(result, IngestResult):
        raise RuntimeError(f"the ingest flow run ended {state.type.value}: {state.message}")  # noqa: TRY004 (a run outcome)
    return result


def _log_to_stderr() -> None:
    """Without a flow run, the steps' log lines go to standard error at Prefect's configured level."""
    import os
    import sys

    logger = logging.getLogger(LOGGER_NAME)
    if not logger.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s.%(msecs)03d | %(levelname)-7s | %(message)s", "%H:%M:%S"))
        logger.addHandler(handler)
        logger.setLevel(os.environ.get("PREFECT_LOGGING_LEVEL", "INFO").upper())
        logger.propagate = False


class Deferred:
    """A Prefect task or flow built on first use, so that importing the ingest steps costs no Prefect import (about
    1.5 s of CPU: half of a one-source run). Calling it, or reading any Prefect attribute, builds the real object
    (``prefect.task(**options)(fn)``) and uses it; ``fn`` and ``options`` are there without Prefect. Where Prefect is
    already loaded (a worker, ``prefect deploy``, the test harness) the decorators return the real object at once."""

    def __init__(self, kind: str, fn: Callable[..., Any], options: dict[str, Any]) -> None:
        self.kind, self.fn, self.options = kind, fn, options
        self._real: Any = None
        functools.update_wrapper(self, fn)

    def real(self) -> Any:
        if self._real is None:
            self._real = _build(self.kind, self.fn, self.options)
        return self._real

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.real()(*args, **kwargs)

    def __getattr__(self, name: str) -> Any:  # only for what __init__ did not set: Prefect's own attributes
        if name.startswith("__") or name == "_real":
            raise AttributeError(name)
        return getattr(self.real(), name)


def _build(kind: str, fn: Callable[..., Any], options: dict[str, Any]) -> Any:
    if kind == "flow":
        from prefect import flow as prefect_flow

        return prefect_flow(**options)(fn)
    from prefect import task as prefect_task
    from prefect.cache_policies import NO_CACHE

    return prefect_task(cache_policy=NO_CACHE, **options)(fn)  # steps read and write files: never cached


def _decorator(kind: str, options: dict[str, Any]) -> Callable[[Callable[..., Any]], Any]:
    def wrap(fn: Callable[..., Any]) -> Any:
        if "prefect" in sys.modules:
            return _build(kind, fn, options)
        return Deferred(kind, fn, options)

    return wrap


def task(**options: Any) -> Callable[[Callable[..., Any]], Any]:
    """``@prefect.task(**options)`` for a step (never cached), built when first used (:class:`Deferred`)."""
    return _decorator("task", options)


def flow(**options: Any) -> Callable[[Callable[..., Any]], Any]:
    """``@prefect.flow(**options)``, built when first used (:class:`Deferred`)."""
    return _decorator("flow", options)
