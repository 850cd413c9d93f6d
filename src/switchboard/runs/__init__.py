"""Runs that pause, persist and resume: their state as JSON, approvals, and the run store.

- `codec`: the exact JSON forms of the neutral types (messages, calls, responses, usage).
- `state`: `RunState`, everything needed to continue a run, as versioned JSON.
- `approval`: pending calls, the decisions that answer them, and the exceptions a tool
  raises to pause its run.
- `store`: the `RunStore` protocol (one row per run, per step, per call) and its read models.
- `sqlite`: `SQLiteStore`, the default store, on the standard library's ``sqlite3``.
- `recorder`: `RunRecorder`, which writes a run's checkpoints to a store as the loop goes,
  and the JSON form of a step's request.

This package imports nothing in it on import. Its modules import only the neutral layer
(``messages``, ``errors``), so the run's outcome, the executor and the loop may use them;
but `recorder`, the loop's writer, which reads the loop's requests and tools too.
"""
