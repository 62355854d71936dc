// Token buckets for clients in a fixed-size open-addressing table over typed arrays.
//
// Memory is bounded by construction: the table never grows. A client is looked for in a short probe
// window; when it is absent and the window is full, the bucket refilled least recently is reused (it is
// the client least likely to still be limited). Checking an existing bucket allocates nothing.
import { randomBytes } from 'node:crypto';
import { V4, words } from '../net/address.js';
import { prefixMask } from './client-key.js';

export interface BucketOptions {
  /** Tokens a new client starts with: the burst it may send at once. */
  capacity: number;
  refillPerSecond: number;
  /** IPv6 clients are keyed by this many leading bits (one bucket per /56 by default). */
  ipv6Prefix: number;
  /** At least this many clients are held at once. */
  maxClients: number;
}

const WINDOW = 8;

function nextPowerOfTwo(n: number): number {
  let size = WINDOW;
  while (size < n) size *= 2;
  return size;
}

export class BucketTable {
  readonly slots: number;
  /** After take(): whole tokens left, and seconds until one is back (when denied) or all are. */
  remaining = 0;
  resetSeconds = 0;
  retryAfterSeconds = 0;

  private readonly keys: Uint32Array;
  private readonly tokens: Float64Array;
  private readonly stamps: Float64Array;
  private readonly used: Uint8Array;
  private readonly mask: number;
  private readonly perMs: number;
  private readonly capacity: number;
  private readonly prefixMask: Uint32Array;
  // A per-process seed keeps outsiders from choosing addresses that collide on purpose.
  private readonly seed: number = randomBytes(4).readUInt32LE(0);

  constructor(options: BucketOptions) {
    this.slots = nextPowerOfTwo(options.maxClients);
    this.mask = this.slots - 1;
    this.keys = new Uint32Array(this.slots * 4);
    this.tokens = new Float64Array(this.slots);
    this.stamps = new Float64Array(this.slots);
    this.used = new Uint8Array(this.slots);
    this.capacity = options.capacity;
    this.perMs = options.refillPerSecond / 1000;
    this.prefixMask = prefixMask(options.ipv6Prefix);
  }

  /** Clients currently holding a bucket. */
  get size(): number {
    let n = 0;
    for (let i = 0; i < this.slots; i++) n += this.used[i];
    return n;
  }

  /**
   * Takes one token for the client in the scratch words (of the given family) at time `now` (ms,
   * monotonic). Returns whether the request is allowed; sets remaining / resetSeconds / retryAfterSeconds.
   */
  take(family: number, now: number): boolean {
    // IPv4 is keyed in its mapped form, which no IPv6 key can take (the parser folds that block to IPv4).
    let k0 = 0, k1 = 0, k2 = 0xffff, k3 = words[3];
    if (family !== V4) {
      const m = this.prefixMask;
      k0 = (words[0] & m[0]) >>> 0;
      k1 = (words[1] & m[1]) >>> 0;
      k2 = (words[2] & m[2]) >>> 0;
      k3 = (words[3] & m[3]) >>> 0;
    }
    let h = Math.imul(k0 ^ this.seed, 0x9e3779b1);
    h = Math.imul(h ^ k1 ^ (h >>> 15), 0x85ebca77);
    h = Math.imul(h ^ k2 ^ (h >>> 13), 0xc2b2ae3d);
    h = Math.imul(h ^ k3 ^ (h >>> 16), 0x27d4eb2f);
    h ^= h >>> 15;

    let slot = -1;
    let stalest = -1;
    for (let j = 0; j < WINDOW; j++) {
      const i = (h + j) & this.mask;
      if (this.used[i] === 0) {
        slot = i;
        break;
      }
      const at = i * 4;
      if (this.keys[at] === k0 && this.keys[at + 1] === k1 && this.keys[at + 2] === k2 && this.keys[at + 3] === k3) {
        return this.spend(i, Math.min(this.capacity, this.tokens[i] + (now - this.stamps[i]) * this.perMs), now);
      }
      if (stalest < 0 || this.stamps[i] < this.stamps[stalest]) stalest = i;
    }
    if (slot < 0) slot = stalest;
    const at = slot * 4;
    this.keys[at] = k0;
    this.keys[at + 1] = k1;
    this.keys[at + 2] = k2;
    this.keys[at + 3] = k3;
    this.used[slot] = 1;
    return this.spend(slot, this.capacity, now);
  }

  private spend(i: number, available: number, now: number): boolean {
    const allowed = available >= 1;
    const left = allowed ? available - 1 : available;
    this.tokens[i] = left;
    this.stamps[i] = now;
    this.remaining = Math.floor(left);
    this.resetSeconds = Math.ceil((this.capacity - left) / this.perMs / 1000);
    this.retryAfterSeconds = allowed ? 0 : Math.max(1, Math.ceil((1 - left) / this.perMs / 1000));
    return allowed;
  }
}
