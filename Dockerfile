# Sevensteps: one image for the web (uvicorn) and the worker (celery).
FROM python:3.12-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# Pango and fonts for WeasyPrint (PDF reports); Graphviz draws the diagrams in them.
RUN apt-get update \
 && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core \
    graphviz \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY pyproject.toml README.md ./
RUN pip install .

COPY . .
RUN DEBUG=false SECRET_KEY=collectstatic-only-not-a-real-key-0123456789abcdefghijklmnop EMAIL_HOST=console \
    ALLOWED_HOSTS=localhost python manage.py collectstatic --no-input \
 && useradd --create-home --uid 1000 sevensteps \
 && chown -R sevensteps /app
USER sevensteps

EXPOSE 8000
# Room messages are small and the server is CPU-bound: no per-message compression. Forwarded
# headers are believed only from FORWARDED_ALLOW_IPS (uvicorn reads it; loopback by default).
CMD ["uvicorn", "config.asgi:application", "--host", "0.0.0.0", "--port", "8000", "--proxy-headers", "--ws-per-message-deflate", "false"]
