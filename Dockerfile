# ITDA (잇다): the bot in a slim Python image, run with uv as a non-root user.
# Pinned: the Python base (3.11 patch release, Debian bookworm) and uv, so a rebuild next year
# builds the same image; raise both on purpose (the uv version is the one the lock was made with).
FROM python:3.11.11-slim-bookworm

ARG UV_VERSION=0.13.9
ENV UV_LINK_MODE=copy \
    UV_COMPILE_BYTECODE=1 \
    UV_PROJECT_ENVIRONMENT=/app/.venv \
    PYTHONUNBUFFERED=1 \
    ITDA_DATA_DIR=/data

RUN pip install --no-cache-dir "uv==${UV_VERSION}" \
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
# Healthy when the database answers and the bot runs on it (`itda health`); the first start
# runs the migrations, hence the start period.
HEALTHCHECK --interval=60s --timeout=20s --start-period=120s --retries=3 \
    CMD ["uv", "run", "--no-dev", "--frozen", "itda", "health"]
ENTRYPOINT ["uv", "run", "--no-dev", "itda"]
CMD ["run"]
