# Slim, non-root image running either role: the Slack app in HTTP mode (persona-bot serve, the default command) or,
# with REDIS_URL, a worker running queued jobs (command: persona-bot worker). See docs/queue.md.
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
EXPOSE 3000 9200
# Whichever role runs answers /healthz: the web process on 3000 (on uvicorn's event loop, so the check passes while
# every request thread is busy), a worker on 9200 (503 once it is stopping or a thread died). A container runs one
# role, so the check passes when either answers 200. Metrics stay off the public port when PERSONA_METRICS_BIND
# names a private address.
HEALTHCHECK --interval=30s --timeout=3s CMD python -c "import urllib.request,sys; ok=lambda p: urllib.request.urlopen(f'http://127.0.0.1:{p}/healthz', timeout=1).status == 200; sys.exit(0 if any(ok(p) for p in (3000, 9200) if not __import__('socket').socket().connect_ex(('127.0.0.1', p))) else 1)"
CMD ["persona-bot", "serve", "--host", "0.0.0.0", "--port", "3000"]
