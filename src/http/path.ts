// The path the agent routes and rate-limits by. Clients can spell one path many ways (//mcp, /./mcp,
// /x/../mcp, /%6Dcp, http://host/mcp); routers behind us normalise them, so limits and exemptions must
// see the same path or they can be sidestepped. Normalised per RFC 3986 section 6: unreserved
// characters decoded, dot segments removed, repeated slashes collapsed. Case is kept (paths are case-sensitive).

function isUnreserved(c: number): boolean {
  return (c >= 48 && c <= 57) || ((c | 0x20) >= 97 && (c | 0x20) <= 122) || c === 45 || c === 46 || c === 95 || c === 126;
}

function hex(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  const l = c | 0x20;
  return l >= 97 && l <= 102 ? l - 87 : -1;
}

/** Whether the path needs the slow path: a '%', '//', or a '.' segment. */
function needsWork(path: string): boolean {
  for (let i = 0; i < path.length; i++) {
    const c = path.charCodeAt(i);
    if (c === 37) return true;
    if (c === 47) {
      const next = path.charCodeAt(i + 1);
      if (next === 47) return true;
      if (next === 46) {
        // The end of the path counts as a '/': "/." and "/.." are dot segments there too.
        const after = i + 2 < path.length ? path.charCodeAt(i + 2) : 47;
        if (after === 47 || (after === 46 && (i + 3 >= path.length || path.charCodeAt(i + 3) === 47))) return true;
      }
    }
  }
  return false;
}

function slowNormalize(path: string): string {
  let decoded = '';
  for (let i = 0; i < path.length; i++) {
    const c = path.charCodeAt(i);
    if (c === 37 && i + 2 < path.length) {
      const h = hex(path.charCodeAt(i + 1));
      const l = hex(path.charCodeAt(i + 2));
      if (h >= 0 && l >= 0 && isUnreserved(h * 16 + l)) {
        decoded += String.fromCharCode(h * 16 + l);
        i += 2;
        continue;
      }
    }
    decoded += path[i];
  }
  const out: string[] = [];
  const segments = decoded.split('/');
  for (let k = 1; k < segments.length; k++) {
    const segment = segments[k];
    const last = k === segments.length - 1;
    if (segment === '..') {
      out.pop();
      if (last) out.push('');
    } else if (segment === '.') {
      if (last) out.push('');
    } else if (segment !== '' || last) {
      out.push(segment);
    }
  }
  return `/${out.join('/')}`;
}

/** The request-target's path, without query or fragment, normalised. */
export function routePath(url: string): string {
  let start = 0;
  if (url.charCodeAt(0) !== 47) {
    // absolute-form (GET http://host/path): the path starts at the first '/' after "scheme://host".
    const scheme = url.indexOf('://');
    const slash = scheme < 0 ? -1 : url.indexOf('/', scheme + 3);
    if (slash < 0) return '/';
    start = slash;
  }
  let end = url.length;
  for (let i = start; i < end; i++) {
    const c = url.charCodeAt(i);
    if (c === 63 || c === 35) end = i;
  }
  const path = start === 0 && end === url.length ? url : url.slice(start, end);
  return needsWork(path) ? slowNormalize(path) : path;
}
