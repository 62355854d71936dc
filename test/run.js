// Runs every test file in its own process (end-to-end suites start real servers and must not share
// state), then prints the one summary line CI reads. uvu prints a summary per process; we add them up.
import { spawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('.', import.meta.url));
const only = process.argv.slice(2);

function collect(dir) {
  const out = [];
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...collect(path));
    else if (name.endsWith('.test.js')) out.push(path);
  }
  return out;
}

const files = collect(root).filter((f) => only.length === 0 || only.some((o) => f.includes(o)));
const strip = (s) => s.replace(/\x1b\[[0-9;]*m/g, '');
const count = (text, label) => {
  const m = new RegExp(`^\\s*${label}:\\s+(\\d+)`, 'm').exec(text);
  return m ? Number(m[1]) : null;
};

function runFile(file) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [file], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
    let out = '';
    child.stdout.on('data', (d) => { out += d; process.stdout.write(d); });
    child.stderr.on('data', (d) => { out += d; process.stderr.write(d); });
    child.on('close', (code) => resolve({ code, out: strip(out) }));
  });
}

let passed = 0;
let failed = 0;
let skipped = 0;
for (const file of files) {
  const name = relative(root, file);
  console.log(`\n# ${name}`);
  const { code, out } = await runFile(file);
  const total = count(out, 'Total');
  const ok = count(out, 'Passed');
  const skip = count(out, 'Skipped') ?? 0;
  if (total === null || ok === null) {
    // A file that died before uvu could report counts as one failure, never as silence.
    console.log(`!! ${name} exited with code ${code} without a test summary`);
    failed += 1;
    continue;
  }
  passed += ok;
  skipped += skip;
  const bad = total - ok;
  failed += bad > 0 ? bad : code === 0 ? 0 : 1;
}
const tail = skipped > 0 ? `, ${skipped} skipped` : '';
console.log(`\ntests: ${passed} passed, ${failed} failed${tail}`);
process.exitCode = failed > 0 || files.length === 0 ? 1 : 0;
