# The production image: pinned dependencies built in one stage, a slim non-root runtime in the
# next, data on a volume. Migrations run at start (or: python -m bot migrate).
FROM python:3.11-slim AS build

ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/venv
COPY requirements/runtime.lock /tmp/runtime.lock
RUN /opt/venv/bin/pip install --require-virtualenv -r /tmp/runtime.lock


FROM python:3.11-slim AS runtime

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PATH=/opt/venv/bin:$PATH \
    DATA_DIR=/data \
    HOST=0.0.0.0 \
    PORT=3978

# Pango, HarfBuzz and a font for WeasyPrint (the review document's PDF), as its documentation
# lists for a virtualenv on Debian; nothing else is added to the slim base.
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/*
RUN groupadd --system bot && useradd --system --gid bot --home-dir /app --shell /usr/sbin/nologin bot
WORKDIR /app
COPY --from=build /opt/venv /opt/venv

# The code runs from /app (not installed), so its config/ and flows stay beside it.
COPY bot ./bot
COPY dialogs ./dialogs
COPY storage ./storage
COPY scheduler ./scheduler
COPY config ./config
# A new volume takes this folder's owner and mode. The bot makes DATA_DIR 0700 and its files
# 0600 at every start anyway, and stops (saying the chown to run) if /data is not the bot's.
RUN install -d -o bot -g bot -m 0700 /data

USER bot
VOLUME ["/data"]
EXPOSE 3978
# The monitoring provider's alert e-mails (SMTP from the school's relay), when the school file
# sets `monitoring: email:` (docs/monitoring-email.md).
EXPOSE 2525
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD python -c "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:3978/readyz', timeout=4).status == 200 else 1)"

# Point SCHOOL_CONFIG at the school's own file (mounted read-only); secrets come from the
# environment at run time, never from the image.
CMD ["python", "-m", "bot", "run"]
