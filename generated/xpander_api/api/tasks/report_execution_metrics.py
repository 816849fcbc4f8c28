from http import HTTPStatus
from typing import Any
from urllib.parse import quote

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.error_response import ErrorResponse
from ...models.execution_metrics_report import ExecutionMetricsReport
from ...models.http_validation_error import HTTPValidationError
from ...types import Response


def _get_kwargs(
    agent_id: str,
    *,
    body: ExecutionMetricsReport,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/agents-metrics/{agent_id}/execution".format(
            agent_id=quote(str(agent_id), safe=""),
        ),
    }

    _kwargs["json"] = body.to_dict()

    headers["Content-Type"] = "application/json"

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Any | ErrorResponse | HTTPValidationError | None:
    if response.status_code == 200:
        response_200 = response.json()
        return response_200

    if response.status_code == 201:
        response_201 = response.json()
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
) -> Response[Any | ErrorResponse | HTTPValidationError]:
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
    body: ExecutionMetricsReport,
) -> Response[Any | ErrorResponse | HTTPValidationError]:
    """Report a task's metrics

     Records what a task cost and did (tokens, tools called, duration), as agent code reports it after a
    run (`task.areport_metrics()`). Not idempotent: each report is recorded.

    Args:
        agent_id (str):
        body (ExecutionMetricsReport): The metrics of one task (`task.areport_metrics()`). The
            official SDK sends every key, in this order. `x-server-required` lists the keys the
            official model requires (not `required`, which would make the generator write them first
            and change the bytes).

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Any | ErrorResponse | HTTPValidationError]
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
    body: ExecutionMetricsReport,
) -> Any | ErrorResponse | HTTPValidationError | None:
    """Report a task's metrics

     Records what a task cost and did (tokens, tools called, duration), as agent code reports it after a
    run (`task.areport_metrics()`). Not idempotent: each report is recorded.

    Args:
        agent_id (str):
        body (ExecutionMetricsReport): The metrics of one task (`task.areport_metrics()`). The
            official SDK sends every key, in this order. `x-server-required` lists the keys the
            official model requires (not `required`, which would make the generator write them first
            and change the bytes).

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Any | ErrorResponse | HTTPValidationError
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
    body: ExecutionMetricsReport,
) -> Response[Any | ErrorResponse | HTTPValidationError]:
    """Report a task's metrics

     Records what a task cost and did (tokens, tools called, duration), as agent code reports it after a
    run (`task.areport_metrics()`). Not idempotent: each report is recorded.

    Args:
        agent_id (str):
        body (ExecutionMetricsReport): The metrics of one task (`task.areport_metrics()`). The
            official SDK sends every key, in this order. `x-server-required` lists the keys the
            official model requires (not `required`, which would make the generator write them first
            and change the bytes).

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Any | ErrorResponse | HTTPValidationError]
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
    body: ExecutionMetricsReport,
) -> Any | ErrorResponse | HTTPValidationError | None:
    """Report a task's metrics

     Records what a task cost and did (tokens, tools called, duration), as agent code reports it after a
    run (`task.areport_metrics()`). Not idempotent: each report is recorded.

    Args:
        agent_id (str):
        body (ExecutionMetricsReport): The metrics of one task (`task.areport_metrics()`). The
            official SDK sends every key, in this order. `x-server-required` lists the keys the
            official model requires (not `required`, which would make the generator write them first
            and change the bytes).

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Any | ErrorResponse | HTTPValidationError
    """

    return (
        await asyncio_detailed(
            agent_id=agent_id,
            client=client,
            body=body,
        )
    ).parsed
