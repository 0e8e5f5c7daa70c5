import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ClientError } from '../../../src/client/client-error.js';
import { isTransient, stoppedBy, withRetries } from '../../../src/client/transfer/retry.js';

const sdkError = (status: number | undefined) => Object.assign(new Error('s3'), { $metadata: status === undefined ? {} : { httpStatusCode: status } });

describe('retries of streamed requests', () => {
  it('retries server errors, throttling and dropped connections, nothing else', () => {
    assert.equal(isTransient(sdkError(500)), true);
    assert.equal(isTransient(sdkError(503)), true);
    assert.equal(isTransient(sdkError(429)), true);
    assert.equal(isTransient(Object.assign(new Error('reset'), { code: 'ECONNRESET' })), true);
    assert.equal(isTransient(sdkError(403)), false);
    assert.equal(isTransient(sdkError(412)), false);
    assert.equal(isTransient(Object.assign(new Error('gone'), { code: 'ENOENT' })), false);
    assert.equal(isTransient(new ClientError('STRONGBOX_CLIENT_VERIFY', 'bad')), false);
    assert.equal(isTransient(Object.assign(new Error('aborted'), { name: 'AbortError' })), false);
  });

  it('reports why a cancelled request stopped', () => {
    const aborted = Object.assign(new Error('Request aborted'), { name: 'AbortError' });
    const controller = new AbortController();
    assert.equal(stoppedBy(aborted, controller.signal), aborted);
    const reason = new Error('interrupted (Ctrl-C)');
    controller.abort(reason);
    assert.equal(stoppedBy(aborted, controller.signal), reason);
    assert.equal(stoppedBy(Object.assign(new Error('aborted'), { code: 'ECONNRESET' }), controller.signal), reason);
    const other = sdkError(500);
    assert.equal(stoppedBy(other, new AbortController().signal), other);
  });

  it('tries again up to the limit, and stops at once on a permanent error', async () => {
    let calls = 0;
    assert.equal(await withRetries(3, async (attempt) => (++calls < 2 ? Promise.reject(sdkError(503)) : attempt)), 2);
    calls = 0;
    await assert.rejects(withRetries(2, async () => (calls++, Promise.reject(sdkError(500)))), /s3/);
    assert.equal(calls, 2);
    calls = 0;
    await assert.rejects(withRetries(3, async () => (calls++, Promise.reject(sdkError(404)))), /s3/);
    assert.equal(calls, 1);
  });
});
