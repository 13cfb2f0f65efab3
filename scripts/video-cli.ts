/** What the video CLIs share: reading `--name value` options and running main with a clean error. */

export function option(args: string[], name: string): string {
  const i = args.indexOf(`--${name}`);
  const v = i >= 0 ? args[i + 1] : undefined;
  if (!v || v.startsWith('--')) {
    throw new Error(`--${name} <value> is required (got ${JSON.stringify(v)})`);
  }
  return v;
}

/** Run a CLI's main, printing only the message of an error (they name the bad value) and exiting 1. */
export function run(main: (args: string[]) => Promise<unknown>): void {
  main(process.argv.slice(2)).catch((err) => {
    console.error((err as Error).message);
    process.exit(1);
  });
}
