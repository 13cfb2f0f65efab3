import { RemovalPolicy } from 'aws-cdk-lib';
import { environmentFrom } from '../../lib/config/environment';
import { optIn } from '../../lib/config/opt-in';
import { defaultProfileNotice, PROFILES, profileFromContext } from '../../lib/config/profile';

describe('profileFromContext', () => {
  it('defaults to sandbox', () => {
    expect(profileFromContext(undefined).name).toBe('sandbox');
    expect(profileFromContext('').name).toBe('sandbox');
  });

  it('picks production with RETAIN, deletion protection and two AZs', () => {
    const p = profileFromContext('production');
    expect(p).toBe(PROFILES.production);
    expect(p.removalPolicy).toBe(RemovalPolicy.RETAIN);
    expect(p.autoDeleteObjects).toBe(false);
    expect(p.deletionProtection).toBe(true);
    expect(p.maxAzs).toBe(2);
  });

  it('sandbox destroys everything and uses one AZ', () => {
    const p = PROFILES.sandbox;
    expect(p.removalPolicy).toBe(RemovalPolicy.DESTROY);
    expect(p.autoDeleteObjects).toBe(true);
    expect(p.maxAzs).toBe(1);
  });

  it.each(['prod', 'Sandbox', 'toString', 42])('rejects %p naming the value', (bad) => {
    expect(() => profileFromContext(bad)).toThrow(`Unknown deployment profile ${JSON.stringify(bad)}`);
  });
});

describe('environmentFrom', () => {
  it('is environment-agnostic with nothing set', () => {
    expect(environmentFrom({ env: {} })).toBeUndefined();
  });

  it('prefers context over CDK_DEPLOY_* variables', () => {
    const env = { CDK_DEPLOY_ACCOUNT: '111111111111', CDK_DEPLOY_REGION: 'us-east-1' };
    expect(environmentFrom({ contextAccount: '222222222222', contextRegion: 'eu-west-1', env })).toEqual({
      account: '222222222222',
      region: 'eu-west-1',
    });
    expect(environmentFrom({ env })).toEqual({ account: '111111111111', region: 'us-east-1' });
  });

  it('accepts an account that the context parsed as a number', () => {
    expect(environmentFrom({ contextAccount: 123456789012, contextRegion: 'us-gov-west-1' })).toEqual({
      account: '123456789012',
      region: 'us-gov-west-1',
    });
  });

  it('rejects half an environment', () => {
    expect(() => environmentFrom({ contextAccount: '123456789012' })).toThrow(
      'Pin both account and region or neither (got account=123456789012, region=<unset>)',
    );
  });

  it('rejects a malformed account or region naming it', () => {
    expect(() => environmentFrom({ contextAccount: '1234', contextRegion: 'eu-west-1' })).toThrow('(got "1234")');
    expect(() => environmentFrom({ contextAccount: '123456789012', contextRegion: 'Ireland' })).toThrow('(got "Ireland")');
    expect(() => environmentFrom({ contextAccount: { a: 1 }, contextRegion: 'eu-west-1' })).toThrow('Context account must be a string');
  });
});

describe('optIn', () => {
  it('is off unless switched on', () => {
    expect(optIn('video.streaming', undefined)).toBe(false);
    expect(optIn('video.streaming', undefined, true)).toBe(true);
    expect(optIn('video.streaming', 'true')).toBe(true);
    expect(optIn('video.streaming', true)).toBe(true);
    expect(optIn('video.streaming', 'false', true)).toBe(false);
  });

  it.each(['yes', 1, 'TRUE'])('rejects %p naming the switch', (bad) => {
    expect(() => optIn('video.streaming', bad)).toThrow(`Context video.streaming must be true or false (got ${JSON.stringify(bad)})`);
  });
});

describe('defaultProfileNotice', () => {
  it('speaks when an account is pinned without a profile, and only then', () => {
    expect(defaultProfileNotice(undefined, '123456789012')).toMatch(/^No -c profile given: account 123456789012 gets the sandbox profile .* -c profile=production/);
    expect(defaultProfileNotice('', '123456789012')).toBeDefined();
    expect(defaultProfileNotice('sandbox', '123456789012')).toBeUndefined();
    expect(defaultProfileNotice('production', '123456789012')).toBeUndefined();
    expect(defaultProfileNotice(undefined, undefined)).toBeUndefined();
  });
});

describe('one home for every profile difference', () => {
  it('no code outside lib/config/ asks which profile it is in: it reads the profile\'s values', () => {
    const fs = jest.requireActual<typeof import('node:fs')>('node:fs');
    const path = jest.requireActual<typeof import('node:path')>('node:path');
    const root = path.join(__dirname, '../..');
    const files = (dir: string): string[] => fs.readdirSync(path.join(root, dir), { withFileTypes: true })
      .flatMap((e) => (e.isDirectory() ? files(path.join(dir, e.name)) : e.name.endsWith('.ts') ? [path.join(dir, e.name)] : []));
    const asking = /profile\.name\s*[!=]==?|\.name\s*===?\s*'(sandbox|production)'|'(sandbox|production)'\s*===?/;
    const offenders = [...files('lib'), ...files('bin')]
      .filter((f) => !f.startsWith(path.join('lib', 'config')))
      .filter((f) => asking.test(fs.readFileSync(path.join(root, f), 'utf8')));
    expect(offenders).toEqual([]);
  });

  it('sandbox is the cheap, throw-away side of every difference', () => {
    const { sandbox, production } = PROFILES;
    expect(sandbox.deliveryBufferInterval.toSeconds()).toBeLessThan(production.deliveryBufferInterval.toSeconds());
    expect(sandbox.crawlerSchedule).toBeUndefined();
    expect(production.crawlerSchedule).toMatch(/^cron\(/);
    expect(parseInt(sandbox.sparkMaximumCapacity.cpu, 10)).toBeLessThan(parseInt(production.sparkMaximumCapacity.cpu, 10));
    expect(sandbox.endpointInstances.min).toBe(1);
    // Production keeps an endpoint instance in each AZ it spreads over.
    expect(production.endpointInstances.min).toBe(production.maxAzs);
    for (const p of [sandbox, production]) {
      expect(p.endpointInstances.max).toBeGreaterThanOrEqual(p.endpointInstances.min);
      expect(p.deliveryBufferInterval.toSeconds()).toBeGreaterThanOrEqual(60);
      expect(p.deliveryBufferInterval.toSeconds()).toBeLessThanOrEqual(900);
    }
  });
});
