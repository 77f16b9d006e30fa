# Slim, non-root image running the Slack app in HTTP mode (persona-bot serve).
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY handlers ./handlers
COPY prompts ./prompts
RUN pip wheel --no-cache-dir --wheel-dir /wheels .

FROM python:3.11-slim
ENV PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1 PIP_NO_CACHE_DIR=1
RUN useradd --create-home --uid 10001 persona
COPY --from=build /wheels /wheels
RUN pip install --no-index --find-links=/wheels persona-bot && rm -rf /wheels
USER persona
WORKDIR /home/persona
# The embedded warehouse is created here on first use; mount a volume or use BigQuery in production.
ENV PERSONA_DUCKDB_PATH=/home/persona/data/warehouse.duckdb
EXPOSE 3000
# /healthz is answered on uvicorn's event loop, so the check passes while every request thread is busy. Metrics
# stay off the public port when PERSONA_METRICS_BIND names a private address.
HEALTHCHECK --interval=30s --timeout=3s CMD python -c "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:3000/healthz', timeout=2).status != 200)"
CMD ["persona-bot", "serve", "--host", "0.0.0.0", "--port", "3000"]
