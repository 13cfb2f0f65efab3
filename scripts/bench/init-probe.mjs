// Loads one Lambda bundle in a fresh Node process and prints how long the import took: module
// parsing, SDK imports and the client construction a handler does at module load (its cold-start
// "init" work). Run by scripts/bench.ts with the function's environment mocked; no network is used.
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';

const bundle = process.argv[2];
const started = performance.now();
const mod = await import(pathToFileURL(bundle).href);
const ms = performance.now() - started;
if (typeof mod.handler !== 'function') {
  throw new Error(`${bundle} exports no handler function (exports: ${Object.keys(mod).join(', ') || 'none'})`);
}
console.log(JSON.stringify({ ms }));
