from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define

from ..models.attachment_kind import AttachmentKind
from ..types import UNSET, Unset

T = TypeVar("T", bound="AttachmentRef")


@_attrs_define
class AttachmentRef:
    """A file attached to the task, by URL, with what is known about it.

    Attributes:
        url (str): Where the file can be fetched.
        name (None | str | Unset): The file name.
        mime (None | str | Unset): The MIME type (for example `application/pdf`).
        size (int | None | Unset): The size in bytes (the official SDK sends any int).
        kind (AttachmentKind | None | Unset): The broad kind of content.
        sha256 (None | str | Unset): The SHA-256 digest of the content, in hex.
        expires_at (None | str | Unset): When the URL stops working, as an ISO-8601 date-time string. Sent as given (no
            `format` here, so that a generated client passes the caller's string through unchanged).
        source (None | str | Unset): Where the attachment came from (for example a chat integration).
        transcript (None | str | Unset): A transcript of the content (audio and video).
    """

    url: str
    name: None | str | Unset = UNSET
    mime: None | str | Unset = UNSET
    size: int | None | Unset = UNSET
    kind: AttachmentKind | None | Unset = UNSET
    sha256: None | str | Unset = UNSET
    expires_at: None | str | Unset = UNSET
    source: None | str | Unset = UNSET
    transcript: None | str | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        url = self.url

        name: None | str | Unset
        if isinstance(self.name, Unset):
            name = UNSET
        else:
            name = self.name

        mime: None | str | Unset
        if isinstance(self.mime, Unset):
            mime = UNSET
        else:
            mime = self.mime

        size: int | None | Unset
        if isinstance(self.size, Unset):
            size = UNSET
        else:
            size = self.size

        kind: None | str | Unset
        if isinstance(self.kind, Unset):
            kind = UNSET
        elif isinstance(self.kind, AttachmentKind):
            kind = self.kind.value
        else:
            kind = self.kind

        sha256: None | str | Unset
        if isinstance(self.sha256, Unset):
            sha256 = UNSET
        else:
            sha256 = self.sha256

        expires_at: None | str | Unset
        if isinstance(self.expires_at, Unset):
            expires_at = UNSET
        else:
            expires_at = self.expires_at

        source: None | str | Unset
        if isinstance(self.source, Unset):
            source = UNSET
        else:
            source = self.source

        transcript: None | str | Unset
        if isinstance(self.transcript, Unset):
            transcript = UNSET
        else:
            transcript = self.transcript

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "url": url,
            }
        )
        if name is not UNSET:
            field_dict["name"] = name
        if mime is not UNSET:
            field_dict["mime"] = mime
        if size is not UNSET:
            field_dict["size"] = size
        if kind is not UNSET:
            field_dict["kind"] = kind
        if sha256 is not UNSET:
            field_dict["sha256"] = sha256
        if expires_at is not UNSET:
            field_dict["expires_at"] = expires_at
        if source is not UNSET:
            field_dict["source"] = source
        if transcript is not UNSET:
            field_dict["transcript"] = transcript

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        url = d.pop("url")

        def _parse_name(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        name = _parse_name(d.pop("name", UNSET))

        def _parse_mime(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        mime = _parse_mime(d.pop("mime", UNSET))

        def _parse_size(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        size = _parse_size(d.pop("size", UNSET))

        def _parse_kind(data: object) -> AttachmentKind | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                kind_type_0 = AttachmentKind(data)

                return kind_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(AttachmentKind | None | Unset, data)

        kind = _parse_kind(d.pop("kind", UNSET))

        def _parse_sha256(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        sha256 = _parse_sha256(d.pop("sha256", UNSET))

        def _parse_expires_at(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        expires_at = _parse_expires_at(d.pop("expires_at", UNSET))

        def _parse_source(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        source = _parse_source(d.pop("source", UNSET))

        def _parse_transcript(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        transcript = _parse_transcript(d.pop("transcript", UNSET))

        attachment_ref = cls(
            url=url,
            name=name,
            mime=mime,
            size=size,
            kind=kind,
            sha256=sha256,
            expires_at=expires_at,
            source=source,
            transcript=transcript,
        )

        return attachment_ref
