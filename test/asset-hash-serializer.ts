// Masks asset hashes so a snapshot changes only when the template does, not when a handler's bytes do.
const HASH = /[0-9a-f]{64}/g;

module.exports = {
  test: (value: unknown) => typeof value === 'string' && /[0-9a-f]{64}/.test(value),
  serialize: (value: string) => JSON.stringify(value.replace(HASH, '<asset-hash>')),
};
