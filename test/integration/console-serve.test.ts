/**
 * The web console's static files (issue 6) on the real server: index.html and assets with
 * their content types and security headers, the /_console redirect, the SPA fallback, 404s,
 * refused traversal, HEAD, 405, and an HTML that loads nothing from another origin.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { rawRequest, startServer, type RawResponse, type TestServer } from './harness.js';
import { isValidBucketName } from '../../src/s3/bucket-name.js';
import { serveConsole } from '../../src/console/serve-console.js';

/** dist/test/integration → dist/console, where Vite builds the console. */
const CONSOLE_DIR = fileURLToPath(new URL('../../console/', import.meta.url));
const CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
  "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'";

function assertSecurityHeaders(res: RawResponse): void {
  assert.equal(res.headers['content-security-policy'], CSP);
  assert.equal(res.headers['x-content-type-options'], 'nosniff');
  assert.equal(res.headers['referrer-policy'], 'no-referrer');
  assert.equal(res.headers['x-frame-options'], 'DENY');
}

describe('web console: static files at /_console/', () => {
  let server: TestServer;
  const get = (path: string, method = 'GET') => rawRequest(server, { method, path });

  before(async () => {
    assert.ok(existsSync(`${CONSOLE_DIR}index.html`), `the console is not built in ${CONSOLE_DIR}: run npm run build`);
    server = await startServer({ domain: 's3.console.test' });
  });
  after(async () => {
    await server?.stop();
  });

  it('serves index.html at /_console/ as HTML, uncached, with the security headers', async () => {
    const res = await get('/_console/');
    assert.equal(res.status, 200);
    assert.match(String(res.headers['content-type']), /^text\/html/);
    assert.equal(res.headers['cache-control'], 'no-cache');
    assertSecurityHeaders(res);
    assert.equal(res.text, readFileSync(`${CONSOLE_DIR}index.html`, 'utf8'));
    assert.match(res.text, /<div id="app">/);
  });

  it('redirects /_console to /_console/', async () => {
    const res = await get('/_console');
    assert.ok(res.status === 301 || res.status === 302, `status ${res.status}`);
    assert.equal(res.headers.location, '/_console/');
    assertSecurityHeaders(res);
  });

  it('serves hashed assets with their content type and immutable caching', async () => {
    const index = (await get('/_console/')).text;
    const scripts = [...index.matchAll(/<script[^>]*\ssrc="([^"]+)"/g)].map((m) => m[1] ?? '');
    const styles = [...index.matchAll(/<link[^>]*rel="stylesheet"[^>]*href="([^"]+)"/g)].map((m) => m[1] ?? '');
    assert.ok(scripts.length > 0, 'index.html loads a script');
    assert.ok(styles.length > 0, 'index.html loads a style sheet');
    for (const src of scripts) {
      assert.match(src, /^\/_console\/assets\//);
      const res = await get(src);
      assert.equal(res.status, 200, src);
      assert.match(String(res.headers['content-type']), /^(text|application)\/javascript/);
      assert.match(String(res.headers['cache-control']), /immutable/);
      assertSecurityHeaders(res);
      assert.ok(res.body.length > 1000);
    }
    for (const href of styles) {
      const res = await get(href);
      assert.equal(res.status, 200, href);
      assert.match(String(res.headers['content-type']), /^text\/css/);
    }
  });

  it('loads nothing from another origin', async () => {
    const index = (await get('/_console/')).text;
    assert.doesNotMatch(index, /<script[^>]*\ssrc="(https?:)?\/\//i);
    assert.doesNotMatch(index, /<link[^>]*\shref="(https?:)?\/\//i);
    assert.doesNotMatch(index, /https?:\/\//i);
    // The SDK's code names Amazon's endpoints as strings; what the page itself pulls in must not.
    for (const file of readdirSync(`${CONSOLE_DIR}assets`)) {
      const text = readFileSync(`${CONSOLE_DIR}assets/${file}`, 'utf8');
      assert.doesNotMatch(text, /@import\s+url\(\s*['"]?https?:/i, file);
      assert.doesNotMatch(text, /fonts\.(googleapis|gstatic)\.com|cdn\.jsdelivr|unpkg\.com/i, file);
    }
  });

  it('answers client-side routes with index.html and a missing asset with 404', async () => {
    const index = (await get('/_console/')).text;
    const route = await get('/_console/buckets/photos');
    assert.equal(route.status, 200);
    assert.equal(route.text, index);
    assert.match(String(route.headers['content-type']), /^text\/html/);
    const missing = await get('/_console/assets/nothing-here.js');
    assert.equal(missing.status, 404);
    assert.doesNotMatch(missing.text, /<\?xml|<Error>/);
    assertSecurityHeaders(missing);
  });

  it('refuses path traversal', async () => {
    for (const path of [
      '/_console/../meta.db',
      '/_console/%2e%2e/meta.db',
      '/_console/%2E%2E/%2E%2E/package.json',
      '/_console/assets/..%2f..%2fsrc/cli/main.js',
      '/_console/..%5c..%5cpackage.json',
      '/_console/%2e%2e%2f%2e%2e%2f%2e%2e%2fetc/passwd',
      '/_console/./index.html',
      '/_console//etc/passwd',
      '/_console/%2fetc%2fpasswd',
      '/_console/index.html%00.js',
    ]) {
      const res = await get(path);
      assert.equal(res.status, 404, `${path}: ${res.status}`);
      assert.doesNotMatch(res.text, /SQLite|"name"|root:/, path);
    }
  });

  it('answers HEAD like GET without a body, and 405 to other methods', async () => {
    const head = await get('/_console/', 'HEAD');
    assert.equal(head.status, 200);
    assert.equal(head.body.length, 0);
    assert.match(String(head.headers['content-type']), /^text\/html/);
    assert.equal(Number(head.headers['content-length']), readFileSync(`${CONSOLE_DIR}index.html`).length);
    assertSecurityHeaders(head);
    for (const method of ['PUT', 'POST', 'DELETE']) {
      const res = await rawRequest(server, { method, path: '/_console/index.html', body: 'x' });
      assert.equal(res.status, 405, method);
      assert.match(String(res.headers.allow), /GET/);
    }
  });

  it("leaves S3 its paths: /_consolex, a virtual-hosted bucket's /_console/ and /_strongbox/health keys, and no bucket can be named _console", async () => {
    const res = await get('/_consolex');
    assert.equal(res.headers['content-security-policy'], undefined);
    assert.match(res.text, /<Code>/);
    const vhost = await rawRequest(server, { method: 'GET', path: '/_console/', headers: { host: 'photos.s3.console.test' } });
    assert.equal(vhost.headers['content-security-policy'], undefined);
    assert.match(vhost.text, /<Code>NoSuchBucket<\/Code>/);
    // The same holds for the health check's path, which is only the server's on path-style hosts.
    const vhostHealth = await rawRequest(server, { method: 'GET', path: '/_strongbox/health', headers: { host: 'photos.s3.console.test' } });
    assert.match(vhostHealth.text, /<Code>NoSuchBucket<\/Code>/);
    assert.equal((await rawRequest(server, { method: 'GET', path: '/_strongbox/health', headers: { host: 's3.console.test' } })).text, 'ok\n');
    assert.equal(isValidBucketName('_console'), false);
  });
});

describe('web console: not built', () => {
  let dir: string;
  let http: Server;
  let url: string;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'strongbox-console-'));
    http = createServer((req, res) => void serveConsole(req.method ?? 'GET', req.url ?? '/', res, `${dir}/`));
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    const address = http.address();
    assert.ok(address !== null && typeof address === 'object');
    url = `http://127.0.0.1:${address.port}`;
  });
  after(async () => {
    await new Promise((resolve) => http.close(resolve));
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers 404 in plain text saying the console was not built', async () => {
    for (const path of ['/_console/', '/_console/buckets', '/_console/assets/index.js']) {
      const res = await rawRequest({ url, ca: undefined }, { method: 'GET', path });
      assert.equal(res.status, 404, path);
      assert.match(String(res.headers['content-type']), /^text\/plain/);
      assert.match(res.text, /console was not built/);
      assertSecurityHeaders(res);
    }
  });
});
