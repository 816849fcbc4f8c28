from http import HTTPStatus
from typing import Any
from urllib.parse import quote

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.error_response import ErrorResponse
from ...models.send_worker_event_type import SendWorkerEventType
from ...models.worker_event import WorkerEvent
from ...types import UNSET, Response


def _get_kwargs(
    worker_id: str,
    *,
    body: WorkerEvent,
    type_: SendWorkerEventType,
    agent_id: str,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}

    params: dict[str, Any] = {}

    json_type_ = type_.value
    params["type"] = json_type_

    params["agent_id"] = agent_id

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/events/{worker_id}".format(
            worker_id=quote(str(worker_id), safe=""),
        ),
        "params": params,
    }

    _kwargs["json"] = body.to_dict()

    headers["Content-Type"] = "application/json"

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> Any | ErrorResponse | None:
    if response.status_code == 200:
        response_200 = response.json()
        return response_200

    if response.status_code == 201:
        response_201 = response.json()
        return response_201

    if response.status_code == 401:
        response_401 = ErrorResponse.from_dict(response.json())

        return response_401

    if response.status_code == 403:
        response_403 = ErrorResponse.from_dict(response.json())

        return response_403

    if response.status_code == 404:
        response_404 = ErrorResponse.from_dict(response.json())

        return response_404

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


def _build_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> Response[Any | ErrorResponse]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    worker_id: str,
    *,
    client: AuthenticatedClient | Client,
    body: WorkerEvent,
    type_: SendWorkerEventType,
    agent_id: str,
) -> Response[Any | ErrorResponse]:
    """Tell the controller about a worker (heartbeat, capacity)

     A worker's news, as `{id, event, data}`: `worker-heartbeat` (data: the worker's local time, about
    every 2 s), `worker-capacity-update` (data: `{"is_busy": bool}`: every slot taken, or one free
    again). Served by the agent controller, under the events root (see `get_task_events`). The official
    SDK never reads the answer.

    Args:
        worker_id (str):
        type_ (SendWorkerEventType):
        agent_id (str):
        body (WorkerEvent): What a worker tells the controller (`send_worker_event`).

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Any | ErrorResponse]
    """

    kwargs = _get_kwargs(
        worker_id=worker_id,
        body=body,
        type_=type_,
        agent_id=agent_id,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    worker_id: str,
    *,
    client: AuthenticatedClient | Client,
    body: WorkerEvent,
    type_: SendWorkerEventType,
    agent_id: str,
) -> Any | ErrorResponse | None:
    """Tell the controller about a worker (heartbeat, capacity)

     A worker's news, as `{id, event, data}`: `worker-heartbeat` (data: the worker's local time, about
    every 2 s), `worker-capacity-update` (data: `{"is_busy": bool}`: every slot taken, or one free
    again). Served by the agent controller, under the events root (see `get_task_events`). The official
    SDK never reads the answer.

    Args:
        worker_id (str):
        type_ (SendWorkerEventType):
        agent_id (str):
        body (WorkerEvent): What a worker tells the controller (`send_worker_event`).

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Any | ErrorResponse
    """

    return sync_detailed(
        worker_id=worker_id,
        client=client,
        body=body,
        type_=type_,
        agent_id=agent_id,
    ).parsed


async def asyncio_detailed(
    worker_id: str,
    *,
    client: AuthenticatedClient | Client,
    body: WorkerEvent,
    type_: SendWorkerEventType,
    agent_id: str,
) -> Response[Any | ErrorResponse]:
    """Tell the controller about a worker (heartbeat, capacity)

     A worker's news, as `{id, event, data}`: `worker-heartbeat` (data: the worker's local time, about
    every 2 s), `worker-capacity-update` (data: `{"is_busy": bool}`: every slot taken, or one free
    again). Served by the agent controller, under the events root (see `get_task_events`). The official
    SDK never reads the answer.

    Args:
        worker_id (str):
        type_ (SendWorkerEventType):
        agent_id (str):
        body (WorkerEvent): What a worker tells the controller (`send_worker_event`).

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Any | ErrorResponse]
    """

    kwargs = _get_kwargs(
        worker_id=worker_id,
        body=body,
        type_=type_,
        agent_id=agent_id,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    worker_id: str,
    *,
    client: AuthenticatedClient | Client,
    body: WorkerEvent,
    type_: SendWorkerEventType,
    agent_id: str,
) -> Any | ErrorResponse | None:
    """Tell the controller about a worker (heartbeat, capacity)

     A worker's news, as `{id, event, data}`: `worker-heartbeat` (data: the worker's local time, about
    every 2 s), `worker-capacity-update` (data: `{"is_busy": bool}`: every slot taken, or one free
    again). Served by the agent controller, under the events root (see `get_task_events`). The official
    SDK never reads the answer.

    Args:
        worker_id (str):
        type_ (SendWorkerEventType):
        agent_id (str):
        body (WorkerEvent): What a worker tells the controller (`send_worker_event`).

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Any | ErrorResponse
    """

    return (
        await asyncio_detailed(
            worker_id=worker_id,
            client=client,
            body=body,
            type_=type_,
            agent_id=agent_id,
        )
    ).parsed
