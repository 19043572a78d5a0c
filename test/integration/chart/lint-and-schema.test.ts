// helm lint, the values schema (misspelt or mistyped values are refused with a readable message),
// the cross-value checks, and the key-by-key documentation of values.yaml.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { isMap, isScalar, parseDocument, type Node } from 'yaml';
import { CHART_DIR, lint, renderError, requireHelm } from './helm.js';
import { SCENARIOS } from './scenarios.js';

interface SchemaNode {
  readonly properties?: Readonly<Record<string, SchemaNode>>;
}

/** Paths of keys that the schema declares inline but values.yaml leaves without a comment. */
function undocumentedKeys(node: Node | null, schema: SchemaNode, path: string): string[] {
  if (!isMap(node) || !schema.properties) return [];
  const missing: string[] = [];
  node.items.forEach((pair, index) => {
    const key = isScalar(pair.key) ? String(pair.key.value) : '?';
    const keyNode = isScalar(pair.key) ? pair.key : undefined;
    // The yaml parser hangs the comment above a map's first key on the map itself.
    const documented = Boolean(keyNode?.commentBefore) || (index === 0 && Boolean(node.commentBefore));
    const child = schema.properties?.[key];
    if (!documented && child !== undefined) missing.push(`${path}${key}`);
    if (child) missing.push(...undocumentedKeys(pair.value as Node | null, child, `${path}${key}.`));
  });
  return missing;
}

void describe('chart lint and values schema', () => {
  before(requireHelm);

  // lint takes values but not cluster APIs: one run per distinct values file set.
  const distinctValues = SCENARIOS.filter((s, i, all) => all.findIndex((o) => String(o.valuesFiles) === String(s.valuesFiles)) === i);
  for (const scenario of distinctValues) {
    for (const strict of [false, true]) {
      void it(`helm lint${strict ? ' --strict' : ''} is clean with ${scenario.name}`, async () => {
        const result = await lint({ ...scenario, strict });
        assert.equal(result.code, 0, result.stdout + result.stderr);
        assert.match(result.stdout, /1 chart\(s\) linted, 0 chart\(s\) failed/);
        assert.doesNotMatch(result.stdout, /\[(ERROR|WARNING)\]/);
      });
    }
  }

  void it('refuses a misspelt key, a wrong type, a bad choice and a reserved tag, naming each', async () => {
    const message = await renderError({ valuesFiles: ['bad-values.yaml'] });
    assert.match(message, /values don't meet the specifications of the schema/);
    assert.match(message, /at '\/controller': additional properties 'replica' not allowed/);
    assert.match(message, /at '\/node\/hostNetwork': got string, want boolean/);
    assert.match(message, /at '\/logging\/format': value must be one of 'text', 'json'/);
    assert.match(message, /invalid propertyName 'kubernetes\.io\/owner'/);
    const linted = await lint({ valuesFiles: ['bad-values.yaml'] });
    assert.notEqual(linted.code, 0);
  });

  void it('refuses values that are wrong only together, saying which to change', async () => {
    assert.match(
      await renderError({ set: ['controller.leaderElection.enabled=false'] }),
      /the controller has 2 replicas but leader election of the provisioner is off \(controller\.leaderElection\.enabled/,
    );
    assert.match(
      await renderError({ set: ['storageClasses[0].name=a', 'storageClasses[0].default=true', 'storageClasses[1].name=b', 'storageClasses[1].default=true'] }),
      /storageClasses: at most one class may have default: true; got a, b/,
    );
    assert.match(
      await renderError({ set: ['volumeSnapshotClasses[0].name=s', 'volumeSnapshotClasses[1].name=s'] }),
      /volumeSnapshotClasses: the name "s" is used twice/,
    );
    assert.match(
      await renderError({ set: ['controller.podAntiAffinity=preferred', 'controller.affinity.podAntiAffinity.x=y'] }),
      /set controller\.podAntiAffinity: none/,
    );
    assert.match(await renderError({ set: ['controller.podSecurityContext.runAsUser=0'] }), /runAsUser/);
  });

  void it('documents every key of values.yaml that the schema declares', async () => {
    const doc = parseDocument(await readFile(join(CHART_DIR, 'values.yaml'), 'utf8'));
    const schema = JSON.parse(await readFile(join(CHART_DIR, 'values.schema.json'), 'utf8')) as SchemaNode;
    assert.deepEqual(undocumentedKeys(doc.contents, schema, ''), []);
    // The walk must have reached the nested sections, or the check above proves nothing.
    assert.ok(schema.properties?.sidecars?.properties?.provisioner?.properties?.timeout);
  });
});
