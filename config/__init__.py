"""The project's configuration: settings, URLs, the ASGI entry point and the Celery app.

The Celery app is not imported here: the live room's processes never need Celery, so they do
not load it (tests/test_architecture.py checks). The worker starts with ``-A config.celery``;
the code that enqueues (feedback/tasks.py) imports the app itself.
"""
