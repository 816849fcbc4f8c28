from http import HTTPStatus
from typing import Any
from urllib.parse import quote

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.agent_activity_thread import AgentActivityThread
from ...models.error_response import ErrorResponse
from ...types import Response


def _get_kwargs(
    agent_id: str,
    task_id: str,
) -> dict[str, Any]:

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/activity/{agent_id}/{task_id}".format(
            agent_id=quote(str(agent_id), safe=""),
            task_id=quote(str(task_id), safe=""),
        ),
    }

    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> AgentActivityThread | ErrorResponse | None:
    if response.status_code == 200:
        response_200 = AgentActivityThread.from_dict(response.json())

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


def _build_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Response[AgentActivityThread | ErrorResponse]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    agent_id: str,
    task_id: str,
    *,
    client: AuthenticatedClient | Client,
) -> Response[AgentActivityThread | ErrorResponse]:
    """Get a task's activity log

     The thread of what happened in the task: the user's and the agent's messages, tool calls, reasoning
    steps, sub-agent triggers, authentication events and gateway entries, oldest first. Used by agent
    code (`task.aget_activity_log()`). Safe to repeat.

    Args:
        agent_id (str):
        task_id (str):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[AgentActivityThread | ErrorResponse]
    """

    kwargs = _get_kwargs(
        agent_id=agent_id,
        task_id=task_id,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    agent_id: str,
    task_id: str,
    *,
    client: AuthenticatedClient | Client,
) -> AgentActivityThread | ErrorResponse | None:
    """Get a task's activity log

     The thread of what happened in the task: the user's and the agent's messages, tool calls, reasoning
    steps, sub-agent triggers, authentication events and gateway entries, oldest first. Used by agent
    code (`task.aget_activity_log()`). Safe to repeat.

    Args:
        agent_id (str):
        task_id (str):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        AgentActivityThread | ErrorResponse
    """

    return sync_detailed(
        agent_id=agent_id,
        task_id=task_id,
        client=client,
    ).parsed


async def asyncio_detailed(
    agent_id: str,
    task_id: str,
    *,
    client: AuthenticatedClient | Client,
) -> Response[AgentActivityThread | ErrorResponse]:
    """Get a task's activity log

     The thread of what happened in the task: the user's and the agent's messages, tool calls, reasoning
    steps, sub-agent triggers, authentication events and gateway entries, oldest first. Used by agent
    code (`task.aget_activity_log()`). Safe to repeat.

    Args:
        agent_id (str):
        task_id (str):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[AgentActivityThread | ErrorResponse]
    """

    kwargs = _get_kwargs(
        agent_id=agent_id,
        task_id=task_id,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    agent_id: str,
    task_id: str,
    *,
    client: AuthenticatedClient | Client,
) -> AgentActivityThread | ErrorResponse | None:
    """Get a task's activity log

     The thread of what happened in the task: the user's and the agent's messages, tool calls, reasoning
    steps, sub-agent triggers, authentication events and gateway entries, oldest first. Used by agent
    code (`task.aget_activity_log()`). Safe to repeat.

    Args:
        agent_id (str):
        task_id (str):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        AgentActivityThread | ErrorResponse
    """

    return (
        await asyncio_detailed(
            agent_id=agent_id,
            task_id=task_id,
            client=client,
        )
    ).parsed
