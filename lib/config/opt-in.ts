/**
 * Read an opt-in switch such as `-c sagemaker.endpoint=true`. Parts that bill by the hour are off
 * unless switched on. Only true/false (as strings or booleans) are accepted; anything else is an
 * error that names the switch and the value.
 */
export function optIn(name: string, value: unknown, defaultValue = false): boolean {
  if (value === undefined || value === null || value === '') {
    return defaultValue;
  }
  if (value === true || value === 'true') {
    return true;
  }
  if (value === false || value === 'false') {
    return false;
  }
  throw new Error(`Context ${name} must be true or false (got ${JSON.stringify(value)})`);
}
