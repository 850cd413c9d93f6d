"""The local provider: a GGUF model run in-process by llama.cpp (``llama-cpp-python``).

Its parts: `prompt` shows tools to the model and reads its calls back; `grammar` turns
the tool schemas into a GBNF grammar so that every call decoded is valid; `sampling`
enforces that grammar (cheaply in greedy decoding: the top token is checked first) and
steers a runaway call to close valid before the token limit; `generation` decodes one
reply, whole or streamed; `stream` reads a reply into stream events as it is decoded;
`runtime` counts the tokens of each generation; `provider` loads the model, runs requests
one at a time in a worker thread, and asks again for calls the grammar could not make
valid. A small model is carried to a right answer by `techniques` (`LocalTechniques`):
`fan_out` makes one call per item the user listed, `grounding` settles what the user's
words settle (the tool, a choice, a number), and `restate` opens an answer with the
results it answers. The model is the embedded SmolLM2-135M-Instruct by default
(`switchboard.providers.embedded`), or any GGUF file (``"local:/path/model.gguf"``).
"""

from switchboard.providers.local.grammar import call_grammar, call_schema, grammar_issues
from switchboard.providers.local.prompt import parse_reply, tool_listing
from switchboard.providers.local.provider import LocalProvider
from switchboard.providers.local.techniques import LocalTechniques

__all__ = [
    "LocalProvider",
    "LocalTechniques",
    "call_grammar",
    "call_schema",
    "grammar_issues",
    "parse_reply",
    "tool_listing",
]
