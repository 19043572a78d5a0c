// The region the operator configured, if any. Apart from the EC2 adapter so that start-up
// can ask without loading the AWS SDK.

/** The region from the options, else AWS_REGION / AWS_DEFAULT_REGION; undefined when none is set. */
export function resolveRegion(region: string | undefined, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const candidates = [region, env.AWS_REGION, env.AWS_DEFAULT_REGION];
  return candidates.find((r): r is string => r !== undefined && r.trim() !== '')?.trim();
}
