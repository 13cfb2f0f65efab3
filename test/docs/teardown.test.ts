import * as fs from 'node:fs';
import * as path from 'node:path';
import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { addArchitectures, everyOptIn } from '../../lib/app';
import { ArchitectureStack } from '../../lib/stacks/architecture';
import { SANDBOX, testApp } from '../helpers/app';

const root = path.join(__dirname, '../..');

type Resources = Record<string, { Type: string; Properties?: Record<string, unknown> }>;

/** A value of the template as text: references to other resources as `<id>`, pseudo parameters as `<AWS::X>`. */
function text(value: unknown): string {
  if (typeof value === 'string') {
    return value;
  }
  const [fn, arg] = Object.entries((value ?? {}) as Record<string, unknown>)[0] ?? [];
  if (fn === 'Fn::Join' && Array.isArray(arg)) {
    return (arg[1] as unknown[]).map(text).join(String(arg[0]));
  }
  if (fn === 'Ref') {
    return `<${String(arg)}>`;
  }
  if (fn === 'Fn::GetAtt') {
    return `<${(arg as string[]).join('.')}>`;
  }
  return '<?>';
}

/**
 * The log group names (globs) a stack's roles may create that the stack does not own: what a
 * service creates by itself under its own name and `cdk destroy` cannot remove.
 */
function unownedLogGroupGrants(stack: Stack): string[] {
  const resources = Template.fromStack(stack).toJSON().Resources as Resources;
  const owned = new Set(Object.entries(resources).filter(([, r]) => r.Type === 'AWS::Logs::LogGroup').map(([id]) => id));
  const names = new Set<string>();
  for (const r of Object.values(resources)) {
    if (r.Type !== 'AWS::IAM::Policy' && r.Type !== 'AWS::IAM::Role') {
      continue;
    }
    const docs = r.Type === 'AWS::IAM::Policy' ? [r.Properties?.PolicyDocument] : ((r.Properties?.Policies ?? []) as Array<{ PolicyDocument: unknown }>).map((p) => p.PolicyDocument);
    for (const doc of docs) {
      for (const st of ((doc as { Statement?: Array<Record<string, unknown>> })?.Statement ?? [])) {
        const actions = [st.Action].flat().map(String);
        if (st.Effect !== 'Allow' || !actions.some((a) => a === 'logs:CreateLogGroup' || a === 'logs:*')) {
          continue;
        }
        for (const resource of [st.Resource].flat().map(text)) {
          // A group of this stack (its Arn, or a name built from its reference) is deleted with it.
          if ([...owned].some((id) => resource.includes(`<${id}`))) {
            continue;
          }
          const name = /:log-group:([^:]+)/.exec(resource)?.[1];
          names.add(name ?? resource);
        }
      }
    }
  }
  return [...names].sort();
}

/** Log group names listed in the page's Teardown section (`| \`/aws/...\` |` rows); `<...>` stands for a name part. */
function documentedLeftovers(page: string): string[] {
  const teardown = page.slice(page.indexOf('\n## Teardown'));
  return [...teardown.matchAll(/^\| `(\/[^`]+)` \|/gm)].map((m) => m[1]);
}

/** An IAM resource glob (`*` is any text, none included) as a regular expression; `<...>` is a name part. */
const glob = (pattern: string) => new RegExp(`^${pattern.split(/(\*|<[^>]+>)/).map((p) => (p === '*' ? '.*' : p.startsWith('<') ? '.+' : p.replace(/[.+?^${}()|[\]\\/-]/g, '\\$&'))).join('')}$`);

describe('what cdk destroy leaves behind (sandbox, every opt-in on)', () => {
  const app = testApp({ gates: false, context: everyOptIn(() => testApp({ gates: false }), { profile: SANDBOX }) });
  const stacks = addArchitectures(app, { profile: SANDBOX }) as ArchitectureStack[];

  it.each(stacks.map((s) => [s.stackName, s]))('%s: the Teardown section lists exactly the log groups services create outside the stack', (_, stack) => {
    const architecture = (stack as ArchitectureStack).tags.tagValues().architecture;
    const page = fs.readFileSync(path.join(root, 'docs', `${architecture}.md`), 'utf8');
    const granted = unownedLogGroupGrants(stack as Stack);
    const documented = documentedLeftovers(page);
    // Every grant to create an unowned group has at least one documented group it covers, and
    // every documented group is one a role of the stack may create.
    expect({ grantsWithoutDocumentedGroup: granted.filter((g) => !documented.some((d) => glob(g).test(d.replace(/<[^>]+>/g, 'x')))) })
      .toEqual({ grantsWithoutDocumentedGroup: [] });
    expect({ documentedWithoutGrant: documented.filter((d) => !granted.some((g) => glob(g).test(d.replace(/<[^>]+>/g, 'x')))) })
      .toEqual({ documentedWithoutGrant: [] });
    // Each listed group comes with the command that removes it.
    for (const name of documented) {
      expect(page).toMatch(new RegExp(`\\| \`${name.replace(/[.*+?^${}()|[\]\\/<>-]/g, '\\$&')}\` \\|.*aws logs delete-log-group`));
    }
  });
});
