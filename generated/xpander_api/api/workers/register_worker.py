from http import HTTPStatus
from typing import Any
from urllib.parse import quote

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.error_response import ErrorResponse
from ...models.register_worker_environment import RegisterWorkerEnvironment
from ...types import UNSET, Response, Unset


def _get_kwargs(
    agent_id: str,
    *,
    environment: RegisterWorkerEnvironment,
    supports_llm_gateway: bool | Unset = UNSET,
) -> dict[str, Any]:

    params: dict[str, Any] = {}

    json_environment = environment.value
    params["environment"] = json_environment

    params["supports_llm_gateway"] = supports_llm_gateway

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/events/{agent_id}/".format(
            agent_id=quote(str(agent_id), safe=""),
        ),
        "params": params,
    }

    return _kwargs


def _parse_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> ErrorResponse | str | None:
    if response.status_code == 200:
        response_200 = response.text
        return response_200

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


def _build_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> Response[ErrorResponse | str]:
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
    environment: RegisterWorkerEnvironment,
    supports_llm_gateway: bool | Unset = UNSET,
) -> Response[ErrorResponse | str]:
    """Register a worker and receive its tasks (Server-Sent Events)

     What a worker (`@on_task`) opens first and keeps open: the controller answers a `text/event-stream`
    whose SSE `event:` name says what its `data:` (JSON) is. `worker-registration`: a `DeployedAsset`,
    the worker's record (its `id` is the worker id of every `send_worker_event`); sent again after each
    reconnect. `agent-execution`: a whole `Task` to run. `worker-environment-conflict`: a
    `WorkerEnvironmentConflict` (the agent runs in another environment); the worker stops. Other event
    names are ignored; comment lines (`: ping`) may be sent as keep-alives.

    Served by the agent controller, under the events root (see `get_task_events`). The path ends in a
    slash: the official SDK adds it, as the controller's route has it (Spectral's `path-keys-no-
    trailing-slash` is switched off for this path only, in `.spectral.yaml`).

    Args:
        agent_id (str):
        environment (RegisterWorkerEnvironment):
        supports_llm_gateway (bool | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ErrorResponse | str]
    """

    kwargs = _get_kwargs(
        agent_id=agent_id,
        environment=environment,
        supports_llm_gateway=supports_llm_gateway,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    agent_id: str,
    *,
    client: AuthenticatedClient | Client,
    environment: RegisterWorkerEnvironment,
    supports_llm_gateway: bool | Unset = UNSET,
) -> ErrorResponse | str | None:
    """Register a worker and receive its tasks (Server-Sent Events)

     What a worker (`@on_task`) opens first and keeps open: the controller answers a `text/event-stream`
    whose SSE `event:` name says what its `data:` (JSON) is. `worker-registration`: a `DeployedAsset`,
    the worker's record (its `id` is the worker id of every `send_worker_event`); sent again after each
    reconnect. `agent-execution`: a whole `Task` to run. `worker-environment-conflict`: a
    `WorkerEnvironmentConflict` (the agent runs in another environment); the worker stops. Other event
    names are ignored; comment lines (`: ping`) may be sent as keep-alives.

    Served by the agent controller, under the events root (see `get_task_events`). The path ends in a
    slash: the official SDK adds it, as the controller's route has it (Spectral's `path-keys-no-
    trailing-slash` is switched off for this path only, in `.spectral.yaml`).

    Args:
        agent_id (str):
        environment (RegisterWorkerEnvironment):
        supports_llm_gateway (bool | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ErrorResponse | str
    """

    return sync_detailed(
        agent_id=agent_id,
        client=client,
        environment=environment,
        supports_llm_gateway=supports_llm_gateway,
    ).parsed


async def asyncio_detailed(
    agent_id: str,
    *,
    client: AuthenticatedClient | Client,
    environment: RegisterWorkerEnvironment,
    supports_llm_gateway: bool | Unset = UNSET,
) -> Response[ErrorResponse | str]:
    """Register a worker and receive its tasks (Server-Sent Events)

     What a worker (`@on_task`) opens first and keeps open: the controller answers a `text/event-stream`
    whose SSE `event:` name says what its `data:` (JSON) is. `worker-registration`: a `DeployedAsset`,
    the worker's record (its `id` is the worker id of every `send_worker_event`); sent again after each
    reconnect. `agent-execution`: a whole `Task` to run. `worker-environment-conflict`: a
    `WorkerEnvironmentConflict` (the agent runs in another environment); the worker stops. Other event
    names are ignored; comment lines (`: ping`) may be sent as keep-alives.

    Served by the agent controller, under the events root (see `get_task_events`). The path ends in a
    slash: the official SDK adds it, as the controller's route has it (Spectral's `path-keys-no-
    trailing-slash` is switched off for this path only, in `.spectral.yaml`).

    Args:
        agent_id (str):
        environment (RegisterWorkerEnvironment):
        supports_llm_gateway (bool | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ErrorResponse | str]
    """

    kwargs = _get_kwargs(
        agent_id=agent_id,
        environment=environment,
        supports_llm_gateway=supports_llm_gateway,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    agent_id: str,
    *,
    client: AuthenticatedClient | Client,
    environment: RegisterWorkerEnvironment,
    supports_llm_gateway: bool | Unset = UNSET,
) -> ErrorResponse | str | None:
    """Register a worker and receive its tasks (Server-Sent Events)

     What a worker (`@on_task`) opens first and keeps open: the controller answers a `text/event-stream`
    whose SSE `event:` name says what its `data:` (JSON) is. `worker-registration`: a `DeployedAsset`,
    the worker's record (its `id` is the worker id of every `send_worker_event`); sent again after each
    reconnect. `agent-execution`: a whole `Task` to run. `worker-environment-conflict`: a
    `WorkerEnvironmentConflict` (the agent runs in another environment); the worker stops. Other event
    names are ignored; comment lines (`: ping`) may be sent as keep-alives.

    Served by the agent controller, under the events root (see `get_task_events`). The path ends in a
    slash: the official SDK adds it, as the controller's route has it (Spectral's `path-keys-no-
    trailing-slash` is switched off for this path only, in `.spectral.yaml`).

    Args:
        agent_id (str):
        environment (RegisterWorkerEnvironment):
        supports_llm_gateway (bool | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ErrorResponse | str
    """

    return (
        await asyncio_detailed(
            agent_id=agent_id,
            client=client,
            environment=environment,
            supports_llm_gateway=supports_llm_gateway,
        )
    ).parsed
