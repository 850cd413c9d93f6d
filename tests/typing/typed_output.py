"""Checked by pyright (tests/test_typing.py): what a typed agent's results are typed as."""

from typing import assert_type

from pydantic import BaseModel

from switchboard import Agent, RunResult, ScriptedModel


class City(BaseModel):
    name: str


def takes_any_agent(agent: Agent) -> None:
    """A plain ``Agent`` annotation takes typed agents too."""


typed = Agent(ScriptedModel([]), output_type=City)
assert_type(typed.run_sync("x"), RunResult[City])
assert_type(typed.run_sync("x").parsed, City | None)
assert_type(typed.run_sync("x").output, str)
takes_any_agent(typed)
