import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { X509Certificate, createPrivateKey, createPublicKey, webcrypto } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import https from 'node:https';
import type { AddressInfo, LookupFunction } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureTlsMaterial, type TlsMaterial } from '../../src/server/tls.js';

const LIST_BUCKETS_XML =
  '<?xml version="1.0" encoding="UTF-8"?>\n' +
  '<ListAllMyBucketsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">' +
  '<Owner><ID>strongbox</ID><DisplayName>strongbox</DisplayName></Owner><Buckets></Buckets>' +
  '</ListAllMyBucketsResult>';

/** Environment for child processes without the machine-wide CA overrides. */
function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const k of [
    'AWS_CA_BUNDLE',
    'SSL_CERT_FILE',
    'SSL_CERT_DIR',
    'NODE_EXTRA_CA_CERTS',
    'CURL_CA_BUNDLE',
    'REQUESTS_CA_BUNDLE',
    'NIX_SSL_CERT_FILE',
    'HTTPS_PROXY',
    'https_proxy',
    'HTTP_PROXY',
    'http_proxy',
    'ALL_PROXY',
    'all_proxy',
  ]) {
    delete env[k];
  }
  env['NO_PROXY'] = '*';
  env['no_proxy'] = '*';
  return { ...env, ...extra };
}

interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
  missing: boolean;
}

/** Async (never execFileSync: the HTTPS server lives in this process's event loop). */
function run(cmd: string, args: string[], env: NodeJS.ProcessEnv): Promise<RunResult> {
  return new Promise((resolve) => {
    execFile(cmd, args, { env, timeout: 60_000 }, (err, stdout, stderr) => {
      const e = err as (NodeJS.ErrnoException & { code?: string | number }) | null;
      if (e && e.code === 'ENOENT') return resolve({ code: null, stdout, stderr, missing: true });
      const code = e ? (typeof e.code === 'number' ? e.code : 1) : 0;
      resolve({ code, stdout, stderr, missing: false });
    });
  });
}

/** A lookup that sends every name to one loopback address (handles `all: true` from autoSelectFamily). */
function pinnedLookup(address: string): LookupFunction {
  const family = address.includes(':') ? 6 : 4;
  return ((_host: string, options: { all?: boolean } | undefined, cb: (...args: unknown[]) => void) => {
    if (options?.all) cb(null, [{ address, family }]);
    else cb(null, address, family);
  }) as unknown as LookupFunction;
}

function get(opts: { host: string; port: number; ca?: string; connectTo: string }): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = https.get(
      {
        host: opts.host,
        port: opts.port,
        path: '/',
        agent: false,
        lookup: pinnedLookup(opts.connectTo),
        ...(opts.ca !== undefined ? { ca: opts.ca } : {}),
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.setTimeout(10_000, () => req.destroy(new Error('timeout')));
  });
}

function startServer(material: TlsMaterial, host: string): Promise<https.Server> {
  const server = https.createServer({ key: material.key, cert: material.cert }, (req, res) => {
    res.writeHead(200, { 'content-type': 'application/xml', 'x-amz-request-id': 'test' });
    res.end(req.method === 'GET' ? LIST_BUCKETS_XML : '');
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, () => {
      server.off('error', reject);
      resolve(server);
    });
  });
}

function portOf(server: https.Server): number {
  return (server.address() as AddressInfo).port;
}

function close(server: https.Server | undefined): Promise<void> {
  if (server === undefined) return Promise.resolve();
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}

async function mode(path: string): Promise<number> {
  return (await stat(path)).mode & 0o777;
}

