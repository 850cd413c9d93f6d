"""Runs that pause, persist, resume and replay: their state as JSON, approvals, the store.

- `codec`: the exact JSON forms of the neutral types (messages, calls, responses, usage).
- `state`: `RunState`, everything needed to continue a run, as versioned JSON.
- `approval`: pending calls, the decisions that answer them, and the exceptions a tool
  raises to pause its run.
- `store`: the `RunStore` protocol (one row per run, per step, per call) and its read models.
- `writes`: the writes of a `RunStore.write` batch (one transaction), one per write method.
- `sqlite`: `SQLiteStore`, the default store, on the standard library's ``sqlite3``.
- `request`: a model request's stored JSON form, and what of a message the model reads.
- `recording`: a stored run read back for replaying, its conversation put back together.
- `compare`: `Divergence`, and the comparisons of requests and results that find it.
- `replay`: `replay`, which runs a stored run again against its recorded replies.
- `postgres`: `PostgresStore`, runs shared by several machines in one PostgreSQL database.
- `location`: `open_run_store`, the store one setting names (a path or a ``postgresql://`` URL).

- `recorder`: `RunRecorder`, which writes a run's checkpoints to a store as the loop goes.

This package imports nothing in it on import. `codec`, `state`, `approval`, `store`,
`writes`, `sqlite` and `postgres` import only the neutral layer (``messages``,
``errors``), so the run's outcome, the executor and the loop may use them (psycopg is
imported only when a `PostgresStore` is made); `request` and `recorder` (the loop's
writer) add providers and tools, which the loop already imports; `replay` imports the
loop, which must not import it.
"""
