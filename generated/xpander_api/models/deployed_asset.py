from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.deployed_asset_configuration_type_0 import (
        DeployedAssetConfigurationType0,
    )
    from ..models.deployed_asset_metadata_type_0 import DeployedAssetMetadataType0


T = TypeVar("T", bound="DeployedAsset")


@_attrs_define
class DeployedAsset:
    """A worker's record, the `data` of a `worker-registration` event (lenient, as every response schema).

    Attributes:
        id (str): The worker id, which its heartbeats and capacity updates name.
        name (None | str | Unset): The worker's name.
        organization_id (None | str | Unset): The organization.
        type_ (None | str | Unset): The kind of asset (`worker`).
        created_at (None | str | Unset): When it was registered.
        created_by (None | str | Unset): Who registered it.
        last_heartbeat (None | str | Unset): Its last heartbeat the controller saw.
        dedicated_agent_id (None | str | Unset): The agent it runs tasks for.
        parent_asset_id (None | str | Unset): Its parent asset, if any.
        is_busy (bool | None | Unset): Whether every slot of the worker was taken, as last reported.
        configuration (DeployedAssetConfigurationType0 | None | Unset): The asset's configuration.
        metadata (DeployedAssetMetadataType0 | None | Unset): Facts about the agent (`name`, `unique_name`...).
    """

    id: str
    name: None | str | Unset = UNSET
    organization_id: None | str | Unset = UNSET
    type_: None | str | Unset = UNSET
    created_at: None | str | Unset = UNSET
    created_by: None | str | Unset = UNSET
    last_heartbeat: None | str | Unset = UNSET
    dedicated_agent_id: None | str | Unset = UNSET
    parent_asset_id: None | str | Unset = UNSET
    is_busy: bool | None | Unset = UNSET
    configuration: DeployedAssetConfigurationType0 | None | Unset = UNSET
    metadata: DeployedAssetMetadataType0 | None | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        from ..models.deployed_asset_configuration_type_0 import (
            DeployedAssetConfigurationType0,  # noqa: PLC0415
        )
        from ..models.deployed_asset_metadata_type_0 import DeployedAssetMetadataType0  # noqa: PLC0415

        id = self.id

        name: None | str | Unset
        if isinstance(self.name, Unset):
            name = UNSET
        else:
            name = self.name

        organization_id: None | str | Unset
        if isinstance(self.organization_id, Unset):
            organization_id = UNSET
        else:
            organization_id = self.organization_id

        type_: None | str | Unset
        if isinstance(self.type_, Unset):
            type_ = UNSET
        else:
            type_ = self.type_

        created_at: None | str | Unset
        if isinstance(self.created_at, Unset):
            created_at = UNSET
        else:
            created_at = self.created_at

        created_by: None | str | Unset
        if isinstance(self.created_by, Unset):
            created_by = UNSET
        else:
            created_by = self.created_by

        last_heartbeat: None | str | Unset
        if isinstance(self.last_heartbeat, Unset):
            last_heartbeat = UNSET
        else:
            last_heartbeat = self.last_heartbeat

        dedicated_agent_id: None | str | Unset
        if isinstance(self.dedicated_agent_id, Unset):
            dedicated_agent_id = UNSET
        else:
            dedicated_agent_id = self.dedicated_agent_id

        parent_asset_id: None | str | Unset
        if isinstance(self.parent_asset_id, Unset):
            parent_asset_id = UNSET
        else:
            parent_asset_id = self.parent_asset_id

        is_busy: bool | None | Unset
        if isinstance(self.is_busy, Unset):
            is_busy = UNSET
        else:
            is_busy = self.is_busy

        configuration: dict[str, Any] | None | Unset
        if isinstance(self.configuration, Unset):
            configuration = UNSET
        elif isinstance(self.configuration, DeployedAssetConfigurationType0):
            configuration = self.configuration.to_dict()
        else:
            configuration = self.configuration

        metadata: dict[str, Any] | None | Unset
        if isinstance(self.metadata, Unset):
            metadata = UNSET
        elif isinstance(self.metadata, DeployedAssetMetadataType0):
            metadata = self.metadata.to_dict()
        else:
            metadata = self.metadata

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "id": id,
            }
        )
        if name is not UNSET:
            field_dict["name"] = name
        if organization_id is not UNSET:
            field_dict["organization_id"] = organization_id
        if type_ is not UNSET:
            field_dict["type"] = type_
        if created_at is not UNSET:
            field_dict["created_at"] = created_at
        if created_by is not UNSET:
            field_dict["created_by"] = created_by
        if last_heartbeat is not UNSET:
            field_dict["last_heartbeat"] = last_heartbeat
        if dedicated_agent_id is not UNSET:
            field_dict["dedicated_agent_id"] = dedicated_agent_id
        if parent_asset_id is not UNSET:
            field_dict["parent_asset_id"] = parent_asset_id
        if is_busy is not UNSET:
            field_dict["is_busy"] = is_busy
        if configuration is not UNSET:
            field_dict["configuration"] = configuration
        if metadata is not UNSET:
            field_dict["metadata"] = metadata

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.deployed_asset_configuration_type_0 import (
            DeployedAssetConfigurationType0,  # noqa: PLC0415
        )
        from ..models.deployed_asset_metadata_type_0 import DeployedAssetMetadataType0  # noqa: PLC0415

        d = dict(src_dict)
        id = d.pop("id")

        def _parse_name(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        name = _parse_name(d.pop("name", UNSET))

        def _parse_organization_id(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        organization_id = _parse_organization_id(d.pop("organization_id", UNSET))

        def _parse_type_(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        type_ = _parse_type_(d.pop("type", UNSET))

        def _parse_created_at(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        created_at = _parse_created_at(d.pop("created_at", UNSET))

        def _parse_created_by(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        created_by = _parse_created_by(d.pop("created_by", UNSET))

        def _parse_last_heartbeat(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        last_heartbeat = _parse_last_heartbeat(d.pop("last_heartbeat", UNSET))

        def _parse_dedicated_agent_id(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        dedicated_agent_id = _parse_dedicated_agent_id(d.pop("dedicated_agent_id", UNSET))

        def _parse_parent_asset_id(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        parent_asset_id = _parse_parent_asset_id(d.pop("parent_asset_id", UNSET))

        def _parse_is_busy(data: object) -> bool | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(bool | None | Unset, data)

        is_busy = _parse_is_busy(d.pop("is_busy", UNSET))

        def _parse_configuration(data: object) -> DeployedAssetConfigurationType0 | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                configuration_type_0 = DeployedAssetConfigurationType0.from_dict(data)

                return configuration_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(DeployedAssetConfigurationType0 | None | Unset, data)

        configuration = _parse_configuration(d.pop("configuration", UNSET))

        def _parse_metadata(data: object) -> DeployedAssetMetadataType0 | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                metadata_type_0 = DeployedAssetMetadataType0.from_dict(data)

                return metadata_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(DeployedAssetMetadataType0 | None | Unset, data)

        metadata = _parse_metadata(d.pop("metadata", UNSET))

        deployed_asset = cls(
            id=id,
            name=name,
            organization_id=organization_id,
            type_=type_,
            created_at=created_at,
            created_by=created_by,
            last_heartbeat=last_heartbeat,
            dedicated_agent_id=dedicated_agent_id,
            parent_asset_id=parent_asset_id,
            is_busy=is_busy,
            configuration=configuration,
            metadata=metadata,
        )

        deployed_asset.additional_properties = d
        return deployed_asset

    @property
    def additional_keys(self) -> list[str]:
        return list(self.additional_properties.keys())

    def __getitem__(self, key: str) -> Any:
        return self.additional_properties[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self.additional_properties[key] = value

    def __delitem__(self, key: str) -> None:
        del self.additional_properties[key]

    def __contains__(self, key: str) -> bool:
        return key in self.additional_properties