describe('ensureTlsMaterial (generated local CA)', () => {
  let dir: string;
  let material: TlsMaterial;
  let server: https.Server;
  let port: number;
  let caPem: string;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'strongbox-tls-'));
    material = await ensureTlsMaterial(dir, {});
    server = await startServer(material, '127.0.0.1');
    port = portOf(server);
    assert.ok(material.caFile);
    caPem = await readFile(material.caFile, 'utf8');
  });

  after(async () => {
    await close(server);
    await rm(dir, { recursive: true, force: true });
  });

  it('creates the files with private permissions', async () => {
    assert.equal(material.created, true);
    const tls = join(dir, 'tls');
    assert.equal(material.caFile, join(tls, 'ca.pem'));
    assert.equal(await mode(tls), 0o700);
    assert.equal(await mode(join(tls, 'ca-key.pem')), 0o600);
    assert.equal(await mode(join(tls, 'server-key.pem')), 0o600);
    assert.equal(await readFile(join(tls, 'server.pem'), 'utf8'), material.cert);
    assert.equal(await readFile(join(tls, 'server-key.pem'), 'utf8'), material.key);
    assert.match(material.key, /^-----BEGIN PRIVATE KEY-----\n/); // PKCS#8
    assert.match(await readFile(join(tls, 'ca-key.pem'), 'utf8'), /^-----BEGIN PRIVATE KEY-----\n/);
  });

  it('issues certificates with the expected shape', () => {
    const ca = new X509Certificate(caPem);
    const leaf = new X509Certificate(material.cert);
    assert.equal(ca.ca, true);
    assert.match(ca.subject, /^CN=Strongbox local CA [0-9a-f]+/m);
    const caYears = (Date.parse(ca.validTo) - Date.parse(ca.validFrom)) / (365.25 * 86400_000);
    assert.ok(caYears > 9.9 && caYears < 10.1, `CA validity ${caYears} years`);
    assert.equal(leaf.ca, false);
    assert.ok(leaf.checkIssued(ca));
    assert.ok(leaf.verify(ca.publicKey));
    assert.ok(leaf.checkPrivateKey(createPrivateKey(material.key)));
    const days = (Date.parse(leaf.validTo) - Date.parse(leaf.validFrom)) / 86400_000;
    assert.ok(days <= 397 && days > 300, `server validity ${days} days`);
    assert.equal(leaf.checkHost('localhost'), 'localhost');
    assert.equal(leaf.checkIP('127.0.0.1'), '127.0.0.1');
    assert.ok(leaf.checkIP('::1'));
    assert.deepEqual(leaf.keyUsage, ['1.3.6.1.5.5.7.3.1']); // extendedKeyUsage serverAuth
    assert.notEqual(ca.serialNumber, leaf.serialNumber);
  });

  it('Node verifies the server for localhost and 127.0.0.1 with ca.pem', async () => {
    for (const host of ['localhost', '127.0.0.1']) {
      const res = await get({ host, port, ca: caPem, connectTo: '127.0.0.1' });
      assert.equal(res.status, 200, host);
    }
  });

  it('Node verifies the server over ::1 (when IPv6 loopback exists)', async (t) => {
    let v6: https.Server | undefined;
    try {
      v6 = await startServer(material, '::1');
    } catch (err) {
      t.skip(`no IPv6 loopback: ${(err as Error).message}`);
      return;
    }
    try {
      const p = portOf(v6);
      for (const host of ['::1', 'localhost']) {
        const res = await get({ host, port: p, ca: caPem, connectTo: '::1' });
        assert.equal(res.status, 200, host);
      }
    } finally {
      await close(v6);
    }
  });

  it('Node rejects a name the certificate does not cover, and a foreign CA', async () => {
    await assert.rejects(get({ host: 'not-covered.example', port, ca: caPem, connectTo: '127.0.0.1' }), (err: NodeJS.ErrnoException) => {
      assert.equal(err.code, 'ERR_TLS_CERT_ALTNAME_INVALID');
      return true;
    });
    const otherDir = await mkdtemp(join(tmpdir(), 'strongbox-tls-other-'));
    try {
      const other = await ensureTlsMaterial(otherDir, {});
      assert.ok(other.caFile);
      const otherCa = await readFile(other.caFile, 'utf8');
      assert.notEqual(otherCa, caPem);
      await assert.rejects(get({ host: 'localhost', port, ca: otherCa, connectTo: '127.0.0.1' }));
    } finally {
      await rm(otherDir, { recursive: true, force: true });
    }
  });

  it('OpenSSL (Python ssl, VERIFY_X509_STRICT) accepts it with cafile=ca.pem', async (t) => {
    const script = [
      'import socket, ssl, sys',
      'port, ca = int(sys.argv[1]), sys.argv[2]',
      'def fetch(ctx, name):',
      "    with socket.create_connection(('127.0.0.1', port), timeout=10) as raw:",
      '        with ctx.wrap_socket(raw, server_hostname=name) as s:',
      "            s.sendall(b'GET / HTTP/1.1\\r\\nHost: x\\r\\nConnection: close\\r\\n\\r\\n')",
      "            return s.recv(64).split(b'\\r\\n')[0].decode()",
      'ctx = ssl.create_default_context(cafile=ca)',
      'ctx.verify_flags |= ssl.VERIFY_X509_STRICT',
      "for name in ('localhost', '127.0.0.1'):",
      "    print(name, fetch(ctx, name))",
      'plain = ssl.create_default_context()',
      'try:',
      "    fetch(plain, 'localhost')",
      "    print('UNEXPECTED: trusted without cafile')",
      'except ssl.SSLCertVerificationError as e:',
      "    print('without-ca rejected', e.verify_code)",
      'try:',
      "    fetch(ctx, 'not-covered.example')",
      "    print('UNEXPECTED: wrong name accepted')",
      'except ssl.SSLCertVerificationError as e:',
      "    print('wrong-name rejected')",
    ].join('\n');
    const r = await run('python3', ['-c', script, String(port), material.caFile ?? ''], cleanEnv());
    if (r.missing) {
      t.skip('python3 not installed');
      return;
    }
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^localhost HTTP\/1\.1 200 OK$/m);
    assert.match(r.stdout, /^127\.0\.0\.1 HTTP\/1\.1 200 OK$/m);
    assert.match(r.stdout, /^without-ca rejected/m);
    assert.match(r.stdout, /^wrong-name rejected$/m);
    assert.doesNotMatch(r.stdout, /UNEXPECTED/);
  });

  it('botocore (urllib3) accepts it with verify=ca.pem', async (t) => {
    const script = [
      'import sys',
      'try:',
      '    from botocore.httpsession import URLLib3Session',
      '    from botocore.awsrequest import AWSRequest',
      'except ImportError:',
      "    print('NO_BOTOCORE'); sys.exit(0)",
      's = URLLib3Session(verify=sys.argv[2])',
      "for name in ('localhost', '127.0.0.1'):",
      "    r = s.send(AWSRequest(method='GET', url='https://%s:%s/' % (name, sys.argv[1])).prepare())",
      '    print(name, r.status_code)',
    ].join('\n');
    const r = await run('python3', ['-c', script, String(port), material.caFile ?? ''], cleanEnv());
    if (r.missing || r.stdout.includes('NO_BOTOCORE')) {
      t.skip('botocore not installed');
      return;
    }
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^localhost 200$/m);
    assert.match(r.stdout, /^127\.0\.0\.1 200$/m);
  });

  it('curl --cacert accepts it', async (t) => {
    const args = (url: string): string[] => ['-sS', '--fail', '--max-time', '20', '--noproxy', '*', '--cacert', material.caFile ?? '', '--resolve', `localhost:${port}:127.0.0.1`, url];
    for (const host of ['localhost', '127.0.0.1']) {
      const r = await run('curl', args(`https://${host}:${port}/`), cleanEnv());
      if (r.missing) {
        t.skip('curl not installed');
        return;
      }
      assert.equal(r.code, 0, `${host}: ${r.stderr}`);
      assert.match(r.stdout, /ListAllMyBucketsResult/);
    }
  });

  it('the AWS CLI accepts it via AWS_CA_BUNDLE', async (t) => {
    const env = cleanEnv({
      AWS_CA_BUNDLE: material.caFile ?? '',
      AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
      AWS_SECRET_ACCESS_KEY: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
      AWS_DEFAULT_REGION: 'us-east-1',
      AWS_CONFIG_FILE: join(dir, 'no-aws-config'),
      AWS_SHARED_CREDENTIALS_FILE: join(dir, 'no-aws-credentials'),
      AWS_EC2_METADATA_DISABLED: 'true',
    });
    const r = await run('aws', ['s3api', 'list-buckets', '--endpoint-url', `https://localhost:${port}`, '--output', 'json'], env);
    if (r.missing || (r.code !== 0 && /command not found|No module named|pyenv: aws/.test(r.stderr))) {
      t.skip('aws CLI not available');
      return;
    }
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /"Buckets"/);
  });

  it('reuses the files on later starts', async () => {
    const tls = join(dir, 'tls');
    const before = await Promise.all(['ca.pem', 'ca-key.pem', 'server.pem', 'server-key.pem'].map((f) => stat(join(tls, f))));
    const again = await ensureTlsMaterial(dir, { hostnames: ['LOCALHOST', '127.0.0.1', '[::1]'] });
    assert.equal(again.created, false);
    assert.equal(again.cert, material.cert);
    assert.equal(again.key, material.key);
    assert.equal(again.caFile, material.caFile);
    const afterStats = await Promise.all(['ca.pem', 'ca-key.pem', 'server.pem', 'server-key.pem'].map((f) => stat(join(tls, f))));
    afterStats.forEach((s, i) => assert.equal(s.mtimeMs, before[i]?.mtimeMs));
  });
});

