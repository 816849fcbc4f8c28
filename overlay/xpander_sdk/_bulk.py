"""Bulk helpers on top of one create: create then wait under one deadline (`Tasks.acreate_and_wait`), and many
creates at once, bounded (`Tasks.acreate_many`). They call the facade they are given (its `acreate`/`create`)
and the waits of the tasks it returns: this floor imports neither.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, TypeAlias

from ._bodies import CREATE_PARAMETERS
from ._checks import flag, refuse, whole_number
from ._deadline import ATTEMPT_DEADLINE, Deadline
from ._requestor import OPTION_NAMES
from ._wait import check_wait_timeout
from .exceptions import APITimeoutError, InvalidArgumentError, ModuleException, WaitTimeoutError

if TYPE_CHECKING:
    from ._facade import Tasks
    from ._task_model import Task

MANY_PARAMETERS = frozenset(CREATE_PARAMETERS) | OPTION_NAMES | {"retry_unsafe"}
"""What each dict of `acreate_many` may hold: `acreate`'s parameters and options."""


def check_wait(wait_timeout: object, raise_on_failure: object) -> tuple[float, bool]:
    """The checked `wait_timeout` and `raise_on_failure` of `acreate_and_wait`."""
    return check_wait_timeout(wait_timeout, "wait_timeout"), flag("raise_on_failure", raise_on_failure)


# -- create, then wait ----------------------------------------------------------------------------------------------
async def acreate_and_wait(
    tasks: Tasks, args: tuple[Any, ...], kwargs: dict[str, Any], timeout: float, raising: bool
) -> Task:
    """`Tasks.acreate_and_wait`: one deadline for the create and the wait."""
    from anyio import fail_after  # noqa: PLC0415 - httpx's own dependency, imported when first needed

    deadline = Deadline.after(timeout)
    try:
        with fail_after(timeout):
            task = await tasks.acreate(*args, **kwargs)
    except TimeoutError:
        raise _not_created(timeout) from None
    return await task.await_result(timeout=max(deadline.cap(timeout), 0.001), raise_on_failure=raising)


def create_and_wait(tasks: Tasks, args: tuple[Any, ...], kwargs: dict[str, Any], timeout: float, raising: bool) -> Task:
    """`Tasks.create_and_wait`: the create's attempts and pauses are bounded by the deadline too."""
    deadline = Deadline.after(timeout)
    token = ATTEMPT_DEADLINE.set(deadline.at)
    try:
        task = tasks.create(*args, **kwargs)
    except APITimeoutError as error:
        if deadline.passed():
            raise _not_created(timeout) from error
        raise
    finally:
        ATTEMPT_DEADLINE.reset(token)
    left = deadline.cap(timeout)
    if left <= 0:
        raise WaitTimeoutError(
            f"Task {task.id} was created, but the {timeout:g} s to wait for it had passed", task=task
        )
    return task.wait(timeout=left, raise_on_failure=raising)


def _not_created(timeout: float) -> WaitTimeoutError:
    return WaitTimeoutError(
        f"The create did not answer within {timeout:g} s; the task may exist (list the agent's tasks before "
        f"creating it again)"
    )


# -- many at once -----------------------------------------------------------------------------------------------------
Outcome: TypeAlias = "Task | ModuleException"
"""What `acreate_many` gives for each arguments: the task, or the error that ended its create (or wait)."""


def check_many(
    arguments: object, concurrency: object, wait: object, wait_timeout: object, raise_on_failure: object
) -> tuple[list[dict[str, Any]], int, float | None, bool]:
    """The arguments of `acreate_many`, all checked before anything is sent: the argument dicts (each of
    `acreate`'s parameter names, with `agent_id`), the concurrency, the seconds to wait for each (None: no
    wait) and whether a failed task raises."""
    if isinstance(arguments, str | bytes | Mapping) or not isinstance(arguments, Iterable):
        raise refuse("arguments", "a list of dicts of acreate's arguments", arguments)
    count = whole_number("concurrency", concurrency, minimum=1, expected="an int >= 1")
    checked = [_one_of_many(index, item) for index, item in enumerate(arguments)]
    seconds = check_wait_timeout(wait_timeout, "wait_timeout") if flag("wait", wait) else None
    return checked, count, seconds, flag("raise_on_failure", raise_on_failure)


def _one_of_many(index: int, item: object) -> dict[str, Any]:
    if not isinstance(item, Mapping):
        raise InvalidArgumentError(
            "arguments", f"arguments[{index}] must be a dict of acreate's arguments, got {item!r}"
        )
    unknown = sorted(set(item) - MANY_PARAMETERS)
    if unknown or "agent_id" not in item:
        what = f"has no parameter {unknown[0]!r}" if unknown else "needs agent_id"
        raise InvalidArgumentError("arguments", f"arguments[{index}]: acreate {what}")
    return dict(item)


async def acreate_many(
    tasks: Tasks, arguments: list[dict[str, Any]], concurrency: int, wait: float | None, raising: bool
) -> list[Outcome]:
    """`Tasks.acreate_many`: `concurrency` workers take the next arguments in turn; results in input order."""
    from anyio import create_task_group  # noqa: PLC0415

    results: list[Outcome | None] = [None] * len(arguments)
    indexes = iter(range(len(arguments)))

    async def worker() -> None:
        for index in indexes:
            try:
                if wait is None:
                    results[index] = await tasks.acreate(**arguments[index])
                else:
                    results[index] = await acreate_and_wait(tasks, (), arguments[index], wait, raising)
            except ModuleException as error:
                results[index] = error

    async with create_task_group() as group:
        for _ in range(min(concurrency, len(arguments))):
            group.start_soon(worker)
    return [result for result in results if result is not None]  # every index was filled


def create_many(
    tasks: Tasks, arguments: list[dict[str, Any]], concurrency: int, wait: float | None, raising: bool
) -> list[Outcome]:
    """`Tasks.create_many`: the sync twin, on `concurrency` threads sharing the sync client's pool."""
    from concurrent.futures import ThreadPoolExecutor  # noqa: PLC0415

    def one(kwargs: dict[str, Any]) -> Outcome:
        try:
            if wait is None:
                return tasks.create(**kwargs)
            return create_and_wait(tasks, (), kwargs, wait, raising)
        except ModuleException as error:
            return error

    if not arguments:
        return []
    with ThreadPoolExecutor(max_workers=min(concurrency, len(arguments)), thread_name_prefix="xpander-create") as pool:
        return list(pool.map(one, arguments))
