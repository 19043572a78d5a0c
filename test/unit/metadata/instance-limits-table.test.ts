// The attach-limit table against the facts it was made from (data/ec2-instance-types/): every
// recorded instance type must get, through the driver's own lookup, what this file's reading of
// the rules gives; the table may hold nothing the facts do not; the facts must still be what the
// recorded DescribeInstanceTypes answer says; and the facts must agree with AWS's documented
// shape of shared limits, so the README's account of them is true.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { instanceLimit, maxVolumesPerNode } from '../../../src/metadata/attach-limits.js';
import { INSTANCE_LIMITS } from '../../../src/metadata/instance-limits-table.js';
import { projectRoot } from '../../support/moto.js';

interface Fact {
  readonly hypervisor: string | null;
  readonly bareMetal: boolean;
  readonly attachmentLimitType: 'shared' | 'dedicated';
  readonly maximumEbsAttachments: number;
  readonly maximumEbsCards: number | null;
  readonly nvmeInstanceStoreDisks: number;
  readonly accelerators: boolean;
}
interface Corrections {
  readonly reportedSharedButDedicated: { readonly types: readonly string[] };
  readonly missingFromFacts: { readonly types: Readonly<Record<string, { kind: 'shared' | 'dedicated'; limit: number; cards?: number }>> };
}

const dataDir = join(projectRoot, 'data/ec2-instance-types');
const facts = (JSON.parse(readFileSync(join(dataDir, 'describe-instance-types.json'), 'utf8')) as { types: Record<string, Fact> }).types;
const corrections = JSON.parse(readFileSync(join(dataDir, 'corrections.json'), 'utf8')) as Corrections;
const generator = join(projectRoot, 'scripts/gen-instance-limits.mjs');

function runGenerator(args: string[]): { code: number; output: string } {
  try {
    return { code: 0, output: execFileSync(process.execPath, [generator, ...args], { encoding: 'utf8', stdio: 'pipe' }) };
  } catch (err) {
    const e = err as { status?: number; stderr?: string };
    return { code: e.status ?? -1, output: e.stderr ?? '' };
  }
}

describe('the instance-type limit table', () => {
  it('answers for every recorded type what its facts give', () => {
    const dedicatedDespiteApi = new Set(corrections.reportedSharedButDedicated.types);
    const wrong: string[] = [];
    for (const [type, fact] of Object.entries(facts)) {
      // Xen: a dedicated 39 whatever EC2 reports (39 or 40, "shared"); otherwise EC2's figure,
      // and its kind unless a correction says the kind is wrong.
      const want = fact.hypervisor === 'xen'
        ? { kind: 'dedicated', limit: 39 }
        : { kind: dedicatedDespiteApi.has(type) ? 'dedicated' : fact.attachmentLimitType, limit: fact.maximumEbsAttachments };
      const got = instanceLimit(type);
      const cards = fact.maximumEbsCards ?? 1;
      if (got.kind !== want.kind || got.limit !== want.limit || got.ebsCards !== cards) {
        wrong.push(`${type}: table ${got.limit}/${got.kind}/${got.ebsCards} cards, facts ${want.limit}/${want.kind}/${cards} cards`);
      }
    }
    assert.deepEqual(wrong, []);
    assert.ok(Object.keys(facts).length > 1000, 'the facts cover the instance types EC2 offers');
  });

  it('answers the types the recording lacks from their correction', () => {
    for (const [type, row] of Object.entries(corrections.missingFromFacts.types)) {
      assert.equal(facts[type], undefined, `${type} is in the facts now: drop its correction`);
      assert.deepEqual(instanceLimit(type), { kind: row.kind, limit: row.limit, ebsCards: row.cards ?? 1 });
    }
  });

  it('holds no row that neither the facts nor a correction account for', () => {
    const invented = Object.keys(INSTANCE_LIMITS).filter((t) => facts[t] === undefined && corrections.missingFromFacts.types[t] === undefined);
    assert.deepEqual(invented, []);
  });

  it('keeps only corrections that still correct something', () => {
    for (const type of corrections.reportedSharedButDedicated.types) {
      const fact = facts[type];
      assert.ok(fact, `${type}: no such type in the facts`);
      assert.equal(fact.attachmentLimitType, 'shared', `${type}: EC2 now reports it dedicated; drop the correction`);
      assert.equal(fact.bareMetal, true, `${type}: the corrections are all bare-metal types`);
    }
  });

  it('is what the generator makes of the facts, and the facts what the recorded answer says', (t) => {
    const table = runGenerator(['table', '--check']);
    assert.equal(table.code, 0, table.output);
    const recorded = runGenerator(['facts', '--check']);
    // 3: moto (which ships the recorded DescribeInstanceTypes answer) is not installed here.
    if (recorded.code === 3) {
      t.skip('moto is not installed (scripts/setup.sh installs it)');
      return;
    }
    assert.equal(recorded.code, 0, recorded.output);
  });
});

