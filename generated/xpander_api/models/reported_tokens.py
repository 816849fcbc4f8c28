from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define

from ..types import UNSET, Unset

T = TypeVar("T", bound="ReportedTokens")


@_attrs_define
class ReportedTokens:
    """Token counts as the official SDK sends them: `total_tokens` is prompt plus completion (cache counts are reported
    apart and never folded in).

        Attributes:
            completion_tokens (int | None | Unset): Tokens the model produced.
            prompt_tokens (int | None | Unset): Tokens the model read.
            cache_read_tokens (int | None | Unset): Prompt tokens read from the cache.
            cache_write_tokens (int | None | Unset): Prompt tokens written to the cache.
            total_tokens (int | Unset): completion_tokens + prompt_tokens.
    """

    completion_tokens: int | None | Unset = UNSET
    prompt_tokens: int | None | Unset = UNSET
    cache_read_tokens: int | None | Unset = UNSET
    cache_write_tokens: int | None | Unset = UNSET
    total_tokens: int | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        completion_tokens: int | None | Unset
        if isinstance(self.completion_tokens, Unset):
            completion_tokens = UNSET
        else:
            completion_tokens = self.completion_tokens

        prompt_tokens: int | None | Unset
        if isinstance(self.prompt_tokens, Unset):
            prompt_tokens = UNSET
        else:
            prompt_tokens = self.prompt_tokens

        cache_read_tokens: int | None | Unset
        if isinstance(self.cache_read_tokens, Unset):
            cache_read_tokens = UNSET
        else:
            cache_read_tokens = self.cache_read_tokens

        cache_write_tokens: int | None | Unset
        if isinstance(self.cache_write_tokens, Unset):
            cache_write_tokens = UNSET
        else:
            cache_write_tokens = self.cache_write_tokens

        total_tokens = self.total_tokens

        field_dict: dict[str, Any] = {}

        field_dict.update({})
        if completion_tokens is not UNSET:
            field_dict["completion_tokens"] = completion_tokens
        if prompt_tokens is not UNSET:
            field_dict["prompt_tokens"] = prompt_tokens
        if cache_read_tokens is not UNSET:
            field_dict["cache_read_tokens"] = cache_read_tokens
        if cache_write_tokens is not UNSET:
            field_dict["cache_write_tokens"] = cache_write_tokens
        if total_tokens is not UNSET:
            field_dict["total_tokens"] = total_tokens

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)

        def _parse_completion_tokens(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        completion_tokens = _parse_completion_tokens(d.pop("completion_tokens", UNSET))

        def _parse_prompt_tokens(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        prompt_tokens = _parse_prompt_tokens(d.pop("prompt_tokens", UNSET))

        def _parse_cache_read_tokens(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        cache_read_tokens = _parse_cache_read_tokens(d.pop("cache_read_tokens", UNSET))

        def _parse_cache_write_tokens(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        cache_write_tokens = _parse_cache_write_tokens(d.pop("cache_write_tokens", UNSET))

        total_tokens = d.pop("total_tokens", UNSET)

        reported_tokens = cls(
            completion_tokens=completion_tokens,
            prompt_tokens=prompt_tokens,
            cache_read_tokens=cache_read_tokens,
            cache_write_tokens=cache_write_tokens,
            total_tokens=total_tokens,
        )

        return reported_tokens
