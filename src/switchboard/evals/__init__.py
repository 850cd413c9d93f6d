"""Evaluations: BFCL through its own checker, and task success on task files."""
