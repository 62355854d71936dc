// The package's public API: compile a trust option once, then resolve clients with it.
export { compileTrust, TrustEntryError, type CompiledTrust, type TrustOption } from './trust/compile.js';
export { resolveClient, type ClientRequest, type ResolveOptions, type ResolvedClient } from './forwarded/resolve.js';
