/**
 * `ddpm-wasm serve`: a static file server for the browser lab in dist/web, and nothing else.
 *
 * Loopback by default (127.0.0.1); GET and HEAD only; no directory listings (a directory answers with its
 * index.html or 404). A request path is refused before it touches the file system when it holds a `..` or `.`
 * segment, a backslash, a NUL, or an encoded separator or dot (%2e, %2f, %5c, %00, in any case): no legitimate
 * file of the lab needs them, so refusing the whole class is simpler to trust than normalising. After that the
 * resolved real path (symlinks followed) must still lie inside the root.
 *
 * Every answer carries COOP/COEP (cross-origin isolation, needed for SharedArrayBuffer and wasm threads),
 * CORP, nosniff and a Content-Security-Policy that only allows the page's own origin, which also proves the
 * page needs no CDN, font or script from elsewhere.
 */
import { createReadStream, existsSync, realpathSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { extname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { UsageError } from '../util/errors';
import { type Command, int, str } from './options';
import { STOP_SIGNALS } from './signals';

export const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.wasm': 'application/wasm',
  '.csv': 'text/csv; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.safetensors': 'application/octet-stream',
  '.map': 'application/json; charset=utf-8',
};

const SECURITY_HEADERS: Record<string, string> = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
  'Cross-Origin-Resource-Policy': 'same-origin',
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  // 'wasm-unsafe-eval' lets WebAssembly.compile run; nothing else is evaluated. blob: for downloads only.
  'Content-Security-Policy':
    "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; worker-src 'self' blob:; style-src 'self' 'unsafe-inline'; " +
    "img-src 'self' data: blob:; connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'; " +
    "frame-ancestors 'self'",
};

/** Why a raw request target is refused, or null when it may be looked up. */
export function refusal(rawUrl: string): string | null {
  const q = rawUrl.search(/[?#]/);
  const raw = q === -1 ? rawUrl : rawUrl.slice(0, q);
  if (!raw.startsWith('/')) return 'request target must be an absolute path';
  if (/%(2e|2f|5c|00)/i.test(raw)) return 'encoded dot, slash, backslash or NUL';
  let path: string;
  try {
    path = decodeURIComponent(raw);
  } catch {
    return 'malformed percent-encoding';
  }
  if (path.includes('\\') || path.includes('\0')) return 'backslash or NUL';
  if (path.split('/').some((s) => s === '..' || s === '.')) return 'dot segment';
  return null;
}

export interface ServeOptions {
  root: string;
  port: number;
  host: string;
}

function send(res: ServerResponse, status: number, body: string, extra: Record<string, string> = {}): void {
  res.writeHead(status, {
    ...SECURITY_HEADERS, 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store',
    'Content-Length': String(Buffer.byteLength(body)), ...extra,
  });
  res.end(body);
}

export function handler(rootDir: string) {
  const root = realpathSync(rootDir);
  return (req: IncomingMessage, res: ServerResponse): void => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'method not allowed\n', { Allow: 'GET, HEAD' });
    const url = req.url ?? '/';
    const why = refusal(url);
    if (why) return send(res, 400, `bad request: ${why}\n`);
    const q = url.search(/[?#]/);
    const rel = decodeURIComponent(q === -1 ? url : url.slice(0, q));
    let file = join(root, rel);
    let st;
    try {
      file = realpathSync(file);
      if (file !== root && !file.startsWith(root + sep)) return send(res, 403, 'forbidden\n');
      st = statSync(file);
      if (st.isDirectory()) {
        file = realpathSync(join(file, 'index.html'));
        if (!file.startsWith(root + sep)) return send(res, 403, 'forbidden\n');
        st = statSync(file); // no index.html: 404 (the catch below), never a listing
        if (!rel.endsWith('/')) return send(res, 301, 'moved\n', { Location: rel + '/' + (q === -1 ? '' : url.slice(q)) });
      }
      if (!st.isFile()) return send(res, 404, 'not found\n');
    } catch {
      return send(res, 404, 'not found\n');
    }
    const type = MIME[extname(file).toLowerCase()] ?? 'application/octet-stream';
    res.writeHead(200, { ...SECURITY_HEADERS, 'Content-Type': type, 'Content-Length': String(st.size), 'Cache-Control': 'no-cache' });
    if (req.method === 'HEAD') return void res.end();
    createReadStream(file)
      .on('error', () => res.destroy())
      .pipe(res);
  };
}

/** Start serving; resolves once listening (port 0 picks a free port: read it from the returned address). */
export function startServer(o: ServeOptions): Promise<{ server: Server; url: string }> {
  const server = createServer(handler(o.root));
  return new Promise((ok, fail) => {
    server.once('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'EADDRINUSE') fail(new UsageError(`port ${o.port} on ${o.host} is in use; pass another --port (0 picks a free one)`));
      else if (e.code === 'EADDRNOTAVAIL' || e.code === 'ENOTFOUND') {
        fail(new UsageError(`cannot listen on host "${o.host}": not an address of this machine`));
      }
      else if (e.code === 'EACCES') fail(new UsageError(`not allowed to listen on port ${o.port}; use a port above 1023`));
      else fail(e);
    });
    server.listen(o.port, o.host, () => {
      const a = server.address();
      const port = typeof a === 'object' && a ? a.port : o.port;
      const host = o.host.includes(':') ? `[${o.host}]` : o.host;
      ok({ server, url: `http://${host}:${port}/` });
    });
  });
}

/** dist/web beside the running bundle (dist/cli.js), or under the working directory when run from sources. */
function defaultRoot(): string {
  const here = fileURLToPath(new URL('.', import.meta.url));
  for (const dir of [join(here, 'web'), resolve('dist/web')]) if (existsSync(join(dir, 'index.html'))) return dir;
  throw new UsageError('dist/web is missing (no index.html): build the page first with `npm run build:js`');
}

export const serveCommand: Command = {
  summary: 'serve the browser lab (dist/web) on http://127.0.0.1:8080/',
  usage: 'serve [--port P] [--host H]',
  opts: [
    { name: 'port', type: 'string', arg: 'P', help: 'TCP port, 0 = any free port (default 8080)' },
    { name: 'host', type: 'string', arg: 'H',
      help: 'address to bind (default 127.0.0.1, this machine only; 0.0.0.0 exposes the page to the network)' },
  ],
  async run(v) {
    const port = int(v, 'port', 0, 65535) ?? 8080;
    const host = str(v, 'host') ?? '127.0.0.1';
    if (host.trim() === '') throw new UsageError('--host needs an address, e.g. 127.0.0.1');
    const root = defaultRoot();
    const { server, url } = await startServer({ root, port, host });
    if (!/^(127\.|\[?::1\]?$|localhost$)/.test(host)) {
      process.stderr.write(`warning: listening on ${host}: other machines can reach this page\n`);
    }
    process.stdout.write(v.json ? JSON.stringify({ url, root }) + '\n' : `serving ${root} at ${url} (Ctrl-C to stop)\n`);
    await new Promise<void>((done) => {
      const stop = () => {
        for (const s of STOP_SIGNALS) process.off(s, stop);
        server.close(() => done());
        server.closeAllConnections();
      };
      for (const s of STOP_SIGNALS) process.on(s, stop);
    });
    return 0;
  },
};
