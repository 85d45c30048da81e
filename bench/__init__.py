"""The live-room benchmark (``make bench``; docs/performance.md).

``run`` orchestrates: a dedicated database and Redis namespace, the seed, the page costs, then
the same socket load (``load``, a separate process) against the raw relay (``relay``) and the
app served by uvicorn with one and with two processes.
"""
