# Container image of the driver: one image for the controller and the node plugin (the Helm
# chart picks the mode). Build: docker build -t ebs-csi-driver-ts:v$(node -p "require('./package.json').version") .
#
# Two stages: the TypeScript build and bundle, and a slim runtime holding the bundle, the proto
# files it reads at start-up and the filesystem tools the node plugin runs. The bundle carries
# all of its JavaScript, so no node_modules ship (measured: the bundle alone serves controller
# and node mode; the production node_modules would add ~55 MB).

# Current Node.js LTS on Debian 13 (trixie); override with --build-arg NODE_IMAGE=...
ARG NODE_IMAGE=node:24-trixie-slim

# 1. Compile TypeScript and bundle (needs the dev dependencies, which stay in this stage).
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json ./
COPY scripts/bundle.mjs scripts/warm-compile-cache.mjs ./scripts/
COPY proto ./proto
COPY src ./src
# tsc, then the single-file bundle the image runs (scripts/bundle.mjs says why).
RUN npm run build
# Node's compile cache of every bundle module (scripts/warm-compile-cache.mjs says why), for root
# (the node plugin) and the node user (uid 1000, the controller): Node keeps one folder per user.
# The node flags must be the ENTRYPOINT's (test/unit/image checks it): V8 refuses code cached
# under other flags.
ENV NODE_COMPILE_CACHE=/app/.node-compile-cache
RUN mkdir -p "${NODE_COMPILE_CACHE}" && chown node "${NODE_COMPILE_CACHE}" \
 && for user in root node; do \
      su "${user}" -s /bin/sh -c "NODE_COMPILE_CACHE=${NODE_COMPILE_CACHE} \
        node --max-semi-space-size=1 --no-turbofan --no-maglev dist/bundle/ebs-csi-driver.mjs --version >/dev/null \
        && NODE_COMPILE_CACHE=${NODE_COMPILE_CACHE} \
        node --max-semi-space-size=1 --no-turbofan --no-maglev scripts/warm-compile-cache.mjs"; \
    done

# 2. Runtime.
FROM ${NODE_IMAGE}
# Tools the node plugin runs: mkfs/resize for ext4 (e2fsprogs) and xfs (xfsprogs), blkid and
# blockdev (util-linux), mount and umount (mount). nvme-cli is not run by the driver (it reads
# NVMe serials from sysfs) but is there for an operator debugging devices in the pod.
RUN apt-get update \
 && apt-get install -y --no-install-recommends e2fsprogs xfsprogs util-linux mount nvme-cli \
 && rm -rf /var/lib/apt/lists/*
ENV NODE_ENV=production
# Fewer glibc malloc arenas: ~15 MiB less resident memory (measured with `npm run bench`,
# which reads this file and runs the driver with the same environment and node flags).
ENV MALLOC_ARENA_MAX=2
# V8 code of the bundle, cached at build time: start-up skips parsing and compiling it.
ENV NODE_COMPILE_CACHE=/app/.node-compile-cache
WORKDIR /app
# The driver finds proto/ and package.json by walking up from the bundle at run time, and
# reads protobufjs' own google/protobuf/*.proto files from node_modules/protobufjs.
COPY --from=build /app/node_modules/protobufjs ./node_modules/protobufjs
COPY --from=build /app/dist/bundle ./dist/bundle
COPY --from=build /app/.node-compile-cache ./.node-compile-cache
COPY package.json ./
COPY proto ./proto
# Non-root by default (the image's "node" user, uid 1000): enough for the controller, which
# only talks to EC2. The node plugin formats and mounts devices, so the chart runs it as root
# (runAsUser: 0, privileged).
USER 1000:1000
# Node flags, each measured with `npm run bench` on the controller at N=100:
# - a 1 MiB young generation instead of V8's 16 MiB: -6 MiB resident;
# - no optimizing JIT (TurboFan; Maglev, on by default from Node 22): -9 MiB resident. The
#   driver waits on EC2 and the kernel, never on its own code; the interpreter and the
#   Sparkplug baseline compiler serve it (CPU time and latencies are in the bench output).
ENTRYPOINT ["node", "--max-semi-space-size=1", "--no-turbofan", "--no-maglev", "/app/dist/bundle/ebs-csi-driver.mjs"]
CMD ["--help"]
