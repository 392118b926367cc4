"""What the hook really sent and got back, seen from the client (a ``requests`` hook).

The sandbox's own request log misses the 500 zenodo.org answers for a cleared scroll (raised
past its middleware), so tests that count token requests read the client's side.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlparse

import requests

from zenodo.hooks.zenodo import ZenodoHook


@dataclass(frozen=True)
class Answer:
    """One OAI-PMH request sent and the status it got."""

    params: dict[str, str]
    status: int

    @property
    def token(self) -> str | None:
        """The resumption token sent, if any."""
        return self.params.get("resumptionToken")


def record_answers(hook: ZenodoHook) -> list[Answer]:
    """Return a list that fills with every OAI-PMH answer the hook's session receives."""
    answers: list[Answer] = []

    def seen(response: requests.Response, *_args: Any, **_kwargs: Any) -> None:
        url = urlparse(response.url)
        if url.path.endswith("/oai2d"):
            params = {k: v[0] for k, v in parse_qs(url.query).items()}
            answers.append(Answer(params, response.status_code))

    hook.session().hooks["response"].append(seen)
    return answers
