// Sizes of the client bundle after a `cargo leptos build --split` (BENCHMARKS.md):
// the main WASM module every page loads first, each lazy chunk, and for every
// page the total a first visit fetches (main module + that page's chunks, per
// the split manifest the server reads to emit its preload links).
// Usage: node bench/bundle-size.mjs ../target/site/pkg
import { readFileSync, readdirSync } from 'node:fs';
import { basename } from 'node:path';
import { gzipSync, brotliCompressSync, constants } from 'node:zlib';

const dir = process.argv[2] ?? '../target/site/pkg';
const cache = new Map();
function size(file) {
  if (!cache.has(file)) {
    const b = readFileSync(`${dir}/${file}`);
    cache.set(file, {
      raw: b.length,
      gz: gzipSync(b, { level: 9 }).length,
      br: brotliCompressSync(b, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }).length,
    });
  }
  return cache.get(file);
}
const kb = (n) => `${(n / 1024).toFixed(1).padStart(7)} KB`;
const row = (name, s) =>
  console.log(`${name.padEnd(44)} raw ${kb(s.raw)}  gzip -9 ${kb(s.gz)}  brotli ${kb(s.br)}`);
const sum = (files) =>
  files.map(size).reduce((a, s) => ({ raw: a.raw + s.raw, gz: a.gz + s.gz, br: a.br + s.br }), { raw: 0, gz: 0, br: 0 });

const files = readdirSync(dir);
const wasm = files.filter((f) => f.endsWith('.wasm'));
const main = 'fence.wasm';
const js = files.filter((f) => f.endsWith('.js'));
console.log('== loaded by every page');
row(main, size(main));
for (const f of js) row(f, size(f));
const css = files.filter((f) => f.endsWith('.css'));
for (const f of css) row(f, size(f));

const chunks = wasm.filter((f) => f !== main);
console.log(`== ${chunks.length} lazy chunks, in all`);
row('all chunks', sum(chunks));
row('largest chunk', chunks.map(size).sort((a, b) => b.gz - a.gz)[0] ?? { raw: 0, gz: 0, br: 0 });

const manifestFile = files.find((f) => f.startsWith('__wasm_split_manifest'));
if (manifestFile) {
  const manifest = JSON.parse(readFileSync(`${dir}/${manifestFile}`, 'utf8'));
  console.log('== first visit per lazy function (main module + its chunks), WASM only');
  const rows = Object.entries(manifest).map(([name, deps]) => {
    // The function's own module (`split_…`) and the shared chunks it needs.
    const own = [...new Set(deps.map((d) => basename(d)).map((f) => (f.endsWith('.wasm') ? f : `${f}.wasm`)))]
      .filter((f) => f !== main && files.includes(f));
    // Page names: `__quote_page_route__view_<hash>` -> `quote_page_route`.
    const label = name.replace(/^_+/, '').replace(/_view_[0-9]+$/, '').replace(/_[0-9]+$/, '');
    return [label, sum([main, ...own])];
  });
  rows.sort((a, b) => b[1].gz - a[1].gz);
  for (const [label, s] of rows) row(label, s);
}
