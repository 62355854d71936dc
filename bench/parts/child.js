// Runs one part in its own process (fresh JIT state, its own V8 flags) and hands the result back to
// bench/run.js as one JSON line on stdout. Progress goes to stderr.
import { MODES } from '../lib/modes.js';

const [part, mode] = process.argv.slice(2);
const { run } = await import(`./${part}.js`);
const result = await run(mode, MODES[mode][part], (line) => process.stderr.write(`  ${part}: ${line}\n`));
process.stdout.write(`${JSON.stringify(result)}\n`);