describe('ensureTlsMaterial (renewal)', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'strongbox-tls-renew-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('re-issues the server certificate for new hostnames, keeping the CA', async () => {
    const first = await ensureTlsMaterial(dir, {});
    assert.ok(first.caFile);
    const ca1 = await readFile(first.caFile, 'utf8');
    const second = await ensureTlsMaterial(dir, { hostnames: ['s3.example.test', '*.s3.example.test', '10.9.8.7', 'fd00::1'] });
    assert.equal(second.created, true);
    assert.notEqual(second.cert, first.cert);
    assert.equal(await readFile(first.caFile, 'utf8'), ca1);
    const leaf = new X509Certificate(second.cert);
    assert.ok(leaf.checkHost('s3.example.test'));
    assert.ok(leaf.checkHost('bucket.s3.example.test'));
    assert.ok(leaf.checkHost('localhost'));
    assert.ok(leaf.checkIP('10.9.8.7'));
    assert.ok(leaf.checkIP('fd00::1'));
    assert.ok(leaf.checkIP('127.0.0.1'));
    assert.ok(leaf.verify(new X509Certificate(ca1).publicKey));
    // still fully covered -> reused
    const third = await ensureTlsMaterial(dir, { hostnames: ['*.s3.example.test', 'fd00:0:0::1'] });
    assert.equal(third.created, false);
    assert.equal(third.cert, second.cert);
  });

  it('re-issues a server certificate that expires within 30 days', async () => {
    const cur = await ensureTlsMaterial(dir, {});
    const tls = join(dir, 'tls');
    // @peculiar/x509 needs the Reflect shim ensureTlsMaterial installed; import it only now.
    const x509 = await import('@peculiar/x509');
    x509.cryptoProvider.set(webcrypto);
    const caKeyObj = createPrivateKey(await readFile(join(tls, 'ca-key.pem'), 'utf8'));
    const caKey = await webcrypto.subtle.importKey('pkcs8', caKeyObj.export({ type: 'pkcs8', format: 'der' }), { name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign']);
    const caCert = new x509.X509Certificate(await readFile(join(tls, 'ca.pem'), 'utf8'));
    const serverKey = createPrivateKey(cur.key);
    const serverPub = await webcrypto.subtle.importKey('spki', createPublicKey(serverKey).export({ type: 'spki', format: 'der' }), { name: 'ECDSA', namedCurve: 'P-256' }, true, ['verify']);
    const soon = await x509.X509CertificateGenerator.create({
      subject: 'CN=localhost',
      issuer: caCert.subjectName,
      notBefore: new Date(Date.now() - 86400_000),
      notAfter: new Date(Date.now() + 10 * 86400_000),
      publicKey: serverPub,
      signingKey: caKey,
      signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' },
      extensions: [new x509.SubjectAlternativeNameExtension([{ type: 'dns', value: 'localhost' }, { type: 'ip', value: '127.0.0.1' }, { type: 'ip', value: '::1' }])],
    });
    await writeFile(join(tls, 'server.pem'), soon.toString('pem'));
    const renewed = await ensureTlsMaterial(dir, {});
    assert.equal(renewed.created, true);
    const leaf = new X509Certificate(renewed.cert);
    assert.ok(Date.parse(leaf.validTo) - Date.now() > 300 * 86400_000);
    assert.equal(await mode(join(tls, 'server-key.pem')), 0o600);
  });

  it('re-issues a server certificate that does not chain to ca.pem', async () => {
    const otherDir = await mkdtemp(join(tmpdir(), 'strongbox-tls-other-'));
    try {
      const other = await ensureTlsMaterial(otherDir, {});
      const tls = join(dir, 'tls');
      await writeFile(join(tls, 'server.pem'), other.cert);
      await writeFile(join(tls, 'server-key.pem'), other.key);
      const fixed = await ensureTlsMaterial(dir, {});
      assert.equal(fixed.created, true);
      const ca = new X509Certificate(await readFile(join(tls, 'ca.pem'), 'utf8'));
      assert.ok(new X509Certificate(fixed.cert).verify(ca.publicKey));
    } finally {
      await rm(otherDir, { recursive: true, force: true });
    }
  });

  it('refuses to continue when only half of the CA is present', async () => {
    const d = await mkdtemp(join(tmpdir(), 'strongbox-tls-half-'));
    try {
      await ensureTlsMaterial(d, {});
      await rm(join(d, 'tls', 'ca-key.pem'));
      await assert.rejects(ensureTlsMaterial(d, {}), /ca-key\.pem/);
    } finally {
      await rm(d, { recursive: true, force: true });
    }
  });

  it('rejects invalid host names', async () => {
    await assert.rejects(ensureTlsMaterial(dir, { hostnames: ['https://example.com/'] }), /invalid host name/);
    await assert.rejects(ensureTlsMaterial(dir, { hostnames: ['exa mple.com'] }), /invalid host name/);
  });
});

