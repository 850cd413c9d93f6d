"""Tools: definitions, signatures and the registry."""
