// Bundles the compiled driver into one ES module (dist/bundle/ebs-csi-driver.mjs), which is
// what the package's bin and the container image run. The point is memory and start-up:
// resolving the AWS SDK's ES build lets esbuild drop the EC2 commands the driver never
// sends; measured with `npm run bench`, this roughly halves start-up time and took RSS from
// ~155 MiB to ~95 MiB, and the schema rewrite below a further 13 MiB; node mode loads no EC2
// SDK at all. Runtime files (proto/, node_modules for protobufjs' own google/*.proto) are
// still found beside the package, so the bundle runs in place.
import { readFile, rm } from 'node:fs/promises';
import { isBuiltin } from 'node:module';
import { build } from 'esbuild';

// The EC2 client's schemas file describes all ~700 EC2 operations (1 MB). Its object keys are
// written as computed keys naming module constants (`{ [_xN]: _m }`), and esbuild must assume
// a computed key can run code, so it keeps every schema, used or not. Writing those keys as the
// string literals the constants hold changes nothing at run time and lets esbuild keep only
// the schemas the driver's commands reach.
const SCHEMAS = /client-ec2[\\/]dist-es[\\/]schemas[\\/]schemas_\d+\.js$/;
const literalSchemaKeys = {
  name: 'literal-schema-keys',
  setup(pluginBuild) {
    pluginBuild.onLoad({ filter: SCHEMAS }, async (args) => {
      const text = await readFile(args.path, 'utf8');
      const strings = new Map([...text.matchAll(/^const (_\w+) = ("[^"\\\n]*");$/gm)].map((m) => [m[1], m[2]]));
      let rewritten = 0;
      const contents = text.replace(/\[(_\w+)\]:/g, (key, name) => {
        const literal = strings.get(name);
        if (literal === undefined) return key;
        rewritten += 1;
        return `${literal}:`;
      });
      // A new SDK layout would only cost memory again; say so rather than fail the build.
      const warnings = rewritten === 0 ? [{ text: 'no computed schema keys found; the EC2 schemas will not be tree-shaken' }] : [];
      return { contents, loader: 'js', warnings };
    });
  },
};

// Node's own modules are loaded with require(), not import. An ES import of a built-in builds
// an ES facade that reads every export once, which runs the lazy getters a built-in keeps for
// what it rarely needs: in Node 24, `import ... from 'node:http'` loads the whole bundled undici
// (fetch, WebSocket) through http's lazy WebSocket export. Measured: 10 MiB of resident memory
// for a program that only imports node:http. require() hands over the module object and leaves
// the getters alone.
const builtinsByRequire = {
  name: 'builtins-by-require',
  setup(pluginBuild) {
    pluginBuild.onResolve({ filter: /^node:|^[a-z_]+(\/[a-z_]+)?$/ }, (args) => {
      const name = args.path.replace(/^node:/, '');
      if (!isBuiltin(name) || args.namespace === 'builtin-by-require') return undefined;
      return { path: name, namespace: 'builtin-by-require' };
    });
    pluginBuild.onLoad({ filter: /.*/, namespace: 'builtin-by-require' }, (args) => ({
      contents: `module.exports = require(${JSON.stringify(`node:${args.path}`)});`,
      loader: 'js',
    }));
  },
};

// Chunk names carry content hashes: without a clean folder, stale chunks would pile up (and ship).
await rm('dist/bundle', { recursive: true, force: true });
await build({
  entryPoints: ['dist/src/main.js'],
  outExtension: { '.js': '.mjs' },
  entryNames: 'ebs-csi-driver',
  outdir: 'dist/bundle',
  bundle: true,
  // Chunks for the dynamic imports in app.ts: node mode never loads the EC2 SDK.
  splitting: true,
  chunkNames: 'chunks/[name]-[hash]',
  platform: 'node',
  format: 'esm',
  target: 'node22',
  // Prefer the SDK's ES modules (tree-shakable) over its CommonJS build.
  mainFields: ['module', 'main'],
  // Bundled CommonJS dependencies call require(); give the ES module one.
  banner: { js: "import { createRequire as __createRequire } from 'node:module';\nconst require = __createRequire(import.meta.url);" },
  plugins: [literalSchemaKeys, builtinsByRequire],
  sourcemap: 'linked',
  logLevel: 'warning',
});
