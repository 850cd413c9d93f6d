"""Runs that pause, persist and resume: their state as JSON, approvals, and the run store.

- `codec`: the exact JSON forms of the neutral types (messages, calls, responses, usage).
- `state`: `RunState`, everything needed to continue a run, as versioned JSON.
- `approval`: pending calls, the decisions that answer them, and the exceptions a tool
  raises to pause its run.
- `store`: the `RunStore` protocol (one row per run, per step, per call) and its read models.
- `sqlite`: `SQLiteStore`, the default store, on the standard library's ``sqlite3``.
- `postgres`: `PostgresStore`, runs shared by several machines in one PostgreSQL database.
- `location`: `open_run_store`, the store one setting names (a path or a ``postgresql://`` URL).

This package imports nothing in it on import, and its modules import only the neutral layer
(``messages``, ``errors``), so the loop and the executor may use them; psycopg is imported
only when a `PostgresStore` is made.
"""
