import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { ConfigError, DEFAULT_CONNECTION_LIMITS, loadConfig } from '../../src/config.js';
import { ClientSlots } from '../../src/server/client-slots.js';

test('connection limits: defaults, flags in seconds, and errors naming the flag', () => {
  assert.deepEqual(loadConfig({}, {}).connections, DEFAULT_CONNECTION_LIMITS);
  const c = loadConfig(
    { bodyIdleTimeout: '1.5', headerTimeout: '2', keepAliveTimeout: '5', maxRequestsPerConnection: '100', maxConnectionsPerClient: '0', maxRequestsInFlight: '7' },
    {},
  ).connections;
  assert.deepEqual(c, { bodyIdleTimeoutMs: 1500, headersTimeoutMs: 2000, keepAliveTimeoutMs: 5000, maxRequestsPerConnection: 100, maxConnectionsPerClient: 0, maxRequestsInFlight: 7 });
  assert.ok(Object.isFrozen(c));
  for (const [opts, flag] of [
    [{ bodyIdleTimeout: '0' }, '--body-idle-timeout'],
    [{ headerTimeout: '-1' }, '--header-timeout'],
    [{ keepAliveTimeout: 'soon' }, '--keep-alive-timeout'],
    [{ maxRequestsPerConnection: '1.5' }, '--max-requests-per-connection'],
    [{ maxConnectionsPerClient: 'many' }, '--max-connections-per-client'],
    [{ maxRequestsInFlight: '-3' }, '--max-requests-in-flight'],
  ] as const) {
    assert.throws(() => loadConfig(opts, {}), (err: unknown) => err instanceof ConfigError && err.field === flag);
  }
});

/** A socket as the slots see it: an address, a port, and a 'close' event. */
function fakeSocket(address: string, port: number): Socket {
  return Object.assign(new EventEmitter(), { remoteAddress: address, remotePort: port }) as unknown as Socket;
}
const requestOn = (socket: Socket) => ({ socket }) as unknown as IncomingMessage;
const response = () => new EventEmitter() as unknown as ServerResponse;

test('client slots: direct connections per address; a surplus one may get in once a slot frees', () => {
  const slots = new ClientSlots(2);
  const [a, b, c] = [fakeSocket('::ffff:10.0.0.1', 1), fakeSocket('10.0.0.1', 2), fakeSocket('10.0.0.1', 3)];
  for (const s of [a, b, c]) slots.onConnection(s, false);
  assert.equal(slots.heldBy('10.0.0.1'), 2, 'IPv4-mapped and plain addresses are one client');
  assert.equal(slots.admit(requestOn(a), response(), '10.0.0.1', false), true);
  assert.equal(slots.admit(requestOn(c), response(), '10.0.0.1', false), false);
  // Another address is not affected.
  const other = fakeSocket('10.0.0.2', 1);
  slots.onConnection(other, false);
  assert.equal(slots.admit(requestOn(other), response(), '10.0.0.2', false), true);
  (a as unknown as EventEmitter).emit('close');
  assert.equal(slots.admit(requestOn(c), response(), '10.0.0.1', false), true);
  assert.equal(slots.heldBy('10.0.0.1'), 2);
  for (const s of [b, c]) (s as unknown as EventEmitter).emit('close');
  assert.equal(slots.heldBy('10.0.0.1'), 0);
});

test('client slots: behind a proxy, requests in flight per forwarded address; the proxy holds none', () => {
  const slots = new ClientSlots(1);
  const proxy = [fakeSocket('127.0.0.1', 1), fakeSocket('127.0.0.1', 2)];
  for (const s of proxy) slots.onConnection(s, true);
  assert.equal(slots.heldBy('127.0.0.1'), 0);
  const first = response();
  assert.equal(slots.admit(requestOn(proxy[0]!), first, '10.0.0.1', true), true);
  assert.equal(slots.admit(requestOn(proxy[1]!), response(), '10.0.0.1', true), false);
  assert.equal(slots.admit(requestOn(proxy[1]!), response(), '10.0.0.2', true), true);
  (first as unknown as EventEmitter).emit('close');
  assert.equal(slots.admit(requestOn(proxy[1]!), response(), '10.0.0.1', true), true);
});

test('client slots: 0 means no limit', () => {
  const slots = new ClientSlots(0);
  const s = fakeSocket('10.0.0.1', 1);
  slots.onConnection(s, false);
  for (let i = 0; i < 5; i++) assert.equal(slots.admit(requestOn(s), response(), '10.0.0.1', false), true);
  assert.equal(slots.heldBy('10.0.0.1'), 0);
});
