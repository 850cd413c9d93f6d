"""Resumes a paused run in a process of its own, for the pause tests.

Usage: ``python pause_worker.py LOG``, with one JSON object on stdin: ``state`` (the text of
``RunState.to_json``), ``turns`` (the model's turns, as lists of ``[id, name, arguments]``)
and ``approve`` (the ids of the calls to approve). Each tool run is appended to LOG, one
line each. Prints the resumed run's result: ``{"stop_reason", "output", "messages"}``, the
messages in the codec's JSON form.
"""

import json
import sys
from pathlib import Path

from switchboard import Approve, ToolCall
from switchboard.runs.codec import message_to_json
from tests.pausing import make_agent


def main() -> None:
    log = Path(sys.argv[1])
    job = json.loads(sys.stdin.read())
    turns = [[ToolCall(*call) for call in turn] for turn in job["turns"]]

    def write(line: str) -> None:
        with log.open("a", encoding="utf-8") as file:
            file.write(line + "\n")

    agent = make_agent(write, turns)
    result = agent.resume_sync(job["state"], {call_id: Approve() for call_id in job["approve"]})
    print(
        json.dumps(
            {
                "stop_reason": result.stop_reason,
                "output": result.output,
                "messages": [message_to_json(m) for m in result.messages],
            }
        )
    )


if __name__ == "__main__":
    main()
