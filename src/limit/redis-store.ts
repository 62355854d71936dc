// Token buckets kept in Redis, so that every agent behind one load balancer spends from the same bucket.
//
// A bucket is one hash, { n: tokens, t: last refill in µs }, changed only by TAKE below: Redis runs a script
// to the end before anything else, so the refill and the take are one atomic step and one round trip.
// Time is the Redis server's clock, the one clock all agents share.
import { Redis } from 'ioredis';

export interface Decision {
  allowed: boolean;
  remaining: number;
  resetSeconds: number;
  retryAfterSeconds: number;
}

export interface RedisStoreOptions {
  /** redis://127.0.0.1:6379/0 */
  url: string;
  /** Put before every bucket key, e.g. '1mcp:rl:'. */
  prefix: string;
  /** Called on every state change: 'ready' | 'down' (with the error). */
  onStateChange?: (state: 'ready' | 'down', err?: Error) => void;
  /** Per-command deadline in ms (default 250): a hung Redis must not hang requests. */
  commandTimeoutMs?: number;
}

// KEYS[1] bucket; ARGV capacity, refill per second. Returns { allowed (0|1), remaining, resetSeconds,
// retryAfterSeconds } with the formulas of BucketTable.spend. They are worked out here rather than from
// a returned token count because Lua numbers reach the client truncated to integers, and a scaled count
// would move a ceil() across a second now and then.
// A bucket left alone is full again after (capacity - tokens) / rate; an expired key reads as a full
// bucket, so it may go then. The extra second covers rounding.
const TAKE = `
local capacity = tonumber(ARGV[1])
local rate = tonumber(ARGV[2])
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000000 + tonumber(clock[2])
local bucket = redis.call('HMGET', KEYS[1], 'n', 't')
local tokens = capacity
if bucket[1] then
  tokens = math.min(capacity, tonumber(bucket[1]) + math.max(0, now - tonumber(bucket[2])) * rate / 1000000)
end
local allowed = tokens >= 1
if allowed then tokens = tokens - 1 end
redis.call('HSET', KEYS[1], 'n', tokens, 't', now)
redis.call('PEXPIRE', KEYS[1], math.ceil((capacity - tokens) / rate * 1000) + 1000)
local retry = 0
if not allowed then retry = math.max(1, math.ceil((1 - tokens) / rate)) end
return { allowed and 1 or 0, math.floor(tokens), math.ceil((capacity - tokens) / rate), retry }
`;

const UNAVAILABLE = new Error('Redis bucket store is not ready');

type TakeReply = [allowed: number, remaining: number, resetSeconds: number, retryAfterSeconds: number];
type ScriptedRedis = Redis & {
  takeToken(key: string, capacity: number, refillPerSecond: number): Promise<TakeReply>;
};

export class RedisBucketStore {
  private readonly client: ScriptedRedis;
  private readonly prefix: string;
  private readonly onStateChange: RedisStoreOptions['onStateChange'];
  private state: 'connecting' | 'ready' | 'down' | 'closed' = 'connecting';
  private lastError: Error | undefined;
  private readonly waiters = new Set<(err?: Error) => void>();

  constructor(options: RedisStoreOptions) {
    const commandTimeout = options.commandTimeoutMs ?? 250;
    this.prefix = options.prefix;
    this.onStateChange = options.onStateChange;
    this.client = new Redis(options.url, {
      lazyConnect: false,
      // While disconnected every take fails at once: nothing queues up, nothing waits.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      // A take answered after a reconnect would spend a token for a request that was answered long ago.
      autoResendUnfulfilledCommands: false,
      commandTimeout,
      // A timed-out command keeps its place in the reply queue until Redis answers, and a Redis that has
      // stopped answering (or a peer that vanished) may never close the socket. Nothing back for a whole
      // command deadline while replies are owed: the socket is destroyed, which empties that queue and
      // reconnects, so health follows the connection and comes back by itself.
      socketTimeout: commandTimeout,
      connectTimeout: 2000,
      enableAutoPipelining: true,
      // Forever, at most a second apart: a returning Redis is used again within a second.
      retryStrategy: (attempt) => Math.min(attempt * 100, 1000),
    }) as ScriptedRedis;
    this.client.defineCommand('takeToken', { numberOfKeys: 1, lua: TAKE });
    // With a listener, ioredis reports connection errors here instead of on stderr; they surface as 'down'.
    this.client.on('error', (err: Error) => {
      this.lastError = err;
    });
    this.client.on('ready', () => {
      this.lastError = undefined;
      // Connected is not enough: the script must compile and be allowed (ACLs) before we say ready.
      this.client.script('LOAD', TAKE).then(
        () => this.change('ready'),
        (err: Error) => this.change('down', err),
      );
    });
    this.client.on('close', () => this.change('down', this.lastError ?? new Error('connection to Redis closed')));
  }

  /** Connected, and the script loaded on this connection. */
  get healthy(): boolean {
    return this.state === 'ready';
  }

  async take(key: string, capacity: number, refillPerSecond: number): Promise<Decision> {
    // While down, fail here: ioredis would build a command, arm a timer and capture a stack for every call.
    if (this.state !== 'ready') throw UNAVAILABLE;
    const [allowed, remaining, resetSeconds, retryAfterSeconds] = await this.client.takeToken(this.prefix + key, capacity, refillPerSecond);
    return { allowed: allowed === 1, remaining, resetSeconds, retryAfterSeconds };
  }

  waitReady(ms: number): Promise<void> {
    if (this.state === 'ready') return Promise.resolve();
    return new Promise((resolve, reject) => {
      const settle = (err?: Error) => {
        clearTimeout(timer);
        this.waiters.delete(settle);
        if (err) reject(err);
        else resolve();
      };
      const timer = setTimeout(() => {
        const why = this.lastError ? `: ${this.lastError.message}` : '';
        settle(new Error(`Redis at ${this.client.options.host}:${this.client.options.port} not ready within ${ms} ms${why}`));
      }, ms);
      this.waiters.add(settle);
    });
  }

  async close(): Promise<void> {
    if (this.state === 'closed') return;
    this.state = 'closed';
    for (const settle of this.waiters) settle(new Error('Redis store closed'));
    // QUIT lets the replies to takes already sent arrive first; a Redis that does not answer is just dropped.
    if (this.client.status === 'ready') await this.client.quit().catch(() => this.client.disconnect());
    else this.client.disconnect();
  }

  private change(state: 'ready' | 'down', err?: Error): void {
    if (this.state === state || this.state === 'closed') return;
    this.state = state;
    if (state === 'ready') for (const settle of this.waiters) settle();
    this.onStateChange?.(state, err);
  }
}