describe('the facts agree with how AWS documents shared limits', () => {
  // AWS: most Nitro types have 28 attachments (32 on bare metal) shared by EBS volumes, network
  // interfaces and NVMe instance-store disks. EC2's MaximumEbsAttachments is that count less the
  // primary interface, less the instance-store disks on virtualised types; GPU and accelerator
  // types lose further slots to their devices, and Apple hosts have their own figures.
  const dedicatedDespiteApi = new Set(corrections.reportedSharedButDedicated.types);
  const shared = Object.entries(facts).filter(([t, f]) => f.hypervisor !== 'xen' && f.attachmentLimitType === 'shared' && !dedicatedDespiteApi.has(t));

  it('virtualised Nitro types: 28, less the primary interface, less NVMe instance-store disks', () => {
    const off = shared.filter(([, f]) => !f.bareMetal && !f.accelerators && f.maximumEbsAttachments !== 28 - 1 - f.nvmeInstanceStoreDisks);
    assert.deepEqual(off.map(([t]) => t), []);
    const withDisks = shared.filter(([, f]) => !f.bareMetal && f.nvmeInstanceStoreDisks > 0 && !f.accelerators);
    assert.ok(withDisks.length > 100, 'many types carry NVMe instance storage');
  });

  it('bare-metal types: 32 less the primary interface, except Apple hosts and the newest metal sizes', () => {
    const off = shared.filter(([, f]) => f.bareMetal && f.maximumEbsAttachments !== 32 - 1).map(([t]) => t);
    // r9g(d).metal-48xl are newer than the reference's list of metal types EC2 mislabels; their
    // 79 stays shared here, which only errs low (interfaces beyond the first are subtracted).
    assert.deepEqual(off.filter((t) => !t.startsWith('mac')), ['r9g.metal-48xl', 'r9gd.metal-48xl']);
  });

  it('GPU and accelerator types lose more than their disks', () => {
    const g5 = facts['g5.48xlarge'];
    assert.ok(g5 && g5.accelerators && g5.maximumEbsAttachments < 28 - 1 - g5.nvmeInstanceStoreDisks);
  });
});

describe('max_volumes_per_node from recorded types', () => {
  // [type, interfaces, extra boot volumes, expected]: the table's figure, less interfaces beyond the
  // first on shared types, less the root volume and the extra boot volumes.
  const cases: readonly [string, number, number, number][] = [
    ['m5.large', 1, 0, 26],
    ['m5.large', 3, 0, 24],
    ['m5d.large', 1, 0, 25],
    ['c5d.24xlarge', 2, 1, 20],
    ['m5.metal', 1, 0, 30],
    ['m7i.48xlarge', 4, 0, 127],
    ['c8gn.48xlarge', 2, 0, 127],
    ['i7i.metal-24xl', 5, 0, 38],
    ['t2.micro', 2, 0, 38],
    ['g5.48xlarge', 1, 0, 8],
    ['mac1.metal', 1, 0, 15],
  ];
  for (const [type, networkInterfaces, extraBootVolumes, want] of cases) {
    it(`${type} with ${networkInterfaces} interface(s) and ${extraBootVolumes} extra boot volume(s): ${want}`, () => {
      assert.equal(maxVolumesPerNode({ instanceType: type, networkInterfaces, extraBootVolumes }), want);
    });
  }
});
