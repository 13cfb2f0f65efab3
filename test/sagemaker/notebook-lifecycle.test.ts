import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Duration } from 'aws-cdk-lib';
import { onStartScript } from '../../lib/sagemaker/notebook';

describe('notebook on-start lifecycle script', () => {
  it('installs the auto-stop program verbatim and a 5-minute cron entry, offline', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lifecycle-'));
    const script = path.join(dir, 'on-start.sh');
    fs.writeFileSync(script, onStartScript(Duration.minutes(45)));
    execFileSync('bash', [script], { env: { PATH: '/usr/bin:/bin', AUTOSTOP_DIR: path.join(dir, 'autostop'), AUTOSTOP_CRON_FILE: path.join(dir, 'cron') } });
    const installed = fs.readFileSync(path.join(dir, 'autostop', 'autostop.py'), 'utf8');
    expect(installed.trimEnd()).toBe(fs.readFileSync(path.join(__dirname, '../../sagemaker/notebook/autostop.py'), 'utf8').trimEnd());
    expect(fs.existsSync(path.join(dir, 'autostop', 'started'))).toBe(true);
    expect(fs.readFileSync(path.join(dir, 'cron'), 'utf8')).toBe(
      `*/5 * * * * root /usr/bin/python3 ${dir}/autostop/autostop.py --idle-seconds 2700 --started-file ${dir}/autostop/started >> /var/log/autostop.log 2>&1\n`,
    );
  });

  it('refuses an idle limit the 5-minute cron cannot honour', () => {
    expect(() => onStartScript(Duration.minutes(5))).toThrow('idleTimeout must be at least 10 minutes (got 300 s)');
  });
});
