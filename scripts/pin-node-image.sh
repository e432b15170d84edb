#!/usr/bin/env bash
# Pins the Dockerfile's base image to the digest its tag points at now:
#   scripts/pin-node-image.sh [TAG]        (default: the tag already in the Dockerfile)
# rewrites `ARG NODE_IMAGE=...` to `node:<tag>@sha256:<digest>` (the multi-platform index digest, so
# amd64 and arm64 builds both stay pinned). Needs a registry client: docker buildx or crane.
set -euo pipefail
cd "$(dirname "$0")/.."
current=$(sed -n 's/^ARG NODE_IMAGE=//p' Dockerfile)
tag=${1:-${current%@*}}
if command -v crane >/dev/null 2>&1; then
  digest=$(crane digest "$tag")
elif docker buildx version >/dev/null 2>&1; then
  digest=$(docker buildx imagetools inspect "$tag" --format '{{.Manifest.Digest}}')
else
  echo "pin-node-image: needs crane or docker buildx to ask the registry for $tag's digest" >&2
  exit 1
fi
[[ $digest =~ ^sha256:[0-9a-f]{64}$ ]] || { echo "pin-node-image: unexpected digest '$digest'" >&2; exit 1; }
sed -i "s|^ARG NODE_IMAGE=.*|ARG NODE_IMAGE=$tag@$digest|" Dockerfile
echo "NODE_IMAGE=$tag@$digest"
