/** Reading handler settings from the environment, naming the variable and the bad value. */

export function requiredEnv(name: string): string {
  const value = process.env[name];
  if (!value) {
    throw new Error(`Environment variable ${name} must be set (got ${JSON.stringify(value)})`);
  }
  return value;
}

/** A confidence or similarity setting (0-100). */
export function confidence(name: string, value: string | undefined, fallback: number): number {
  const n = value === undefined || value === '' ? fallback : Number(value);
  if (!Number.isFinite(n) || n < 0 || n > 100) {
    throw new Error(`${name} must be a number from 0 to 100 (got ${JSON.stringify(value)})`);
  }
  return n;
}
