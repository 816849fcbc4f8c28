"""The one call path: each endpoint described once, the generated request builders it relies on, and the retry
decision that follows from an endpoint's idempotency.

The overlay builds every request from the generated endpoints' `_get_kwargs` (the generator's private helper:
its public functions send through the generated client, which knows no retries, deadline or redaction). These
tests pin the shape the overlay relies on, so that a generator upgrade that changes it fails here first.
"""

from __future__ import annotations

import inspect
from typing import Any

import httpx
import pytest

from xpander_api import models as api
from xpander_api.api.tasks import create_task, get_task, list_agent_tasks, list_user_tasks, stop_task, update_task
from xpander_sdk import (
    APIConnectionError,
    APITimeoutError,
    BadRequestError,
    InternalServerError,
    InvalidResponseError,
    NotFoundError,
    RateLimitError,
    RequestInfo,
    _routes,
)
from xpander_sdk._request import Endpoint
from xpander_sdk._retry import may_retry
from xpander_sdk._task_model import Task, TasksListItem
from xpander_sdk.exceptions import APIStatusError, ModuleException


# -- the generated builders ---------------------------------------------------------------------------------------
def test_get_task_builder_shape() -> None:
    assert get_task._get_kwargs("t/1") == {"method": "get", "url": "/agent-execution/t%2F1/status"}


def test_stop_task_builder_shape() -> None:
    assert stop_task._get_kwargs("t/1") == {"method": "delete", "url": "/agent-execution/t%2F1"}


def test_update_task_builder_shape() -> None:
    generated = update_task._get_kwargs("t1", body=api.UpdateTaskRequest.from_dict({"result": ""}))
    assert generated == {
        "method": "patch",
        "url": "/agent-execution/t1/update",
        "json": {"result": ""},
        "headers": {"Content-Type": "application/json"},
    }


def test_create_task_builder_shape() -> None:
    parameters = inspect.signature(create_task._get_kwargs).parameters
    assert list(parameters) == ["agent_id", "body", "x_agent_version"]
    generated = create_task._get_kwargs("a b", body=api.CreateTaskRequest(input_=api.TaskInput()), x_agent_version="3")
    assert set(generated) == {"method", "url", "json", "headers"}
    assert (generated["method"], generated["url"]) == ("post", "/agent-execution/a%20b")
    assert generated["headers"] == {"x-agent-version": "3", "Content-Type": "application/json"}


@pytest.mark.parametrize(
    ("builder", "path_parameter", "user_id_parameter"),
    [(list_agent_tasks, "agent_id", "user_id"), (list_user_tasks, "user_id_path", "user_id_query")],
)
def test_list_builders_shape(builder: Any, path_parameter: str, user_id_parameter: str) -> None:
    """The generator renames the user list's `user_id` path and query parameters, which clash: the overlay maps
    the `user_id` filter to `user_id_query` (`_routes.list_by_user`)."""
    parameters = list(inspect.signature(builder._get_kwargs).parameters)
    filters = [user_id_parameter, "parent_task_id", "triggering_agent_id", "status", "internal_status"]
    assert parameters == [path_parameter, *filters]
    generated = builder._get_kwargs("x", **{user_id_parameter: "u", "parent_task_id": "", "status": "failed"})
    assert generated["method"] == "get"
    assert generated["params"] == {"user_id": "u", "parent_task_id": "", "status": "failed"}


# -- each endpoint described once -----------------------------------------------------------------------------------
def test_idempotency_belongs_to_the_endpoint() -> None:
    table = {name: endpoint.idempotent for name, endpoint in vars(_routes).items() if isinstance(endpoint, Endpoint)}
    assert table == {
        "CREATE": False,
        "GET": True,
        "STOP": True,
        "UPDATE": False,
        "LIST": True,
        "EVENTS": True,
        "ACTIVITY_LOG": True,
        "REPORT_METRICS": False,
        "REPORT_EXTERNAL_TASK": False,
        "PUSH_EVENTS": False,
        "GET_AGENT": True,
        "REGISTER_WORKER": True,
        "WORKER_EVENT": True,
    }


def test_calls_carry_the_generated_route() -> None:
    get = _routes.get("t 1", Task.from_dict)
    assert (get.method, get.path) == ("GET", "/agent-execution/t%201/status")
    assert (_routes.stop("t1", Task.from_dict).method, _routes.stop("t1", Task.from_dict).body) == ("DELETE", None)
    call = _routes.list_by_user("u/1", {"status": "failed", "user_id": "u2"}, TasksListItem.from_dict)
    assert call.path == "/agent-execution/executions/history/user/u%2F1"
    assert call.params == (("status", "failed"), ("user_id", "u2")), "the caller's order, as the official SDK"


# -- the retry decision -------------------------------------------------------------------------------------------
SENT = APIConnectionError("reset", request_sent=True)
NOT_SENT = APIConnectionError("refused", request_sent=False)
READ_TIMEOUT = APITimeoutError("read timeout", request_sent=True)


def _status(cls: type[APIStatusError], code: int) -> APIStatusError:
    return cls(code, "x")


@pytest.mark.parametrize(
    ("error", "idempotent", "retried"),
    [
        (NOT_SENT, False, True),
        (NOT_SENT, True, True),
        (SENT, False, False),
        (SENT, True, True),
        (READ_TIMEOUT, False, False),
        (READ_TIMEOUT, True, True),
        (_status(InternalServerError, 500), False, False),
        (_status(InternalServerError, 500), True, True),
        (_status(InternalServerError, 503), False, True),
        (_status(RateLimitError, 429), False, True),
        (_status(APIStatusError, 408), True, True),
        (_status(APIStatusError, 408), False, False),
        (_status(NotFoundError, 404), True, False),
        (_status(BadRequestError, 400), True, False),
        (InvalidResponseError(200, "not JSON"), True, False),
    ],
)
def test_retry_decision(error: ModuleException, idempotent: bool, retried: bool) -> None:
    assert may_retry(error, idempotent) is retried


@pytest.mark.parametrize(
    ("error", "unknown_when_not_idempotent"),
    [
        (SENT, True),
        (NOT_SENT, False),
        (_status(InternalServerError, 500), True),
        (InvalidResponseError(200, "x"), True),
    ],
)
def test_outcome_unknown_follows_idempotency(error: ModuleException, unknown_when_not_idempotent: bool) -> None:
    error.request = RequestInfo("POST", "https://api.test/agent-execution/a", idempotent=False)
    assert error.outcome_unknown is unknown_when_not_idempotent
    error.request = RequestInfo("GET", "https://api.test/agent-execution/t/status", idempotent=True)
    assert error.outcome_unknown is False


def test_request_info_has_no_userinfo_and_pickles() -> None:
    import pickle

    from tests.mock_api import FakeAPI
    from xpander_sdk import Configuration

    api_ = FakeAPI([lambda request: httpx.Response(404, json={"detail": "no"})])
    tasks = api_.tasks(configuration=Configuration(api_key="k-secret", base_url="https://user:pw@api.test"))
    with pytest.raises(NotFoundError) as caught:
        tasks.get("t1")
    assert caught.value.request == RequestInfo("GET", "https://api.test/agent-execution/t1/status", idempotent=True)
    assert str(caught.value.request) == "GET https://api.test/agent-execution/t1/status"
    assert pickle.loads(pickle.dumps(caught.value)).request == caught.value.request
