from enum import StrEnum


class MCPServerTransport(StrEnum):
    HTTP_TRANSPORT = "streamable-http"
    SSE = "sse"
    STDIO = "stdio"

    def __str__(self) -> str:
        return str(self.value)
