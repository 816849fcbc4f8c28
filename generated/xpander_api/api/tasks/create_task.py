from http import HTTPStatus
from typing import Any
from urllib.parse import quote

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.create_task_request import CreateTaskRequest
from ...models.error_response import ErrorResponse
from ...models.http_validation_error import HTTPValidationError
from ...models.task import Task
from ...types import UNSET, Response, Unset


def _get_kwargs(
    agent_id: str,
    *,
    body: CreateTaskRequest,
    x_agent_version: str | Unset = UNSET,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}
    if not isinstance(x_agent_version, Unset):
        headers["x-agent-version"] = x_agent_version

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/agent-execution/{agent_id}".format(
            agent_id=quote(str(agent_id), safe=""),
        ),
    }

    _kwargs["json"] = body.to_dict()

    headers["Content-Type"] = "application/json"

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> ErrorResponse | HTTPValidationError | Task | None:
    if response.status_code == 200:
        response_200 = Task.from_dict(response.json())

        return response_200

    if response.status_code == 400:
        response_400 = ErrorResponse.from_dict(response.json())

        return response_400

    if response.status_code == 401:
        response_401 = ErrorResponse.from_dict(response.json())

        return response_401

    if response.status_code == 403:
        response_403 = ErrorResponse.from_dict(response.json())

        return response_403

    if response.status_code == 404:
        response_404 = ErrorResponse.from_dict(response.json())

        return response_404

    if response.status_code == 409:
        response_409 = ErrorResponse.from_dict(response.json())

        return response_409

    if response.status_code == 422:
        response_422 = HTTPValidationError.from_dict(response.json())

        return response_422

    if response.status_code == 429:
        response_429 = ErrorResponse.from_dict(response.json())

        return response_429

    if response.status_code == 500:
        response_500 = ErrorResponse.from_dict(response.json())

        return response_500

    if response.status_code == 503:
        response_503 = ErrorResponse.from_dict(response.json())

        return response_503

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Response[ErrorResponse | HTTPValidationError | Task]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    agent_id: str,
    *,
    client: AuthenticatedClient | Client,
    body: CreateTaskRequest,
    x_agent_version: str | Unset = UNSET,
) -> Response[ErrorResponse | HTTPValidationError | Task]:
    """Create a task on an agent

     Starts a new execution of the agent (or continues an existing one when `id` is given) and returns
    the task as the server stored it, usually with status `pending`. The task runs asynchronously: poll
    its status or stream its events to follow it. Creating a task is not idempotent: sending the same
    request twice starts two tasks.

    Args:
        agent_id (str):
        x_agent_version (str | Unset):
        body (CreateTaskRequest): The body of a create-task request. The official SDK sends every
            key, null where unset; the server requires `input` (its published schema, see xpander-
            wire.md) and gives every other key a default, so an unset key may also be left out. Keys
            are listed in the order the official SDK sends them. `input` is not in `required` because
            the generator writes required keys first, which would change the bytes the official SDK
            sends (`id` comes first); `x-server-required` says it instead, and the testing kit's fake
            server refuses a body without it, as the server does.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ErrorResponse | HTTPValidationError | Task]
    """

    kwargs = _get_kwargs(
        agent_id=agent_id,
        body=body,
        x_agent_version=x_agent_version,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    agent_id: str,
    *,
    client: AuthenticatedClient | Client,
    body: CreateTaskRequest,
    x_agent_version: str | Unset = UNSET,
) -> ErrorResponse | HTTPValidationError | Task | None:
    """Create a task on an agent

     Starts a new execution of the agent (or continues an existing one when `id` is given) and returns
    the task as the server stored it, usually with status `pending`. The task runs asynchronously: poll
    its status or stream its events to follow it. Creating a task is not idempotent: sending the same
    request twice starts two tasks.

    Args:
        agent_id (str):
        x_agent_version (str | Unset):
        body (CreateTaskRequest): The body of a create-task request. The official SDK sends every
            key, null where unset; the server requires `input` (its published schema, see xpander-
            wire.md) and gives every other key a default, so an unset key may also be left out. Keys
            are listed in the order the official SDK sends them. `input` is not in `required` because
            the generator writes required keys first, which would change the bytes the official SDK
            sends (`id` comes first); `x-server-required` says it instead, and the testing kit's fake
            server refuses a body without it, as the server does.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ErrorResponse | HTTPValidationError | Task
    """

    return sync_detailed(
        agent_id=agent_id,
        client=client,
        body=body,
        x_agent_version=x_agent_version,
    ).parsed


async def asyncio_detailed(
    agent_id: str,
    *,
    client: AuthenticatedClient | Client,
    body: CreateTaskRequest,
    x_agent_version: str | Unset = UNSET,
) -> Response[ErrorResponse | HTTPValidationError | Task]:
    """Create a task on an agent

     Starts a new execution of the agent (or continues an existing one when `id` is given) and returns
    the task as the server stored it, usually with status `pending`. The task runs asynchronously: poll
    its status or stream its events to follow it. Creating a task is not idempotent: sending the same
    request twice starts two tasks.

    Args:
        agent_id (str):
        x_agent_version (str | Unset):
        body (CreateTaskRequest): The body of a create-task request. The official SDK sends every
            key, null where unset; the server requires `input` (its published schema, see xpander-
            wire.md) and gives every other key a default, so an unset key may also be left out. Keys
            are listed in the order the official SDK sends them. `input` is not in `required` because
            the generator writes required keys first, which would change the bytes the official SDK
            sends (`id` comes first); `x-server-required` says it instead, and the testing kit's fake
            server refuses a body without it, as the server does.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ErrorResponse | HTTPValidationError | Task]
    """

    kwargs = _get_kwargs(
        agent_id=agent_id,
        body=body,
        x_agent_version=x_agent_version,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    agent_id: str,
    *,
    client: AuthenticatedClient | Client,
    body: CreateTaskRequest,
    x_agent_version: str | Unset = UNSET,
) -> ErrorResponse | HTTPValidationError | Task | None:
    """Create a task on an agent

     Starts a new execution of the agent (or continues an existing one when `id` is given) and returns
    the task as the server stored it, usually with status `pending`. The task runs asynchronously: poll
    its status or stream its events to follow it. Creating a task is not idempotent: sending the same
    request twice starts two tasks.

    Args:
        agent_id (str):
        x_agent_version (str | Unset):
        body (CreateTaskRequest): The body of a create-task request. The official SDK sends every
            key, null where unset; the server requires `input` (its published schema, see xpander-
            wire.md) and gives every other key a default, so an unset key may also be left out. Keys
            are listed in the order the official SDK sends them. `input` is not in `required` because
            the generator writes required keys first, which would change the bytes the official SDK
            sends (`id` comes first); `x-server-required` says it instead, and the testing kit's fake
            server refuses a body without it, as the server does.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ErrorResponse | HTTPValidationError | Task
    """

    return (
        await asyncio_detailed(
            agent_id=agent_id,
            client=client,
            body=body,
            x_agent_version=x_agent_version,
        )
    ).parsed
