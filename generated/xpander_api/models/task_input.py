from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.attachment_ref import AttachmentRef
    from ..models.principal import Principal
    from ..models.user import User


T = TypeVar("T", bound="TaskInput")


@_attrs_define
class TaskInput:
    """What the agent is asked to do: the prompt, files, and who asks. `attachments` and `principal` are left out by the
    official SDK when unset.

        Attributes:
            text (None | str | Unset): The prompt. May be empty or null (the server's schema has no minimum length): with
                `id` set, an empty prompt continues that task without new text. The official SDK sends null for `prompt=None`.
                Default: ''.
            files (list[str] | None | Unset): URLs of files the agent should read.
            attachments (list[AttachmentRef] | Unset): Attached files, with what is known about them.
            user (None | Unset | User): The end user the task is run for.
            principal (Principal | Unset): The identity on whose behalf the task runs.
    """

    text: None | str | Unset = ""
    files: list[str] | None | Unset = UNSET
    attachments: list[AttachmentRef] | Unset = UNSET
    user: None | Unset | User = UNSET
    principal: Principal | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        from ..models.user import User  # noqa: PLC0415

        text: None | str | Unset
        if isinstance(self.text, Unset):
            text = UNSET
        else:
            text = self.text

        files: list[str] | None | Unset
        if isinstance(self.files, Unset):
            files = UNSET
        elif isinstance(self.files, list):
            files = self.files

        else:
            files = self.files

        attachments: list[dict[str, Any]] | Unset = UNSET
        if not isinstance(self.attachments, Unset):
            attachments = []
            for attachments_item_data in self.attachments:
                attachments_item = attachments_item_data.to_dict()
                attachments.append(attachments_item)

        user: dict[str, Any] | None | Unset
        if isinstance(self.user, Unset):
            user = UNSET
        elif isinstance(self.user, User):
            user = self.user.to_dict()
        else:
            user = self.user

        principal: dict[str, Any] | Unset = UNSET
        if not isinstance(self.principal, Unset):
            principal = self.principal.to_dict()

        field_dict: dict[str, Any] = {}

        field_dict.update({})
        if text is not UNSET:
            field_dict["text"] = text
        if files is not UNSET:
            field_dict["files"] = files
        if attachments is not UNSET:
            field_dict["attachments"] = attachments
        if user is not UNSET:
            field_dict["user"] = user
        if principal is not UNSET:
            field_dict["principal"] = principal

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.attachment_ref import AttachmentRef  # noqa: PLC0415
        from ..models.principal import Principal  # noqa: PLC0415
        from ..models.user import User  # noqa: PLC0415

        d = dict(src_dict)

        def _parse_text(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        text = _parse_text(d.pop("text", UNSET))

        def _parse_files(data: object) -> list[str] | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, list):
                    raise TypeError()
                files_type_0 = cast(list[str], data)

                return files_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(list[str] | None | Unset, data)

        files = _parse_files(d.pop("files", UNSET))

        _attachments = d.pop("attachments", UNSET)
        attachments: list[AttachmentRef] | Unset = UNSET
        if _attachments is not UNSET:
            attachments = []
            for attachments_item_data in _attachments:
                attachments_item = AttachmentRef.from_dict(attachments_item_data)

                attachments.append(attachments_item)

        def _parse_user(data: object) -> None | Unset | User:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                user_type_0 = User.from_dict(data)

                return user_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | Unset | User, data)

        user = _parse_user(d.pop("user", UNSET))

        _principal = d.pop("principal", UNSET)
        principal: Principal | Unset
        if isinstance(_principal, Unset):
            principal = UNSET
        else:
            principal = Principal.from_dict(_principal)

        task_input = cls(
            text=text,
            files=files,
            attachments=attachments,
            user=user,
            principal=principal,
        )

        return task_input
