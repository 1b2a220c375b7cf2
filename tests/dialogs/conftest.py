"""An engine-level chat driver: scripted inputs in, replies and intents out."""

from __future__ import annotations

import pytest

from dialogs.intake import judge
from dialogs.model import Session, Upload, UserInput
from tests.conftest import NOW


def checked(up: Upload) -> Upload:
    """What the runner does before the engine: the intake judge's verdict attached as data."""
    if up.checked is not None or up.data is None:
        return up
    return up.model_copy(update={"checked": judge(up.data), "data": None})


class Chat:
    def __init__(self, engine):
        self.engine = engine
        self.session = Session()
        self.replies = []
        self.intents = []
        self.now = NOW

    def send(self, kind: str, value=None, **kw):
        if kind == "upload":
            kw["files"] = [checked(v if isinstance(v, Upload) else Upload(data=v, size=len(v))) for v in value]
        elif kind == "choose":
            kw["payload"] = value
        elif kind == "command":
            kw["command"] = value
        elif kind == "other":
            kw["other"] = value
        elif value is not None:
            kw["text"] = value
        out = self.engine.handle(self.session, UserInput(kind=kind, now=self.now, account="telegram:1", **kw))
        self.session = out.session
        self.replies = out.replies
        self.intents = out.intents
        return out

    def run(self, script):
        for kind, value in script:
            self.send(kind, value)
            assert not any("⚠️" in r.text for r in self.replies), (kind, value, self.text)
        return self

    @property
    def state(self) -> str:
        return self.session.state

    @property
    def text(self) -> str:
        return "\n".join(r.text for r in self.replies)

    @property
    def buttons(self) -> list[str]:
        return [b.data for r in self.replies for row in r.buttons for b in row]

    @property
    def labels(self) -> list[str]:
        return [b.label for r in self.replies for row in r.buttons for b in row]


@pytest.fixture
def chat(engine) -> Chat:
    return Chat(engine)
