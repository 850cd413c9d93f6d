"""JSON Schema transforms: a tool's neutral schema into each provider's accepted form."""
