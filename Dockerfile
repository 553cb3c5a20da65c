# The production image: slim Python, pinned dependencies, a non-root user, data on a volume.
FROM python:3.11-slim AS base

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DATA_DIR=/data \
    HOST=0.0.0.0 \
    PORT=3978

WORKDIR /app
RUN groupadd --system bot && useradd --system --gid bot --home-dir /app --shell /usr/sbin/nologin bot

COPY requirements/runtime.lock requirements/runtime.lock
RUN pip install -r requirements/runtime.lock

# The code runs from /app (not installed), so its config/ and flows stay beside it.
COPY bot ./bot
COPY dialogs ./dialogs
COPY storage ./storage
COPY scheduler ./scheduler
COPY config ./config
RUN mkdir -p /data && chown bot:bot /data

USER bot
VOLUME ["/data"]
EXPOSE 3978
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD python -c "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:3978/readyz', timeout=4).status == 200 else 1)"

# Migrations run at start; SCHOOL_CONFIG should point at the school's own file (mount it).
CMD ["python", "-m", "bot", "run"]
