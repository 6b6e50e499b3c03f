/**
 * `serve` against a running server: the real command on dist/web (loopback, MIME, isolation headers, traversal
 * in plain and encoded forms, no listing), and the same handler on a scratch root for what dist/web cannot hold
 * (a symlink out of the root, a directory without index.html).
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer } from '../../src/cli/serve';

const root = new URL('../..', import.meta.url).pathname;
const cli = join(root, 'dist/cli.js');

interface Reply { status: number; headers: Record<string, string | string[] | undefined>; body: string }

/** A raw request: node:http sends the path exactly as given (fetch would normalise `..` away). */
function get(base: string, path: string, method = 'GET'): Promise<Reply> {
  const u = new URL(base);
  return new Promise((ok, fail) => {
    const req = request({ host: u.hostname, port: u.port, path, method }, (res) => {
      let body = '';
      res.setEncoding('latin1');
      res.on('data', (c) => (body += c));
      res.on('end', () => ok({ status: res.statusCode!, headers: res.headers, body }));
    });
    req.on('error', fail);
    req.end();
  });
}

function startCli(args: string[]): Promise<{ proc: ChildProcess; url: string }> {
  const proc = spawn(process.execPath, [cli, 'serve', '--json', ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  return new Promise((ok, fail) => {
    let out = '', err = '';
    proc.stdout!.on('data', (b) => {
      out += b;
      if (out.includes('\n')) ok({ proc, url: JSON.parse(out.split('\n')[0]).url });
    });
    proc.stderr!.on('data', (b) => (err += b));
    proc.on('exit', (code) => fail(new Error(`serve exited with ${code}: ${err}`)));
  });
}

describe('serve: the command on dist/web', () => {
  let srv: { proc: ChildProcess; url: string };
  beforeAll(async () => {
    srv = await startCli(['--port', '0']);
  });
  afterAll(() => {
    srv?.proc.kill('SIGTERM');
  });

  it('binds to loopback by default and is not reachable on other interfaces', async () => {
    expect(srv.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    const port = new URL(srv.url).port;
    const external = Object.values(networkInterfaces()).flat().find((a) => a && a.family === 'IPv4' && !a.internal);
    if (external) await expect(get(`http://${external.address}:${port}/`, '/')).rejects.toThrow(/ECONNREFUSED/);
  });

  it('serves the page with the right MIME types and the cross-origin isolation headers', async () => {
    const types: Record<string, RegExp> = {
      '/': /^text\/html/, '/index.html': /^text\/html/, '/main.js': /^text\/javascript/, '/worker.js': /^text\/javascript/,
      '/style.css': /^text\/css/, '/ddpm.wasm': /^application\/wasm$/, '/ddpm.scalar.wasm': /^application\/wasm$/,
      '/examples/embed.html': /^text\/html/, '/examples/embed.js': /^text\/javascript/, '/ddpm-wasm.js': /^text\/javascript/,
    };
    for (const [path, type] of Object.entries(types)) {
      const r = await get(srv.url, path);
      expect(r.status, path).toBe(200);
      expect(r.headers['content-type'], path).toMatch(type);
      expect(r.headers['cross-origin-opener-policy'], path).toBe('same-origin');
      expect(r.headers['cross-origin-embedder-policy'], path).toBe('require-corp');
      expect(r.headers['x-content-type-options'], path).toBe('nosniff');
    }
    const wasm = await get(srv.url, '/ddpm.wasm');
    expect(wasm.body.slice(0, 4)).toBe('\0asm');
    expect((await get(srv.url, '/?x=1')).status).toBe(200);
    const head = await get(srv.url, '/index.html', 'HEAD');
    expect(head.status).toBe(200);
    expect(head.body).toBe('');
  });

  it('refuses .. and every encoded variant, and never leaks a file outside the root', async () => {
    const attempts = [
      '/../package.json', '/../../package.json', '/examples/../../package.json', '/./index.html',
      '/%2e%2e/package.json', '/%2E%2E/%2E%2E/package.json', '/.%2e/package.json', '/%2e./package.json',
      '/..%2fpackage.json', '/..%2Fpackage.json', '/%2e%2e%2fpackage.json', '/examples%2f..%2f..%2fpackage.json',
      '/..%5cpackage.json', '/..\\package.json', '/examples\\..\\..\\package.json', '/%5c..%5cpackage.json',
      '/index.html%00.js', '/%00', '/..%00/package.json', '/%252e%252e/package.json', '/%', '/%zz',
      '..%2fpackage.json', '/%c0%ae%c0%ae/package.json',
    ];
    for (const path of attempts) {
      const r = await get(srv.url, path);
      expect(r.status, path).toBeGreaterThanOrEqual(400);
      expect(r.status, path).toBeLessThan(500);
      expect(r.body, path).not.toMatch(/"name": "ddpm-wasm"|root:x:0/);
    }
    expect((await get(srv.url, '/../package.json')).status).toBe(400);
    expect((await get(srv.url, '/%2e%2e/package.json')).body).toMatch(/encoded/);
  });

  it('lists no directory and accepts only GET and HEAD', async () => {
    for (const path of ['/examples/', '/examples']) {
      const r = await get(srv.url, path);
      expect(r.status, path).toBe(404);
      expect(r.body).not.toMatch(/embed/);
    }
    expect((await get(srv.url, '/nope.js')).status).toBe(404);
    const post = await get(srv.url, '/index.html', 'POST');
    expect(post.status).toBe(405);
    expect(post.headers.allow).toBe('GET, HEAD');
  });

  it('--help, and one-line errors for a bad port or a busy one', async () => {
    const help = spawnSync(process.execPath, [cli, 'serve', '--help'], { encoding: 'utf8' });
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/usage: node dist\/cli.js serve \[--port P\] \[--host H\]/);
    expect(help.stdout).toMatch(/127\.0\.0\.1/);
    const bad = spawnSync(process.execPath, [cli, 'serve', '--port', '70000'], { encoding: 'utf8' });
    expect(bad.status).toBe(2);
    expect(bad.stderr.trim()).toMatch(/^error: --port must be an integer in \[0, 65535\], got 70000$/);
    const busy = spawnSync(process.execPath, [cli, 'serve', '--port', new URL(srv.url).port], { encoding: 'utf8', timeout: 10_000 });
    expect(busy.status).toBe(2);
    expect(busy.stderr.trim().split('\n')).toHaveLength(1);
    expect(busy.stderr).toMatch(/^error: port \d+ on 127\.0\.0\.1 is in use/);
  });
});

describe('serve: the handler on a scratch root', () => {
  let url: string, close: () => void;
  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ddpm-serve-'));
    const web = join(dir, 'web');
    mkdirSync(join(web, 'empty'), { recursive: true });
    mkdirSync(join(web, 'sub'));
    writeFileSync(join(web, 'index.html'), '<!doctype html><p>hi</p>');
    writeFileSync(join(web, 'sub', 'index.html'), '<p>sub</p>');
    writeFileSync(join(dir, 'secret.txt'), 'TOP SECRET');
    symlinkSync(join(dir, 'secret.txt'), join(web, 'link.txt'));
    symlinkSync(dir, join(web, 'up'));
    const s = await startServer({ root: web, port: 0, host: '127.0.0.1' });
    url = s.url;
    close = () => s.server.close();
  });
  afterAll(() => close?.());

  it('a symlink pointing outside the root is refused', async () => {
    for (const path of ['/link.txt', '/up/secret.txt', '/up/']) {
      const r = await get(url, path);
      expect(r.status, path).toBe(403);
      expect(r.body).not.toMatch(/SECRET/);
    }
  });
  it('a directory without index.html is 404, one with it redirects to the slash form then serves it', async () => {
    expect((await get(url, '/empty/')).status).toBe(404);
    const r = await get(url, '/sub');
    expect(r.status).toBe(301);
    expect(r.headers.location).toBe('/sub/');
    expect((await get(url, '/sub/')).body).toBe('<p>sub</p>');
  });
});
