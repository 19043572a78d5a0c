// The EBS attachment limits the node plugin reports come from a table of instance types
// (src/metadata/instance-limits-table.ts), made here from facts kept as data in the repository
// (data/ec2-instance-types/). Two steps, each reproducible:
//
//   node scripts/gen-instance-limits.mjs facts [instance_types.json.gz]
//     Extracts the facts from a recorded DescribeInstanceTypes answer: by default the one moto
//     ships (moto/ec2/resources/instance_types.json.gz in .venv-moto, the pinned moto of
//     scripts/install/moto.sh), which moto's maintainers record from EC2 itself.
//   node scripts/gen-instance-limits.mjs table
//     Writes the table from the facts and corrections.json.
// With --check, either step fails when the committed file differs instead of writing it.
//
// test/unit/metadata/instance-limits-table.test.ts checks the table against these facts with
// its own reading of the rules, and the facts against moto's file when it is installed.
import { readdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';

const root = fileURLToPath(new URL('..', import.meta.url));
const dataDir = join(root, 'data/ec2-instance-types');
const factsFile = join(dataDir, 'describe-instance-types.json');
const correctionsFile = join(dataDir, 'corrections.json');
const tableFile = join(root, 'src/metadata/instance-limits-table.ts');

/** The pinned moto's recorded DescribeInstanceTypes answer, if setup has installed it. */
function motoInstanceTypesFile() {
  const lib = join(root, '.venv-moto/lib');
  if (!existsSync(lib)) return undefined;
  for (const python of readdirSync(lib)) {
    const file = join(lib, python, 'site-packages/moto/ec2/resources/instance_types.json.gz');
    if (existsSync(file)) return file;
  }
  return undefined;
}

function motoVersion() {
  const text = readFileSync(join(root, 'scripts/install/moto.sh'), 'utf8');
  return /^MOTO_VERSION="([^"]+)"/m.exec(text)?.[1] ?? 'unknown';
}

/** One instance type's facts, from one DescribeInstanceTypes entry. */
function factOf(entry) {
  const ebs = entry.EbsInfo ?? {};
  const store = entry.InstanceStorageInfo;
  const nvmeStore = store !== undefined && store.NvmeSupport !== undefined && store.NvmeSupport !== 'unsupported';
  return {
    hypervisor: entry.Hypervisor ?? null,
    bareMetal: entry.BareMetal === true,
    attachmentLimitType: ebs.AttachmentLimitType,
    maximumEbsAttachments: ebs.MaximumEbsAttachments,
    maximumEbsCards: ebs.MaximumEbsCards ?? null,
    nvmeInstanceStoreDisks: nvmeStore ? (store.Disks ?? []).reduce((n, d) => n + (d.Count ?? 0), 0) : 0,
    accelerators: Boolean(entry.GpuInfo || entry.InferenceAcceleratorInfo || entry.NeuronInfo || entry.FpgaInfo || entry.MediaAcceleratorInfo),
    maximumNetworkInterfaces: entry.NetworkInfo?.MaximumNetworkInterfaces ?? null,
  };
}

function extractFacts(gzFile) {
  const answer = JSON.parse(gunzipSync(readFileSync(gzFile)).toString('utf8'));
  return Object.fromEntries(Object.keys(answer).sort().map((type) => [type, factOf(answer[type])]));
}

function renderFacts(gzFile) {
  const types = extractFacts(gzFile);
  const header = {
    source: `moto ${motoVersion()}: moto/ec2/resources/instance_types.json.gz, EC2 DescribeInstanceTypes answers `
      + 'recorded by moto\'s maintainers; extracted by scripts/gen-instance-limits.mjs facts',
    fields: {
      hypervisor: 'Hypervisor ("xen", "nitro"; null on bare metal)',
      bareMetal: 'BareMetal',
      attachmentLimitType: 'EbsInfo.AttachmentLimitType: "shared" with network interfaces and NVMe instance-store disks, or "dedicated" to EBS',
      maximumEbsAttachments: 'EbsInfo.MaximumEbsAttachments: EBS volumes the type takes with one network interface',
      maximumEbsCards: 'EbsInfo.MaximumEbsCards (null: one card)',
      nvmeInstanceStoreDisks: 'sum of InstanceStorageInfo.Disks[].Count when InstanceStorageInfo.NvmeSupport is not "unsupported"',
      accelerators: 'GpuInfo, InferenceAcceleratorInfo, NeuronInfo, FpgaInfo or MediaAcceleratorInfo present',
      maximumNetworkInterfaces: 'NetworkInfo.MaximumNetworkInterfaces',
    },
  };
  // One type per line: a later refresh shows in a diff as the types that changed.
  const lines = Object.entries(types).map(([type, fact]) => `    ${JSON.stringify(type)}: ${JSON.stringify(fact)}`);
  return `{\n  "about": ${JSON.stringify(header, null, 2).replace(/\n/g, '\n  ')},\n  "types": {\n${lines.join(',\n')}\n  }\n}\n`;
}

