// VolumeAttributesClass parameters, as ControllerModifyVolume receives them in
// mutable_parameters. Keys match case-insensitively; unknown keys are refused. The
// reference's older spelling `volumeType` still names the type (`type` wins when both are set).
import { VOLUME_TYPES } from '../../cloud/types.js';
import { invalidArgument } from '../../errors.js';
import { checkUserTag } from '../../tags.js';
import { volumeTemplateData } from '../../template/index.js';
import { renderTagSpecifications, STRICT_TAGS, type TagPolicy } from './tagTemplate.js';
// external-resizer's --extra-modify-metadata sends the same keys as the provisioner's.
import { PV_NAME_KEY, PVC_NAME_KEY, PVC_NAMESPACE_KEY } from './storageClass.js';
import { volumeTypeName } from './volumeTypes.js';
import { sortParameters, type ParameterKeys } from './sortParameters.js';

export interface ModifyParameters {
  /** A known type, or a newer one passed to EC2 unchecked. */
  readonly volumeType?: string;
  readonly iops?: number;
  readonly throughput?: number;
  readonly iopsPerGB?: number;
  /**
   * allowAutoIOPSIncreaseOnModify: raise IOPS computed from iopsPerGB to the type's minimum
   * instead of failing, and let later expansions keep the ratio. Undefined when not given.
   */
  readonly allowAutoIopsIncrease?: boolean;
  readonly tagsToAdd: Readonly<Record<string, string>>;
  readonly tagKeysToDelete: readonly string[];
}

const KEYS = {
  type: 'type',
  volumetype: 'volumeType',
  iops: 'iops',
  throughput: 'throughput',
  iopspergb: 'iopsPerGB',
  allowautoiopsincreaseonmodify: 'allowAutoIOPSIncreaseOnModify',
  [PVC_NAME_KEY]: PVC_NAME_KEY,
  [PVC_NAMESPACE_KEY]: PVC_NAMESPACE_KEY,
  [PV_NAME_KEY]: PV_NAME_KEY,
} as const;
type Known = (typeof KEYS)[keyof typeof KEYS];
const USER_KEYS = 'type, iops, throughput, iopsPerGB, allowAutoIOPSIncreaseOnModify, tagSpecification_<n>, tagDeletion_<n>';

const MODIFY_PARAMETER_KEYS: ParameterKeys<Known, 'tagSpecs' | 'deletions'> = {
  known: new Map(Object.entries(KEYS)),
  families: { tagSpecs: /^tagspecification_\d+$/, deletions: /^tagdeletion_\d+$/ },
  unknownKey: (key) => `VolumeAttributesClass parameter "${key}" is not supported; allowed: ${USER_KEYS}`,
};

export function parseModifyParameters(parameters: Readonly<Record<string, string>>, tagPolicy: TagPolicy = STRICT_TAGS): ModifyParameters {
  const { known, families: { tagSpecs, deletions } } = sortParameters(parameters, MODIFY_PARAMETER_KEYS);
  const typeText = known.get('type') ?? known.get('volumeType');
  const volumeType = typeText === undefined ? undefined : parseVolumeType(typeText);
  const iops = optionalPositive(known, 'iops', 'IOPS');
  const iopsPerGB = optionalPositive(known, 'iopsPerGB', 'IOPS per GiB');
  if (iops !== undefined && iopsPerGB !== undefined) {
    throw invalidArgument('iops and iopsPerGB are mutually exclusive; give one of them');
  }
  // Without the resizer's --extra-modify-metadata these are empty, as in the reference.
  const data = volumeTemplateData({ pvcName: known.get(PVC_NAME_KEY), pvcNamespace: known.get(PVC_NAMESPACE_KEY), pvName: known.get(PV_NAME_KEY) });
  const tagsToAdd = renderTagSpecifications(tagSpecs, data, tagPolicy);
  const tagKeysToDelete = deletions.map(([field, raw]) => {
    const key = raw.trim();
    try {
      checkUserTag(key, '', field);
    } catch (err) {
      throw invalidArgument(err instanceof Error ? err.message : String(err));
    }
    if (Object.hasOwn(tagsToAdd, key)) throw invalidArgument(`${field}: tag "${key}" is both added by a tagSpecification and deleted`);
    return key;
  });
  const throughput = optionalPositive(known, 'throughput', 'MiB/s');
  const allowAutoIopsIncrease = parseBoolean(known.get('allowAutoIOPSIncreaseOnModify'));
  const modifiesSomething = volumeType !== undefined || iops !== undefined || iopsPerGB !== undefined || throughput !== undefined
    || allowAutoIopsIncrease !== undefined || Object.keys(tagsToAdd).length > 0 || tagKeysToDelete.length > 0;
  if (!modifiesSomething) throw invalidArgument(`mutable_parameters asks for no change; give at least one of ${USER_KEYS}`);
  return {
    ...(volumeType ? { volumeType } : {}),
    ...(iops !== undefined ? { iops } : {}),
    ...(iopsPerGB !== undefined ? { iopsPerGB } : {}),
    ...(throughput !== undefined ? { throughput } : {}),
    ...(allowAutoIopsIncrease !== undefined ? { allowAutoIopsIncrease } : {}),
    tagsToAdd,
    tagKeysToDelete: [...new Set(tagKeysToDelete)],
  };
}

function parseVolumeType(text: string): string {
  const type = volumeTypeName(text);
  if (type === undefined) throw invalidArgument(`type "${text}" is not an EBS volume type; allowed: ${VOLUME_TYPES.join(', ')}`);
  return type;
}

function optionalPositive(known: ReadonlyMap<Known, string>, field: 'iops' | 'iopsPerGB' | 'throughput', unit: string): number | undefined {
  const text = known.get(field);
  if (text === undefined) return undefined;
  const n = /^\d+$/.test(text.trim()) ? Number(text.trim()) : NaN;
  if (!Number.isSafeInteger(n) || n <= 0) throw invalidArgument(`${field} must be a positive whole number (${unit}); got "${text}"`);
  return n;
}

function parseBoolean(text: string | undefined): boolean | undefined {
  if (text === undefined) return undefined;
  const t = text.trim().toLowerCase();
  if (t === 'true') return true;
  if (t === 'false') return false;
  throw invalidArgument(`allowAutoIOPSIncreaseOnModify must be true or false; got "${text}"`);
}
