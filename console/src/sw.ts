/**
 * The console's service worker (served as /_console/sw.js): it turns a signed GetObject request
 * handed over by the page (src/download.ts) into a browser download, streaming the server's body
 * straight through, so nothing is held in memory. It does nothing else: every other request goes
 * to the network untouched. Self-contained on purpose (a classic worker script has no imports).
 */

interface DownloadJob {
  readonly url: string;
  readonly headers: Record<string, string>;
  readonly port: MessagePort;
}

// The worker's own globals, typed here because the console's TypeScript lib is the DOM's.
interface ExtendableEvent extends Event {
  waitUntil(promise: Promise<unknown>): void;
}
interface FetchEvent extends ExtendableEvent {
  readonly request: Request;
  respondWith(response: Promise<Response> | Response): void;
}
interface WorkerScope {
  addEventListener(type: 'install' | 'activate', listener: (event: ExtendableEvent) => void): void;
  addEventListener(type: 'fetch', listener: (event: FetchEvent) => void): void;
  addEventListener(type: 'message', listener: (event: MessageEvent) => void): void;
  skipWaiting(): Promise<void>;
  readonly clients: { claim(): Promise<void> };
}
const worker = self as unknown as WorkerScope;

const DOWNLOAD_PATH = /^\/_console\/download\/([0-9a-f-]{36})$/;
/** A handed-over request not used within this time is forgotten (it holds a key). */
const JOB_TTL_MS = 60_000;
const jobs = new Map<string, DownloadJob>();

worker.addEventListener('install', (event) => event.waitUntil(worker.skipWaiting()));
worker.addEventListener('activate', (event) => event.waitUntil(worker.clients.claim()));

worker.addEventListener('message', (event) => {
  const data = event.data as { type?: unknown; id?: unknown; url?: unknown; headers?: unknown };
  const port = event.ports[0];
  if (data.type !== 'download' || port === undefined || typeof data.id !== 'string' || typeof data.url !== 'string') return;
  // Only requests to this origin: the worker is no relay to elsewhere.
  if (new URL(data.url).origin !== location.origin) return;
  const id = data.id;
  jobs.set(id, { url: data.url, headers: data.headers as Record<string, string>, port });
  setTimeout(() => jobs.delete(id), JOB_TTL_MS);
  port.postMessage({ type: 'ready' });
});

worker.addEventListener('fetch', (event) => {
  const match = DOWNLOAD_PATH.exec(new URL(event.request.url).pathname);
  if (match?.[1] === undefined) return;
  const job = jobs.get(match[1]);
  jobs.delete(match[1]);
  if (job === undefined) {
    event.respondWith(new Response('This download link has expired: start the download again from the console.\n', { status: 410 }));
    return;
  }
  event.respondWith(relay(job));
});

async function relay(job: DownloadJob): Promise<Response> {
  let upstream: Response;
  try {
    upstream = await fetch(job.url, { headers: job.headers, cache: 'no-store', credentials: 'omit' });
  } catch {
    job.port.postMessage({ type: 'started', ok: false, status: 0, code: undefined });
    return new Response('The server could not be reached.\n', { status: 502 });
  }
  if (upstream.status !== 200) {
    const text = await upstream.text().catch(() => '');
    job.port.postMessage({ type: 'started', ok: false, status: upstream.status, code: /<Code>([^<]+)<\/Code>/.exec(text)?.[1] });
    return new Response('The download failed: see the console page.\n', { status: upstream.status });
  }
  job.port.postMessage({ type: 'started', ok: true });
  // The server's own response, untouched: Chromium then hands its body to the download manager
  // natively. Re-wrapping it (new Response(upstream.body, …)) pumps every chunk through this
  // worker's JavaScript, which measured as memory growing with the object's size. The attachment
  // disposition comes from the server (response-content-disposition in the signed request).
  return upstream;
}
