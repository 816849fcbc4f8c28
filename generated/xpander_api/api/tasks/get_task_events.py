from http import HTTPStatus
from typing import Any
from urllib.parse import quote

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.error_response import ErrorResponse
from ...types import UNSET, Response, Unset


def _get_kwargs(
    task_id: str,
    *,
    last_event_id: str | Unset = UNSET,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}
    if not isinstance(last_event_id, Unset):
        headers["Last-Event-ID"] = last_event_id

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/agent-execution/{task_id}/events".format(
            task_id=quote(str(task_id), safe=""),
        ),
    }

    _kwargs["headers"] = headers
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
    task_id: str,
    *,
    client: AuthenticatedClient | Client,
    last_event_id: str | Unset = UNSET,
) -> Response[ErrorResponse | str]:
    """Follow a task's events (Server-Sent Events)

     A `text/event-stream` of the task's events, for a task created with `events_streaming: true`. Each
    event is one `data:` line holding a `TaskUpdateEvent` as JSON; the stream's last event is
    `task_finished`, whose `data` is the finished Task. Comment lines (`: ping`) may be sent as
    heartbeats. A client that lost the stream reconnects with `Last-Event-ID` when the server sent `id:`
    lines.

    This route is served by the agent controller, not by the REST root: its root is the events root
    (`https://agent-controller.xpander.ai/{organization_id}` for the cloud, `{base
    URL}/{organization_id}` for a custom base URL, the REST root itself on an agent controller). The
    organization id is always in the path.

    Args:
        task_id (str):
        last_event_id (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ErrorResponse | str]
    """

    kwargs = _get_kwargs(
        task_id=task_id,
        last_event_id=last_event_id,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    task_id: str,
    *,
    client: AuthenticatedClient | Client,
    last_event_id: str | Unset = UNSET,
) -> ErrorResponse | str | None:
    """Follow a task's events (Server-Sent Events)

     A `text/event-stream` of the task's events, for a task created with `events_streaming: true`. Each
    event is one `data:` line holding a `TaskUpdateEvent` as JSON; the stream's last event is
    `task_finished`, whose `data` is the finished Task. Comment lines (`: ping`) may be sent as
    heartbeats. A client that lost the stream reconnects with `Last-Event-ID` when the server sent `id:`
    lines.

    This route is served by the agent controller, not by the REST root: its root is the events root
    (`https://agent-controller.xpander.ai/{organization_id}` for the cloud, `{base
    URL}/{organization_id}` for a custom base URL, the REST root itself on an agent controller). The
    organization id is always in the path.

    Args:
        task_id (str):
        last_event_id (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ErrorResponse | str
    """

    return sync_detailed(
        task_id=task_id,
        client=client,
        last_event_id=last_event_id,
    ).parsed


async def asyncio_detailed(
    task_id: str,
    *,
    client: AuthenticatedClient | Client,
    last_event_id: str | Unset = UNSET,
) -> Response[ErrorResponse | str]:
    """Follow a task's events (Server-Sent Events)

     A `text/event-stream` of the task's events, for a task created with `events_streaming: true`. Each
    event is one `data:` line holding a `TaskUpdateEvent` as JSON; the stream's last event is
    `task_finished`, whose `data` is the finished Task. Comment lines (`: ping`) may be sent as
    heartbeats. A client that lost the stream reconnects with `Last-Event-ID` when the server sent `id:`
    lines.

    This route is served by the agent controller, not by the REST root: its root is the events root
    (`https://agent-controller.xpander.ai/{organization_id}` for the cloud, `{base
    URL}/{organization_id}` for a custom base URL, the REST root itself on an agent controller). The
    organization id is always in the path.

    Args:
        task_id (str):
        last_event_id (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ErrorResponse | str]
    """

    kwargs = _get_kwargs(
        task_id=task_id,
        last_event_id=last_event_id,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    task_id: str,
    *,
    client: AuthenticatedClient | Client,
    last_event_id: str | Unset = UNSET,
) -> ErrorResponse | str | None:
    """Follow a task's events (Server-Sent Events)

     A `text/event-stream` of the task's events, for a task created with `events_streaming: true`. Each
    event is one `data:` line holding a `TaskUpdateEvent` as JSON; the stream's last event is
    `task_finished`, whose `data` is the finished Task. Comment lines (`: ping`) may be sent as
    heartbeats. A client that lost the stream reconnects with `Last-Event-ID` when the server sent `id:`
    lines.

    This route is served by the agent controller, not by the REST root: its root is the events root
    (`https://agent-controller.xpander.ai/{organization_id}` for the cloud, `{base
    URL}/{organization_id}` for a custom base URL, the REST root itself on an agent controller). The
    organization id is always in the path.

    Args:
        task_id (str):
        last_event_id (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ErrorResponse | str
    """

    return (
        await asyncio_detailed(
            task_id=task_id,
            client=client,
            last_event_id=last_event_id,
        )
    ).parsed
