"""`LocalTechniques`: what the local provider does to carry a small model to a right answer."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["LocalTechniques"]


@dataclass(frozen=True, slots=True)
class LocalTechniques:
    """Switches for the local provider's small-model techniques, each on by default.

    Each is kept because the task evaluation (``switchboard eval tasks``,
    ``benchmarks/main_job.py``) shows it helps the embedded model; turn one off to
    measure it.

    Attributes:
        fan_out: When the user's message lists several items of one kind ("Tokyo and
            Paris") and the reply calls a tool for one of them, add the same call for
            each other item (see `switchboard.providers.local.fan_out`).
        plain_answers: An answer may not start like a call or hold JSON braces or
            backticks, under ``tool_choice="none"`` and in the answer branch of
            ``"auto"``: a small model otherwise echoes a call's JSON, or writes code.
        name_match: The first reply to a message that names a tool's subject ("Tokyo
            weather?") may call only the tools whose names share the most words with it
            (see `switchboard.providers.local.grounding.named_tools`).
        ground_choices: A call's argument with fixed choices takes the one choice the
            user's message names ("in Fahrenheit"), if the model wrote another; an
            integer argument the one integer of the message ("the 3-day forecast")
            (see `switchboard.providers.local.grounding.ground_choices`).
        ground_strings: A string argument that is a piece of a span the user set apart
            (quoted, or a formula) becomes that span: ``"Remove pay rent"`` for the
            quoted ``'Pay rent'``, ``"12 + 8"`` for ``(12 + 8) * 3``.
        restate: An answer to tool results begins with them restated, a short line per
            call, and the model goes on from there for one line. The restatement does not
            count against ``max_tokens`` (the reply gets room to end past it), and an
            answer cut by the limit ends at its last whole sentence (see
            `switchboard.providers.local.restate`). Needs ``plain_answers``.
        clauses: A message that asks for several things, clause by clause, each opened
            by a verb that opens one tool's name or description ("Mark 'Call mom' as done
            and show me my list"), gets a call for each: while a clause's tool has not been
            called since the message, the next reply must call one of those tools (see
            `switchboard.providers.local.clauses`).

    Example:
        >>> LocalTechniques(fan_out=False).plain_answers
        True
    """

    fan_out: bool = True
    plain_answers: bool = True
    name_match: bool = True
    ground_choices: bool = True
    ground_strings: bool = True
    restate: bool = True
    clauses: bool = True
