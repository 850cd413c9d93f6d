"""Many conversations at once, here or on Ray, and tools that run on Ray.

`switchboard.batch` (the function, in `switchboard.batch.run`) runs a conversation per
line of a JSON Lines file; `Ray` (`switchboard.batch.remote`) runs a tool's calls as Ray
tasks. Ray is an optional extra, imported only when a batch or a tool uses it.
"""
