import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, test } from 'node:test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { imageRuntime, parseImageRuntime } from '../../support/image-runtime.js';
import { projectRoot } from '../../support/moto.js';

const MULTI_STAGE = `
ARG NODE_IMAGE=node:24-slim
FROM \${NODE_IMAGE} AS build
ENV NODE_OPTIONS=--build-only
ENTRYPOINT ["node", "--wrong-stage", "/app/dist/bundle/ebs-csi-driver.mjs"]

FROM \${NODE_IMAGE}
# a comment
ENV NODE_ENV=production
ENV MALLOC_ARENA_MAX=2 \\
    GREETING="hello world"
WORKDIR /app
COPY --from=build /app/node_modules/protobufjs ./node_modules/protobufjs
COPY package.json tsconfig.json ./
ENTRYPOINT ["node", "--max-semi-space-size=1", "--no-turbofan", "/app/dist/bundle/ebs-csi-driver.mjs"]
CMD ["--help"]
`;

describe('image runtime from the Dockerfile', () => {
  test('takes the node flags and ENV of the last stage only, with continued lines and quotes', () => {
    const runtime = parseImageRuntime(MULTI_STAGE);
    assert.deepEqual(runtime.nodeArgs, ['--max-semi-space-size=1', '--no-turbofan']);
    assert.deepEqual(runtime.env, { NODE_ENV: 'production', MALLOC_ARENA_MAX: '2', GREETING: 'hello world' });
    assert.deepEqual(runtime.files, [
      { source: 'node_modules/protobufjs', target: 'node_modules/protobufjs' },
      { source: 'package.json', target: 'package.json' },
      { source: 'tsconfig.json', target: 'tsconfig.json' },
    ]);
    assert.equal(runtime.nodeMajor, 24, 'the Node major comes from the ARG default the runtime stage\'s FROM names');
    assert.equal(parseImageRuntime('FROM node:22.4-alpine\nENTRYPOINT ["node", "/app/dist/bundle/ebs-csi-driver.mjs"]\n').nodeMajor, 22);
    assert.equal(parseImageRuntime('FROM debian\nENTRYPOINT ["node", "/app/dist/bundle/ebs-csi-driver.mjs"]\n').nodeMajor, undefined);
  });

  test('refuses an image that does not run node on the bundle', () => {
    assert.throws(() => parseImageRuntime('FROM x\nENV A=1\n'), /no ENTRYPOINT/);
    assert.throws(() => parseImageRuntime('FROM x\nENTRYPOINT node /app/dist/bundle/ebs-csi-driver.mjs\n'), /exec-form array/);
    assert.throws(() => parseImageRuntime('FROM x\nENTRYPOINT ["bash", "/app/dist/bundle/ebs-csi-driver.mjs"]\n'), /must run node/);
    assert.throws(() => parseImageRuntime('FROM x\nENTRYPOINT ["node", "/app/main.js"]\n'), /must run node/);
  });

  test("the image's compile cache is made with the ENTRYPOINT's node flags (V8 refuses code cached under others)", () => {
    const { nodeArgs, env } = imageRuntime();
    assert.ok(env.NODE_COMPILE_CACHE, 'the runtime stage points NODE_COMPILE_CACHE at the cache it ships');
    const dockerfile = readFileSync(join(projectRoot, 'Dockerfile'), 'utf8').replace(/\\\r?\n/g, ' ');
    const warmup = dockerfile.split(/\r?\n/).find((l) => /^RUN .*warm-compile-cache\.mjs/.test(l)) ?? '';
    const runs = [...warmup.matchAll(/\bnode((?:\s+--[\w-]+(?:=\S+)?)*)\s+\S+\.mjs/g)].map((m) => (m[1] ?? '').trim().split(/\s+/));
    assert.equal(runs.length, 2, `the warm-up runs node twice (the bundle's --version, then the script): ${warmup}`);
    for (const flags of runs) assert.deepEqual(flags, nodeArgs);
  });

  test("the project's Dockerfile gives node flags this node accepts", () => {
    const { nodeArgs, env } = imageRuntime();
    assert.ok(nodeArgs.length > 0, 'the image tunes node; the benchmark must run with the same flags');
    const run = spawnSync(process.execPath, [...nodeArgs, '-e', '0'], { env: { ...process.env, ...env }, encoding: 'utf8' });
    assert.equal(run.status, 0, `node ${nodeArgs.join(' ')}: ${run.stderr}`);
  });
});
