// EC2 CopyVolumes on top of an emulator that lacks it (moto, LocalStack): the copy is made
// there as a CreateVolume in the source's zone with the copy's size, type, performance,
// tags and encryption, and answered as EC2 answers CopyVolumes. The bytes are copied by the
// data plane's effects (ec2-effects.ts). EC2 reports a copy's SourceVolumeId in
// DescribeVolumes; the emulator cannot, so the data plane remembers each copy's source (in
// the state directory, for the same emulator world as the token memory) and adds it.
import { readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Ec2Request } from './ec2-query.js';
import type { Refusal } from './ec2-effects.js';
import type { EmulatorClient, VolumeFacts } from './emulator-client.js';
import { copyVolumesAnswer, textAt, withSourceVolumeIds } from './volume-xml.js';

/** What EC2 does without VolumeType in CopyVolumes. */
const DEFAULT_COPY_TYPE = 'gp2';
/** Volumes EC2 copies: the ones that hold their data. */
const COPYABLE_STATES = new Set(['available', 'in-use']);
/** CopyVolumes parameters that mean the same in the emulator's CreateVolume. */
const PASSED_ON = /^(Iops|Throughput|MultiAttachEnabled|TagSpecification\.\d+\..+)$/;

export type CopyPlan =
  | { readonly refusal: Refusal }
  | { readonly source: VolumeFacts; readonly sizeGiB: number; readonly createVolumeBody: Buffer };

interface StoredSources {
  readonly epoch: string;
  readonly sources: Readonly<Record<string, string>>;
}

const refuse = (httpStatus: number, code: string, message: string): CopyPlan => ({ refusal: { httpStatus, code, message } });

export class VolumeCopier {
  readonly #file: string;
  #sources = new Map<string, string>();

  constructor(stateDir: string, private readonly epoch: string, private readonly emulator: EmulatorClient) {
    this.#file = join(stateDir, 'volume-copies.json');
  }

  async load(): Promise<void> {
    const text = await readFile(this.#file, 'utf8').catch(() => undefined);
    const stored = text === undefined ? undefined : (JSON.parse(text) as StoredSources);
    this.#sources = new Map(stored?.epoch === this.epoch ? Object.entries(stored.sources) : []);
  }

  /** The emulator request that makes the copy, or EC2's refusal of the CopyVolumes request. */
  async plan(request: Ec2Request): Promise<CopyPlan> {
    const p = request.params;
    const sourceId = p.get('SourceVolumeId');
    if (!sourceId) return refuse(400, 'MissingParameter', 'The request must contain the parameter SourceVolumeId');
    const source = await this.emulator.volume(sourceId);
    if (!source) return refuse(400, 'InvalidVolume.NotFound', `The volume '${sourceId}' does not exist.`);
    if (!COPYABLE_STATES.has(source.state)) {
      return refuse(400, 'IncorrectState', `The volume '${sourceId}' is in the '${source.state}' state; only available and in-use volumes can be copied.`);
    }
    const sizeGiB = p.has('Size') ? Number(p.get('Size')) : source.sizeGiB;
    if (!Number.isInteger(sizeGiB) || sizeGiB < source.sizeGiB) {
      return refuse(400, 'InvalidParameterValue',
        `The size of the volume copy (${p.get('Size') ?? ''} GiB) must be equal to or greater than the size of the source volume (${source.sizeGiB} GiB).`);
    }
    if (p.get('DryRun') === 'true') return refuse(412, 'DryRunOperation', 'Request would have succeeded, but DryRun flag is set.');

    const create = new URLSearchParams({
      Action: 'CreateVolume', Version: p.get('Version') ?? '2016-11-15', AvailabilityZone: source.availabilityZone,
      Size: String(sizeGiB), VolumeType: p.get('VolumeType') ?? DEFAULT_COPY_TYPE,
    });
    for (const [key, value] of p) if (PASSED_ON.test(key)) create.append(key, value);
    // A copy of an encrypted volume is always encrypted; without a key named, with the source's.
    const encrypted = source.encrypted || p.get('Encrypted') === 'true';
    const kmsKeyId = p.get('KmsKeyId') ?? (source.encrypted ? source.kmsKeyId : undefined);
    if (encrypted) create.set('Encrypted', 'true');
    if (encrypted && kmsKeyId) create.set('KmsKeyId', kmsKeyId);
    return { source, sizeGiB, createVolumeBody: Buffer.from(create.toString()) };
  }

  /** Turns the emulator's CreateVolume answer into EC2's CopyVolumes answer and remembers the copy's source. */
  async answer(createVolumeXml: string, source: VolumeFacts): Promise<string> {
    const copyId = textAt(createVolumeXml, 'CreateVolumeResponse/volumeId');
    const answer = copyVolumesAnswer(createVolumeXml, source.volumeId);
    if (!copyId || !answer) throw new Error('the emulator answered CreateVolume for the copy without a volume');
    this.#sources.set(copyId, source.volumeId);
    await this.#save();
    return answer;
  }

  /** The copy was deleted. */
  async forget(volumeId: string): Promise<void> {
    if (this.#sources.delete(volumeId)) await this.#save();
  }

  /** Forgets copies the emulator no longer knows. */
  async keepOnly(known: ReadonlySet<string>): Promise<void> {
    const before = this.#sources.size;
    for (const id of this.#sources.keys()) if (!known.has(id)) this.#sources.delete(id);
    if (this.#sources.size !== before) await this.#save();
  }

  /** A DescribeVolumes answer with the SourceVolumeId of every copy in it. */
  describeVolumes(xml: string): string {
    return this.#sources.size === 0 ? xml : withSourceVolumeIds(xml, (id) => this.#sources.get(id));
  }

  async #save(): Promise<void> {
    const stored: StoredSources = { epoch: this.epoch, sources: Object.fromEntries(this.#sources) };
    const temporary = `${this.#file}.tmp`;
    await writeFile(temporary, JSON.stringify(stored));
    await rename(temporary, this.#file);
  }
}
