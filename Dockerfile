# syntax=docker/dockerfile:1
# transcript-bot: `docker compose up -d` (see docker-compose.yml), or
#   docker build -t transcript-bot . && docker run --env-file .env -v bot-data:/data transcript-bot

FROM python:3.11-slim AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
COPY pyproject.toml README.md ./
COPY bot ./bot
# A wheel of the bot and of every dependency (no dev extras), so the final image needs no compiler.
RUN pip wheel --wheel-dir /wheels .

FROM python:3.11-slim
ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    TZ=UTC \
    BOT_DATABASE=/data/bot.sqlite3 \
    BOT_CONTENT_DIR=/app/content \
    BOT_CONSOLE=0
RUN apt-get update \
    && apt-get install -y --no-install-recommends tzdata \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --system --gid 10001 bot \
    && useradd --system --uid 10001 --gid bot --home-dir /app --no-create-home --shell /usr/sbin/nologin bot \
    && mkdir -p /app /data \
    && chown bot:bot /data
COPY --from=build /wheels /wheels
RUN pip install --no-index --find-links=/wheels transcript-bot && rm -rf /wheels
WORKDIR /app
COPY --chown=root:root content ./content
USER bot
VOLUME ["/data"]
# Webhook mode only (TELEGRAM_WEBHOOK_URL set); long polling needs no open port.
EXPOSE 8443
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=30s --timeout=10s --start-period=60s --retries=3 CMD ["transcript-bot", "health"]
CMD ["transcript-bot", "run"]
