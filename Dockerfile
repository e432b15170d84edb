# mcpgw image: compile in a build stage, ship only the compiled service and its production
# dependencies, run as a fixed non-root uid.
#
# Base image: Node.js 24, an LTS line (package.json "engines": >=22). Both stages use NODE_IMAGE.
# Release builds pin it by digest, so a rebuild gets the same bytes and a moved tag cannot slip in:
#   scripts/pin-node-image.sh          # resolves node:24-bookworm-slim to its current digest and
#                                      # writes NODE_IMAGE=node:24-bookworm-slim@sha256:<digest> here
# Run it (it needs a registry client: docker buildx or crane) when refreshing the base for security
# fixes, then build and run the tests; docs/deployment.md, "The image", has the procedure.
ARG NODE_IMAGE=node:24-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
# Nothing the compiler needs runs an install script.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
# Only src/ is in this stage, so dist/ holds dist/src (and any JSON that src imports).
RUN npx tsc -p tsconfig.build.json

# The shipped image (the default target, the last stage below, is exactly this one).
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production
# V8's own young generation size, stated so the Deployment repeats it: with 16 MB semi-spaces a
# request's objects die young instead of being promoted (a 2 MB one cost 20–40 % more CPU per request in the bench),
# and V8 shrinks the young generation again once mcpgw idles (docs/performance.md, "Third round").
# The Kubernetes Deployment sets its own NODE_OPTIONS, with this flag too.
ENV NODE_OPTIONS=--max-semi-space-size=16
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
# The package's `mcpgw` command; with dist/ present it runs the compiled CLI.
COPY bin ./bin
COPY schema ./schema
# mcpgw's own protos (the control API, the dynamic metadata), loaded at runtime.
COPY proto ./proto
# The example config is the default; mount a ConfigMap over /etc/mcpgw to replace it.
COPY examples/gateway.yaml /etc/mcpgw/gateway.yaml
# A numeric uid so Kubernetes' runAsNonRoot can verify it without reading /etc/passwd.
RUN groupadd --system --gid 10001 mcpgw \
 && useradd --system --uid 10001 --gid 10001 --no-create-home --shell /usr/sbin/nologin mcpgw
USER 10001:10001
# 9001: gRPC (ext_authz, ext_proc); 9090: HTTP (metrics, health).
EXPOSE 9001 9090
# No HEALTHCHECK: Kubernetes ignores it and uses its own probes.
ENTRYPOINT ["node", "bin/mcpgw.js"]
CMD ["serve", "--config", "/etc/mcpgw/gateway.yaml"]

# `docker build --target bridge`: the same image with `mcpgw bridge` as its command (docs/bridge.md),
# to run a stdio MCP server as a Streamable HTTP pod. The server's command line is the container's
# args after `--` (e.g. Kubernetes `args: ["--", "node", "server.js", "stdio"]`); flags before the
# `--` add to or override these (`--shared`, `--max-sessions 8`). Still uid 10001.
FROM runtime AS bridge
EXPOSE 8080
ENTRYPOINT ["node", "bin/mcpgw.js", "bridge", "--port", "8080"]
CMD []

# The default target: the mcpgw service image above, unchanged.
FROM runtime
