"""The local provider: a GGUF model run in-process by llama.cpp (``llama-cpp-python``).

Its parts: `prompt` shows tools to the model and reads its calls back; `grammar` turns
the tool schemas into a GBNF grammar so that every call decoded is valid; `sampling`
enforces that grammar (cheaply in greedy decoding: the top token is checked first) and
steers a runaway call to close valid before the token limit; `generation` decodes one
reply, whole or streamed; `stream` reads a reply into stream events as it is decoded;
`runtime` counts the tokens of each generation; `provider` loads the model, runs requests
one at a time in a worker thread, and asks again for calls the grammar could not make
valid. The model is the embedded SmolLM2-135M-Instruct by default
(`switchboard.providers.embedded`), or any GGUF file (``"local:/path/model.gguf"``).
"""

from switchboard.providers.local.grammar import call_grammar, call_schema, grammar_issues
from switchboard.providers.local.prompt import parse_reply, tool_listing
from switchboard.providers.local.provider import LocalProvider

__all__ = [
    "LocalProvider",
    "call_grammar",
    "call_schema",
    "grammar_issues",
    "parse_reply",
    "tool_listing",
]
