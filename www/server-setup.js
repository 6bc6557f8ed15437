// Why the page's own files did not load: the web server's set-up, told
// apart from anything about the user's files. verify.js asks here when the
// wasm-bindgen glue (pkg/wimproof.js), the wasm (pkg/wimproof_bg.wasm) or
// the worker script (worker.js) cannot be loaded, and rejects with the
// SetupError made here; wim-verifier.js shows it with the fix
// (render.js renderSetupFault).
//
// The faults seen on intranet servers: IIS without a MIME map for .wasm
// answers 404.3 (remote clients see a plain 404); a .wasm mapping declared
// twice (the server's and a web.config's) makes IIS answer 500.19; a server
// that sends .js as text/plain with `X-Content-Type-Options: nosniff` (which
// dist/web.config sets) has the browser refuse the worker script (Firefox
// refuses it even without nosniff; module scripts always); a folder copied
// without pkg/; a login or fallback page served in place of a missing file.

/**
 * The page's files, by role: `file` is the path in dist/ (relative to
 * verify.js, which is at dist/'s top).
 */
export const PAGE_FILES = {
  glue: 'pkg/wimproof.js',
  wasm: 'pkg/wimproof_bg.wasm',
  worker: 'worker.js',
};

/**
 * A fault of the web server's set-up, not of the user's file: `fault` is
 * one of not-found, mime-map (IIS 404.3), duplicate-mime-map (IIS 500.19),
 * server-error (another 5xx), http-error (another status), wrong-type (a
 * script not sent as JavaScript), not-wasm (something else sent in the
 * wasm's place), unreachable (no answer), blocked (the worker would not
 * start though the server sends it right); `role` is glue, wasm or worker;
 * `file` its path in dist/; `status` the HTTP status (0 without one);
 * `type` the Content-Type sent; `nosniff` whether the server sent
 * `X-Content-Type-Options: nosniff`; `server` its Server header.
 */
export class SetupError extends Error {
  constructor(d) {
    super(summary(d));
    this.name = 'SetupError';
    Object.assign(this, d);
  }
}

function summary(d) {
  const what = `${d.url || d.file}`;
  switch (d.fault) {
    case 'not-found': return `the web server answered ${d.status} (not found) for ${what}`;
    case 'mime-map': return `the web server (IIS) answered 404.3 for ${what}: it has no MIME type for .wasm`;
    case 'duplicate-mime-map': return `the web server (IIS) answered ${d.status} for ${what}: .wasm is mapped twice`;
    case 'server-error': return `the web server answered ${d.status} (server error) for ${what}`;
    case 'http-error': return `the web server answered ${d.status} for ${what}`;
    case 'wrong-type': return `the web server sends ${what} as ${d.type || 'no type'}, not as JavaScript, so the browser refuses to run it`;
    case 'not-wasm': return `the web server sent something other than WebAssembly for ${what} (${d.type || 'no type'})`;
    case 'unreachable': return `the web server did not answer for ${what}`;
    default: return `the browser could not start ${what} although the server sends it as JavaScript`;
  }
}

const JS_TYPE = /^\s*(text|application)\/(x-)?(javascript|ecmascript)\s*(;|$)/i;

/** Whether a Content-Type is one browsers run as a script. */
export function isJavaScriptType(type) {
  return JS_TYPE.test(type || '');
}

// At most this much of an error page is read, to find IIS's substatus.
const BODY_PEEK = 16 << 10;

async function peek(res) {
  try {
    const text = await res.text();
    return text.slice(0, BODY_PEEK);
  } catch {
    return '';
  }
}

/**
 * The fault behind a response that did not give the page `role`'s file
 * (`res` null when the fetch itself failed), or null if the response is
 * fine. `bytes`: the first bytes of a 200 answer for the wasm.
 */
export async function faultOf(role, url, res, bytes) {
  const base = { role, file: PAGE_FILES[role], url: url.pathname, status: res ? res.status : 0 };
  if (!res) return new SetupError({ ...base, fault: 'unreachable' });
  const type = res.headers.get('content-type') || '';
  const server = res.headers.get('server') || '';
  const nosniff = /nosniff/i.test(res.headers.get('x-content-type-options') || '');
  const d = { ...base, type, server, nosniff };
  if (res.status === 404) {
    const body = await peek(res);
    // IIS's detailed error names the substatus; its remote page does not,
    // but a 404 for the wasm beside a glue that loaded is the missing map.
    const iis = /\b404\.3\b/.test(body) || (role === 'wasm' && /IIS/i.test(server));
    return new SetupError({ ...d, fault: iis ? 'mime-map' : 'not-found' });
  }
  if (res.status >= 500) {
    const body = await peek(res);
    const duplicate = /duplicate/i.test(body) && /mimeMap/i.test(body);
    return new SetupError({ ...d, fault: duplicate ? 'duplicate-mime-map' : 'server-error' });
  }
  if (!res.ok) return new SetupError({ ...d, fault: 'http-error' });
  if (role === 'wasm') {
    const wasm = bytes && bytes.length >= 4 && bytes[0] === 0 && bytes[1] === 0x61 && bytes[2] === 0x73 && bytes[3] === 0x6d;
    return wasm ? null : new SetupError({ ...d, fault: 'not-wasm' });
  }
  // A worker script with a wrong type runs in Chromium unless nosniff is
  // sent; a module script never does. Either way a wrong type is the fault.
  if (!isJavaScriptType(type)) return new SetupError({ ...d, fault: 'wrong-type' });
  return null;
}

/**
 * Why `role`'s file at `url` did not load (a script or the worker): asks
 * the server again and names the fault; `blocked` when the answer looks
 * right (then something else, a policy, stopped it).
 */
export async function diagnose(role, url) {
  let res = null;
  try {
    res = await fetch(url, { cache: 'no-store' });
  } catch {
    res = null;
  }
  const fault = await faultOf(role, url, res);
  return fault || new SetupError({
    role, file: PAGE_FILES[role], url: url.pathname, status: res.status, type: res.headers.get('content-type') || '', fault: 'blocked',
  });
}
