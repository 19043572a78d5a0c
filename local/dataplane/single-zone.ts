// The local environment is a one-zone region: DescribeAvailabilityZones through the data
// plane lists only the node instance's zone. A driver asked for a volume without topology
// picks "any zone" from that list, like a one-zone cluster; with six zones to pick from
// it would create volumes the only node can never attach (EC2 attaches within a zone).
// Callers that name another zone explicitly still get it: only the listing is narrowed.

export function limitZonesInRequest(action: string, body: Buffer, zone: string | undefined): Buffer {
  if (action !== 'DescribeAvailabilityZones' || !zone) return body;
  const params = new URLSearchParams(body.toString('utf8'));
  // Filters are numbered from 1 without gaps (emulators stop at the first gap): take the next number.
  let index = 1;
  while (params.has(`Filter.${index}.Name`)) index += 1;
  params.set(`Filter.${index}.Name`, 'zone-name');
  params.set(`Filter.${index}.Value.1`, zone);
  return Buffer.from(params.toString());
}