/** Writes the file, or with --check fails when the committed copy differs. */
function writeOrCheck(file, text, check, remedy) {
  if (!check) {
    writeFileSync(file, text);
    console.log(`wrote ${file}`);
  } else if (readFileSync(file, 'utf8') !== text) {
    console.error(`${file} differs from what its source gives: run ${remedy}`);
    process.exit(1);
  }
}

const DEFAULT_LIMIT = { kind: 'shared', limit: 27, cards: 1 };
const XEN_LIMIT = 39;

/** The table's row for one type: what the node plugin answers before subtracting anything. */
function rowOf(type, fact, corrections) {
  const cards = fact.maximumEbsCards ?? 1;
  // Xen types: EBS volumes do not share slots with interfaces; 39 keeps every Xen type under the
  // 40-volume count past which AWS warns that Linux instances may fail to boot.
  if (fact.hypervisor === 'xen') return { kind: 'dedicated', limit: XEN_LIMIT, cards };
  const dedicated = fact.attachmentLimitType === 'dedicated' || corrections.reportedSharedButDedicated.types.includes(type);
  return { kind: dedicated ? 'dedicated' : 'shared', limit: fact.maximumEbsAttachments, cards };
}

function buildRows() {
  const facts = JSON.parse(readFileSync(factsFile, 'utf8')).types;
  const corrections = JSON.parse(readFileSync(correctionsFile, 'utf8'));
  const rows = {};
  for (const [type, fact] of Object.entries(facts)) rows[type] = rowOf(type, fact, corrections);
  for (const [type, extra] of Object.entries(corrections.missingFromFacts.types)) {
    if (facts[type] === undefined) rows[type] = { kind: extra.kind, limit: extra.limit, cards: extra.cards ?? 1 };
  }
  return rows;
}

function renderTable(rows) {
  const isDefault = (r) => r.kind === DEFAULT_LIMIT.kind && r.limit === DEFAULT_LIMIT.limit && r.cards === DEFAULT_LIMIT.cards;
  const entries = Object.keys(rows).sort().filter((t) => !isDefault(rows[t]))
    .map((t) => {
      const r = rows[t];
      return `  ${JSON.stringify(t)}: [${r.limit}, ${r.kind === 'dedicated' ? 'D' : 'S'}${r.cards > 1 ? `, ${r.cards}` : ''}],`;
    });
  return [
    '// Generated by scripts/gen-instance-limits.mjs from data/ec2-instance-types/. Do not edit: change',
    '// the facts or corrections.json there and run `node scripts/gen-instance-limits.mjs table`.',
    '// Each row: [EBS volumes the type takes with one network interface, shared (S) or dedicated (D)',
    `// attachment limit, EBS cards when more than one]. Types not listed: [${DEFAULT_LIMIT.limit}, S].`,
    "const S = 'shared';",
    "const D = 'dedicated';",
    '',
    `export const DEFAULT_ROW = [${DEFAULT_LIMIT.limit}, S] as const;`,
    '',
    'export const INSTANCE_LIMITS: Readonly<Record<string, readonly [number, typeof S | typeof D, number?]>> = {',
    ...entries,
    '};',
    '',
  ].join('\n');
}

const [step = 'table', ...rest] = process.argv.slice(2);
const check = rest.includes('--check');
const named = rest.filter((a) => a !== '--check');
if (step === 'facts') {
  const file = named[0] ?? motoInstanceTypesFile();
  if (!file) {
    console.error('no instance_types.json.gz: run scripts/setup.sh (it installs moto) or name the file');
    process.exit(3);
  }
  writeOrCheck(factsFile, renderFacts(file), check, 'node scripts/gen-instance-limits.mjs facts');
} else if (step === 'table') {
  writeOrCheck(tableFile, renderTable(buildRows()), check, 'node scripts/gen-instance-limits.mjs table');
} else {
  console.error('usage: node scripts/gen-instance-limits.mjs facts [instance_types.json.gz] [--check] | table [--check]');
  process.exit(2);
}
