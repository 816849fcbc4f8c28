from http import HTTPStatus
from typing import Any
from urllib.parse import quote

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.error_response import ErrorResponse
from ...models.http_validation_error import HTTPValidationError
from ...models.task import Task
from ...models.task_report_request import TaskReportRequest
from ...types import Response


def _get_kwargs(
    agent_id: str,
    *,
    body: TaskReportRequest,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/agent-execution/{agent_id}/report_task".format(
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

    if response.status_code == 201:
        response_201 = Task.from_dict(response.json())

        return response_201

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
    body: TaskReportRequest,
) -> Response[ErrorResponse | HTTPValidationError | Task]:
    """Report a task run outside xpander.ai

     Records a task that agent code ran elsewhere (its input, result, tokens and tools) as a task of the
    agent, and returns that task (`Task.areport_external_task()`). Not idempotent.

    Args:
        agent_id (str):
        body (TaskReportRequest): A task run outside xpander.ai (`Task.areport_external_task()`).
            The official SDK sends every key, in this order.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ErrorResponse | HTTPValidationError | Task]
    """

    kwargs = _get_kwargs(
        agent_id=agent_id,
        body=body,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    agent_id: str,
    *,
    client: AuthenticatedClient | Client,
    body: TaskReportRequest,
) -> ErrorResponse | HTTPValidationError | Task | None:
    """Report a task run outside xpander.ai

     Records a task that agent code ran elsewhere (its input, result, tokens and tools) as a task of the
    agent, and returns that task (`Task.areport_external_task()`). Not idempotent.

    Args:
        agent_id (str):
        body (TaskReportRequest): A task run outside xpander.ai (`Task.areport_external_task()`).
            The official SDK sends every key, in this order.

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
    ).parsed


async def asyncio_detailed(
    agent_id: str,
    *,
    client: AuthenticatedClient | Client,
    body: TaskReportRequest,
) -> Response[ErrorResponse | HTTPValidationError | Task]:
    """Report a task run outside xpander.ai

     Records a task that agent code ran elsewhere (its input, result, tokens and tools) as a task of the
    agent, and returns that task (`Task.areport_external_task()`). Not idempotent.

    Args:
        agent_id (str):
        body (TaskReportRequest): A task run outside xpander.ai (`Task.areport_external_task()`).
            The official SDK sends every key, in this order.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ErrorResponse | HTTPValidationError | Task]
    """

    kwargs = _get_kwargs(
        agent_id=agent_id,
        body=body,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    agent_id: str,
    *,
    client: AuthenticatedClient | Client,
    body: TaskReportRequest,
) -> ErrorResponse | HTTPValidationError | Task | None:
    """Report a task run outside xpander.ai

     Records a task that agent code ran elsewhere (its input, result, tokens and tools) as a task of the
    agent, and returns that task (`Task.areport_external_task()`). Not idempotent.

    Args:
        agent_id (str):
        body (TaskReportRequest): A task run outside xpander.ai (`Task.areport_external_task()`).
            The official SDK sends every key, in this order.

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
        )
    ).parsed
