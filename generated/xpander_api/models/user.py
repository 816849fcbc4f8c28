from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.user_attributes import UserAttributes


T = TypeVar("T", bound="User")


@_attrs_define
class User:
    """The end user a task is run for.

    Attributes:
        email (str): The user's email address.
        id (None | str | Unset): The user's id in the calling system.
        first_name (None | str | Unset): The user's first name.
        last_name (None | str | Unset): The user's last name.
        additional_attributes (None | Unset | UserAttributes): Any other attributes of the user.
        timezone (None | str | Unset): The user's time zone, as an IANA name (for example `Europe/London`).
    """

    email: str
    id: None | str | Unset = UNSET
    first_name: None | str | Unset = UNSET
    last_name: None | str | Unset = UNSET
    additional_attributes: None | Unset | UserAttributes = UNSET
    timezone: None | str | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        from ..models.user_attributes import UserAttributes  # noqa: PLC0415

        email = self.email

        id: None | str | Unset
        if isinstance(self.id, Unset):
            id = UNSET
        else:
            id = self.id

        first_name: None | str | Unset
        if isinstance(self.first_name, Unset):
            first_name = UNSET
        else:
            first_name = self.first_name

        last_name: None | str | Unset
        if isinstance(self.last_name, Unset):
            last_name = UNSET
        else:
            last_name = self.last_name

        additional_attributes: dict[str, Any] | None | Unset
        if isinstance(self.additional_attributes, Unset):
            additional_attributes = UNSET
        elif isinstance(self.additional_attributes, UserAttributes):
            additional_attributes = self.additional_attributes.to_dict()
        else:
            additional_attributes = self.additional_attributes

        timezone: None | str | Unset
        if isinstance(self.timezone, Unset):
            timezone = UNSET
        else:
            timezone = self.timezone

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "email": email,
            }
        )
        if id is not UNSET:
            field_dict["id"] = id
        if first_name is not UNSET:
            field_dict["first_name"] = first_name
        if last_name is not UNSET:
            field_dict["last_name"] = last_name
        if additional_attributes is not UNSET:
            field_dict["additional_attributes"] = additional_attributes
        if timezone is not UNSET:
            field_dict["timezone"] = timezone

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.user_attributes import UserAttributes  # noqa: PLC0415

        d = dict(src_dict)
        email = d.pop("email")

        def _parse_id(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        id = _parse_id(d.pop("id", UNSET))

        def _parse_first_name(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        first_name = _parse_first_name(d.pop("first_name", UNSET))

        def _parse_last_name(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        last_name = _parse_last_name(d.pop("last_name", UNSET))

        def _parse_additional_attributes(data: object) -> None | Unset | UserAttributes:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                additional_attributes_type_0 = UserAttributes.from_dict(data)

                return additional_attributes_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | Unset | UserAttributes, data)

        additional_attributes = _parse_additional_attributes(d.pop("additional_attributes", UNSET))

        def _parse_timezone(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        timezone = _parse_timezone(d.pop("timezone", UNSET))

        user = cls(
            email=email,
            id=id,
            first_name=first_name,
            last_name=last_name,
            additional_attributes=additional_attributes,
            timezone=timezone,
        )

        return user
