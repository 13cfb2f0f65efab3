import { Stack, Token } from 'aws-cdk-lib';
import { RegionInfo } from 'aws-cdk-lib/region-info';
import { IConstruct } from 'constructs';

/**
 * Fail at synth, naming the region and the table, when a stack pinned to a region needs an entry
 * for it in a table that has none. Without this the template either fails deep inside a
 * construct with a bare "Mapping doesn't contain top-level key", or deploys and fails in the
 * service. Environment-agnostic stacks (region unknown at synth) are not checked: their tables
 * are CloudFormation mappings, looked up at deploy.
 */
export function requireRegionIn(scope: IConstruct, table: string, known: readonly string[] | ((region: string) => boolean)): void {
  const region = Stack.of(scope).region;
  if (Token.isUnresolved(region)) {
    return;
  }
  const has = typeof known === 'function' ? known(region) : known.includes(region);
  if (!has) {
    const list = typeof known === 'function' ? '' : `; known: ${known.join(', ')}`;
    throw new Error(`${scope.node.path}: region ${JSON.stringify(region)} is not in ${table}${list}`);
  }
}

/** Every region aws-cdk-lib knows (its region-info table). */
export function knownRegions(): string[] {
  return RegionInfo.regions.map((r) => r.name);
}
