"""What background parts of the server report for /readyz (e.g. Unipile webhook registration).

One ``Reports`` object per app (``app.state.reports``): a part sets its current state, and the
readiness probe shows every state and fails on those marked as problems."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Report:
    state: str
    # Set when the state means the server cannot do its job: /readyz then answers 503.
    problem: str | None = None


@dataclass
class Reports:
    _reports: dict[str, Report] = field(default_factory=dict)

    def set(self, name: str, state: str, problem: str | None = None) -> None:
        self._reports[name] = Report(state, problem)

    def items(self) -> list[tuple[str, Report]]:
        return sorted(self._reports.items())
