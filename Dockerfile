# The city IOC as a container, on Node 24, a long-term-support line with years of security fixes ahead
# (docs/deployment.md, "Node"). The app runs from its TypeScript source through tsx's public loader
# (`--import tsx`): no build step to drift from the source. Node 24's own type stripping is not enough:
# some modules use syntax it cannot erase (constructor parameter properties).
FROM node:24-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
# pg_dump and pg_restore of the database server's major version (TimescaleDB on PostgreSQL 16 in
# docker-compose.yml) for the nightly backup: pg_dump refuses a server newer than itself, and Debian
# bookworm ships only 15, so they come from the PostgreSQL project's own Debian repository.
ARG PG_CLIENT_MAJOR=16
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates curl \
 && install -d /usr/share/postgresql-common/pgdg \
 && curl -fsSLo /usr/share/postgresql-common/pgdg/apt.postgresql.org.asc https://www.postgresql.org/media/keys/ACCC4CF8.asc \
 && echo "deb [signed-by=/usr/share/postgresql-common/pgdg/apt.postgresql.org.asc] https://apt.postgresql.org/pub/repos/apt bookworm-pgdg main" > /etc/apt/sources.list.d/pgdg.list \
 && apt-get update \
 && apt-get install -y --no-install-recommends postgresql-client-${PG_CLIENT_MAJOR} \
 && apt-get purge -y curl && apt-get autoremove -y && rm -rf /var/lib/apt/lists/*
ENV PG_BIN=/usr/lib/postgresql/${PG_CLIENT_MAJOR}/bin
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund
COPY tsconfig.json ./
COPY src ./src
COPY devices ./devices
COPY migrations ./migrations
COPY simulators ./simulators
# npm run backup, restore and admin inside the container (docker compose exec app-1 npm run …).
COPY scripts ./scripts
COPY dashboards ./dashboards
# DATA_DIR for the process and the simulator's fleet credentials: a named volume mounted here takes
# this owner, so the unprivileged user can write to it.
RUN mkdir -p /data && chown node:node /data
USER node
EXPOSE 8080 1883
HEALTHCHECK --interval=10s --timeout=3s --retries=5 CMD node -e "fetch('http://127.0.0.1:8080/readyz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
# A young generation of up to 64 MiB per semi-space (at thousands of messages a second most of what a
# message allocates dies there), and an old generation collected once it grows by half (RSS stays
# well under the target): docs/decisions/0013-heap-settings.md.
CMD ["node", "--max-semi-space-size=64", "--heap-growing-percent=50", "--single-threaded-gc", "--import", "tsx", "src/main.ts"]
