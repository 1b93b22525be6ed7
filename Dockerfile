# ITDA (잇다): the bot in a slim Python image, run with uv as a non-root user.
FROM python:3.11-slim

ENV UV_LINK_MODE=copy \
    UV_COMPILE_BYTECODE=1 \
    UV_PROJECT_ENVIRONMENT=/app/.venv \
    PYTHONUNBUFFERED=1 \
    ITDA_DATA_DIR=/data

RUN pip install --no-cache-dir uv \
    && useradd --create-home --uid 10001 itda \
    && mkdir -p /data /app \
    && chown itda:itda /data /app

WORKDIR /app
COPY --chown=itda:itda pyproject.toml uv.lock README.md ./
USER itda
RUN uv sync --frozen --no-dev --no-install-project
COPY --chown=itda:itda . .
RUN uv sync --frozen --no-dev

VOLUME ["/data"]
ENTRYPOINT ["uv", "run", "--no-dev", "itda"]
CMD ["run"]
