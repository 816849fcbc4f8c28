from enum import StrEnum


class MCPServerAuthType(StrEnum):
    API_KEY = "api_key"
    CUSTOM_HEADERS = "custom_headers"
    NONE = "none"
    O_AUTH_2 = "oauth2"
    SSO_USER = "sso_user"

    def __str__(self) -> str:
        return str(self.value)
