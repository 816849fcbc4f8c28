"""The pytest plugin of `xpander_sdk.testing` (entry point `pytest11`): the fixture `xpander_backend`.

Loaded by pytest whenever this package is installed; it imports the SDK only when a test asks for the fixture.
Turn it off with `-p no:xpander_sdk`.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from xpander_sdk.testing import FakeBackend


@pytest.fixture
def xpander_backend() -> Iterator[FakeBackend]:
    """A `FakeBackend`, installed for the test: `XPANDER_API_KEY`, `XPANDER_BASE_URL` and
    `XPANDER_ORGANIZATION_ID` point at it, and every `Tasks()` of the code under test talks to it (in process,
    no socket). Restored and closed after the test."""
    from xpander_sdk.testing import FakeBackend  # noqa: PLC0415 - lazy: only for the tests that use it

    with FakeBackend() as backend, backend.install():
        yield backend
