/**
 * Retries for requests whose body is a file stream. The SDK does not retry those (a stream
 * cannot be rewound), so each attempt opens the file range afresh.
 */
import { ClientError, httpStatusOf } from '../client-error.js';

/** Attempts per part or single PUT/GET, as the SDK's standard mode. */
export const TRANSFER_ATTEMPTS = 3;
const FIRST_DELAY_MS = 250;

/** Socket errors that a new connection may get past. */
const NETWORK_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'ECONNABORTED', 'EPIPE', 'ETIMEDOUT', 'EAI_AGAIN', 'ENETUNREACH', 'EHOSTUNREACH']);

/** Whether a failure may pass on another try: a 5xx, a 429 (throttling) or a dropped connection. */
export function isTransient(err: unknown): boolean {
  if (err instanceof ClientError) return false;
  const status = httpStatusOf(err);
  if (status !== undefined) return status >= 500 || status === 429;
  const e = err as { code?: string; name?: string; $metadata?: unknown } | null;
  return NETWORK_CODES.has(e?.code ?? '') || e?.name === 'TimeoutError' || e?.name === 'RequestTimeout';
}

/**
 * The error to report for a request that failed: once `signal` is aborted (Ctrl-C), the reason
 * it was aborted with, rather than what cancelling did to the request ("Request aborted" from
 * the SDK, "aborted" from a response stream cut short).
 */
export function stoppedBy(err: unknown, signal: AbortSignal): unknown {
  return signal.aborted ? signal.reason : err;
}

/**
 * Runs `fn` up to `attempts` times while it fails with transient errors, waiting 250 ms, then
 * 500 ms, … between tries (no jitter: few clients, and tests stay deterministic).
 */
export async function withRetries<T>(attempts: number, fn: (attempt: number) => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (err) {
      if (attempt >= attempts || !isTransient(err)) throw err;
      await new Promise((resolve) => setTimeout(resolve, FIRST_DELAY_MS * 2 ** (attempt - 1)));
    }
  }
}