describe('ensureTlsMaterial (user-supplied certificate)', () => {
  let dir: string;
  let generated: TlsMaterial;
  let certFile: string;
  let keyFile: string;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'strongbox-tls-user-'));
    generated = await ensureTlsMaterial(join(dir, 'gen'), {});
    certFile = join(dir, 'my-cert.pem');
    keyFile = join(dir, 'my-key.pem');
    await writeFile(certFile, generated.cert);
    await writeFile(keyFile, generated.key, { mode: 0o600 });
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('returns the supplied files and creates nothing', async () => {
    const dataDir = join(dir, 'data');
    const m = await ensureTlsMaterial(dataDir, { certFile, keyFile });
    assert.deepEqual(m, { key: generated.key, cert: generated.cert, caFile: undefined, created: false });
    await assert.rejects(stat(join(dataDir, 'tls')), { code: 'ENOENT' });
    // and they actually serve
    const server = await startServer(m, '127.0.0.1');
    try {
      assert.ok(generated.caFile);
      const res = await get({ host: 'localhost', port: portOf(server), ca: await readFile(generated.caFile, 'utf8'), connectTo: '127.0.0.1' });
      assert.equal(res.status, 200);
    } finally {
      await close(server);
    }
  });

  it('names the unreadable file in the error', async () => {
    const missing = join(dir, 'nope.pem');
    await assert.rejects(ensureTlsMaterial(dir, { certFile: missing, keyFile }), (err: Error) => {
      assert.ok(err.message.includes(missing), err.message);
      assert.match(err.message, /certificate/);
      return true;
    });
    await assert.rejects(ensureTlsMaterial(dir, { certFile, keyFile: missing }), (err: Error) => {
      assert.ok(err.message.includes(missing), err.message);
      assert.match(err.message, /key/);
      return true;
    });
  });

  it('requires both files and a matching pair', async () => {
    await assert.rejects(ensureTlsMaterial(dir, { certFile }), /together/);
    await assert.rejects(ensureTlsMaterial(dir, { keyFile }), /together/);
    const other = await ensureTlsMaterial(join(dir, 'gen2'), {});
    const otherKey = join(dir, 'other-key.pem');
    await writeFile(otherKey, other.key);
    await assert.rejects(ensureTlsMaterial(dir, { certFile, keyFile: otherKey }), /does not match/);
    const garbage = join(dir, 'garbage.pem');
    await writeFile(garbage, 'not a pem');
    await assert.rejects(ensureTlsMaterial(dir, { certFile: garbage, keyFile }), new RegExp(garbage.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
  });
});
