import { invalidContentSha256, notImplemented } from '../errors/s3-error.js';
import type { PayloadMode } from './types.js';
import {
  STREAMING_ECDSA,
  STREAMING_ECDSA_TRAILER,
  STREAMING_EVENTS,
  STREAMING_SIGNED,
  STREAMING_SIGNED_TRAILER,
  STREAMING_UNSIGNED_TRAILER,
  UNSIGNED_PAYLOAD,
} from './constants.js';

const HEX_SHA256 = /^[0-9a-f]{64}$/;

/**
 * Maps an x-amz-content-sha256 value to a payload mode (§9.2). SigV4a streaming and event
 * streams are answered NotImplemented; anything else unknown is InvalidArgument.
 */
export function payloadModeOf(contentSha256: string): PayloadMode {
  switch (contentSha256) {
    case UNSIGNED_PAYLOAD:
      return 'unsigned';
    case STREAMING_UNSIGNED_TRAILER:
      return 'streaming-unsigned-trailer';
    case STREAMING_SIGNED:
      return 'streaming-signed';
    case STREAMING_SIGNED_TRAILER:
      return 'streaming-signed-trailer';
    case STREAMING_ECDSA:
    case STREAMING_ECDSA_TRAILER:
    case STREAMING_EVENTS:
      throw notImplemented(`x-amz-content-sha256 ${contentSha256} is not implemented`);
    default:
      if (HEX_SHA256.test(contentSha256)) return 'sha256';
      throw invalidContentSha256();
  }
}

export function isStreaming(mode: PayloadMode): boolean {
  return mode.startsWith('streaming-');
}
