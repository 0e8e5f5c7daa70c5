/**
 * Modes whose keys the server does not hold on its own (SSE-C: the customer's key; SSE-KMS and
 * DSSE-KMS: a KMS key that can be disabled) seal everything that could reveal plaintext —
 * content headers, user metadata, checksums — under a key derived from the data key, so that
 * reading any of it needs the same key as reading the data. Their part ETags are opaque MACs.
 * Stored format: docs/adr/0002-encryption-envelope.md.
 */
import { createHmac } from 'node:crypto';
import type { EncryptionRecord, ObjectRecord, PartRecord, UploadRecord } from '../store/meta/types.js';
import type { StoredChecksum } from '../checksum/types.js';
import type { SegmentParams } from './types.js';
import { bindingOf, deriveKek, open, seal } from './envelope.js';
import { DataCorruptionError } from './package-cipher.js';
import { b64, unb64 } from './base64.js';
import { DataKeyed } from './data-keyed.js';

// Frozen labels: changing any breaks stored objects.
const META_AAD = bindingOf('strongbox/v1/metadata');
const checksumAad = (salt: string): Buffer => bindingOf('strongbox/v1/checksum', salt);

interface SealedMetadata {
  contentHeaders: Record<string, string>;
  userMetadata: Record<string, string>;
  checksum?: StoredChecksum;
}

type WithChecksums = { checksum?: StoredChecksum; serverChecksum?: StoredChecksum; encryption?: SegmentParams };

export abstract class MetadataSealing extends DataKeyed {
  readonly etagIsMd5 = false;
  /** Seals metadata and checksums; derived from the data key, so re-sealing the data key keeps it valid. */
  private readonly metaKey: Buffer;

  /** @param dataKey owned from now on (wiped by dispose) */
  constructor(dataKey: Buffer) {
    super(dataKey);
    this.metaKey = deriveKek(dataKey, Buffer.alloc(0), META_AAD);
  }

  opaqueEtag(partNumber: number, size: number, fingerprint: string): string {
    const mac = createHmac('sha256', this.metaKey).update(bindingOf('strongbox/v1/part-etag', String(partNumber), String(size), fingerprint)).digest();
    return `"${mac.subarray(0, 16).toString('hex')}"`;
  }
  private sealMetadata(m: SealedMetadata): string {
    return b64(seal(this.metaKey, Buffer.from(JSON.stringify(m)), META_AAD));
  }
  private openMetadata(record: EncryptionRecord): SealedMetadata {
    if (record.meta === undefined) return { contentHeaders: {}, userMetadata: {} };
    const plain = open(this.metaKey, unb64(record.meta), META_AAD);
    if (plain === undefined) throw new DataCorruptionError('sealed metadata failed authentication');
    return JSON.parse(plain.toString('utf8')) as SealedMetadata;
  }
  private sealChecksums<T extends WithChecksums>(s: T): T {
    if (s.checksum === undefined && s.serverChecksum === undefined) return s;
    const salt = typeof s.encryption?.salt === 'string' ? s.encryption.salt : '';
    const sealOne = (c: StoredChecksum | undefined) => (c === undefined ? undefined : b64(seal(this.metaKey, Buffer.from(JSON.stringify(c)), checksumAad(salt))));
    const { checksum, serverChecksum, ...rest } = s;
    const params: Record<string, unknown> = { ...s.encryption };
    if (checksum !== undefined) params.checksum = sealOne(checksum);
    if (serverChecksum !== undefined) params.serverChecksum = sealOne(serverChecksum);
    return { ...rest, encryption: params } as T;
  }
  private openChecksums<T extends WithChecksums>(s: T): T {
    const params = s.encryption;
    if (params?.checksum === undefined && params?.serverChecksum === undefined) return s;
    const salt = typeof params.salt === 'string' ? params.salt : '';
    const openOne = (v: unknown): StoredChecksum | undefined => {
      if (v === undefined) return undefined;
      const plain = open(this.metaKey, unb64(v), checksumAad(salt));
      if (plain === undefined) throw new DataCorruptionError('sealed checksum failed authentication');
      return JSON.parse(plain.toString('utf8')) as StoredChecksum;
    };
    const checksum = openOne(params.checksum);
    const serverChecksum = openOne(params.serverChecksum);
    return { ...s, ...(checksum === undefined ? {} : { checksum }), ...(serverChecksum === undefined ? {} : { serverChecksum }) };
  }

  sealObject(rec: ObjectRecord): ObjectRecord {
    const meta: SealedMetadata = { contentHeaders: { ...rec.contentHeaders }, userMetadata: { ...rec.userMetadata } };
    if (rec.checksum !== undefined) meta.checksum = rec.checksum;
    const { checksum: _plainChecksum, ...rest } = rec;
    return {
      ...rest,
      contentHeaders: {},
      userMetadata: {},
      segments: rec.segments.map((s) => this.sealChecksums(s)),
      encryption: { ...this.record, meta: this.sealMetadata(meta) },
    };
  }
  openObject(rec: ObjectRecord): ObjectRecord {
    const meta = this.openMetadata(rec.encryption);
    return {
      ...rec,
      contentHeaders: meta.contentHeaders,
      userMetadata: meta.userMetadata,
      ...(meta.checksum === undefined ? {} : { checksum: meta.checksum }),
      segments: rec.segments.map((s) => this.openChecksums(s)),
    };
  }
  sealUpload(u: UploadRecord): UploadRecord {
    const meta = this.sealMetadata({ contentHeaders: { ...u.contentHeaders }, userMetadata: { ...u.userMetadata } });
    return { ...u, contentHeaders: {}, userMetadata: {}, encryption: { ...this.record, meta } };
  }
  openUpload(u: UploadRecord): UploadRecord {
    const meta = this.openMetadata(u.encryption);
    return { ...u, contentHeaders: meta.contentHeaders, userMetadata: meta.userMetadata };
  }
  sealPart(p: PartRecord): PartRecord {
    return this.sealChecksums(p);
  }
  openPart(p: PartRecord): PartRecord {
    return this.openChecksums(p);
  }
  override dispose(): void {
    super.dispose();
    this.metaKey.fill(0);
  }
}
