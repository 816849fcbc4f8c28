from enum import StrEnum


class HarnessCLI(StrEnum):
    CLAUDE_CODE = "claude-code"
    CODEX = "codex"
    OPENCODE = "opencode"
    XPANDER = "xpander"

    def __str__(self) -> str:
        return str(self.value)
