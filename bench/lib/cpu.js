// CPU accounting from /proc (Linux only; elsewhere every reading is null and the columns say n/a).
// Used by the HTTP part to report each server's CPU time per request and how much of the machine
// something outside the benchmark used during a round: on a shared machine that is the noise to know of.
import { readFileSync } from 'node:fs';

const TICK_MS = 10; // USER_HZ is 100 on every Linux that Node supports

/** user and system CPU time of one process (all its threads), in ms; null when unreadable. */
export function processCpu(pid) {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return { user: Number(fields[11]) * TICK_MS, system: Number(fields[12]) * TICK_MS };
  } catch {
    return null;
  }
}

/** Busy and total CPU time of the whole machine, in ms summed over all CPUs; null when unreadable. */
export function machineCpu() {
  try {
    const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
    const total = fields.slice(0, 8).reduce((a, b) => a + b, 0);
    const idle = fields[3] + fields[4];
    return { busy: (total - idle) * TICK_MS, total: total * TICK_MS };
  } catch {
    return null;
  }
}
