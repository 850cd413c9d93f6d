"""Execution: turning a model's tool calls into results."""
