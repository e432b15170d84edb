# mcpgw image: compile in a build stage, ship only the compiled service and its production
# dependencies, run as a fixed non-root uid.

FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# Nothing the compiler needs runs an install script.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
# Only src/ is in this stage, so dist/ holds dist/src (and any JSON that src imports).
RUN npx tsc -p tsconfig.build.json

FROM node:20-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
COPY schema ./schema
# The example config is the default; mount a ConfigMap over /etc/mcpgw to replace it.
COPY examples/gateway.yaml /etc/mcpgw/gateway.yaml
# A numeric uid so Kubernetes' runAsNonRoot can verify it without reading /etc/passwd.
RUN groupadd --system --gid 10001 mcpgw \
 && useradd --system --uid 10001 --gid 10001 --no-create-home --shell /usr/sbin/nologin mcpgw
USER 10001:10001
# 9001: gRPC (ext_authz, ext_proc); 9090: HTTP (metrics, health).
EXPOSE 9001 9090
# No HEALTHCHECK: Kubernetes ignores it and uses its own probes.
ENTRYPOINT ["node", "dist/src/cli/main.js"]
CMD ["serve", "--config", "/etc/mcpgw/gateway.yaml"]
