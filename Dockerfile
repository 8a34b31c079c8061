# syntax=docker/dockerfile:1
# The bot as a container: docker compose up -d (compose.yaml), or
#   docker build -t media-tracker . && docker run -d --env-file .env -v media-tracker-data:/data media-tracker
# Everything the bot keeps is in the /data volume; the image itself is never written to.

# Build stage: installs the packages (better-sqlite3 compiles here if no prebuilt binary fits) and
# builds the bundle: `npm ci` runs the `prepare` script, as on any fresh clone.
FROM node:20-slim AS build
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
COPY src ./src
COPY agents ./agents
COPY runtime ./runtime
COPY migrations ./migrations
RUN --mount=type=cache,target=/root/.npm npm ci --omit=dev

# Run stage: the built app, owned by root and read-only for the bot, which runs as the unprivileged
# "node" user of the official image.
FROM node:20-slim
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=8080 \
    DATABASE_PATH=/data/media-tracker.db \
    BACKUP_DIR=/data/backups
WORKDIR /app
COPY --from=build /app /app
RUN mkdir -p /data && chown node:node /data && chmod 700 /data
USER node
VOLUME ["/data"]
EXPOSE 8080
# SIGTERM lets the bot finish the messages and sends in progress; give it time (see compose.yaml).
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 8080) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# What `npm start` runs, without npm in between: signals reach the bot directly.
CMD ["node", "--max-old-space-size=160", "--max-semi-space-size=8", "src/launch.mjs"]
