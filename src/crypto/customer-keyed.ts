/**
 * SSE-C key material for one object or upload: its data key and the customer key that seals
 * it; metadata and checksums are sealed under the data key (MetadataSealing).
 * Stored format: docs/adr/0002-encryption-envelope.md.
 */
import type { EncryptionRecord } from '../store/meta/types.js';
import { bindingOf, deriveKek, open, seal, newSalt } from './envelope.js';
import { customerKeyHeaders, type CustomerKey } from './sse-c.js';
import { b64, unb64 } from './base64.js';
import { MetadataSealing } from './metadata-sealing.js';

/** Record format id; frozen with the labels below (changing any breaks stored objects). */
const FORMAT = 1;

/** The KEK of an SSE-C object: bound to the mode and to the object's bucket and key. */
const sseCBinding = (bucket: string, key: string): Buffer => bindingOf('strongbox/v1/sse-c', bucket, key);

/** SSE-C: the data key, the customer's key that seals it, and the object it is bound to. */
export class CustomerKeyed extends MetadataSealing {
  readonly record: EncryptionRecord;

  /**
   * @param dataKey owned by this object from now on (wiped by dispose)
   * @param sealed the stored kekSalt/sealedKey when opening an existing object or upload;
   *   undefined to seal `dataKey` under `customer` now
   */
  constructor(
    dataKey: Buffer,
    readonly customer: CustomerKey,
    bucket: string,
    key: string,
    sealed?: EncryptionRecord,
  ) {
    super(dataKey);
    if (sealed !== undefined) {
      this.record = sealed;
      return;
    }
    const kekSalt = newSalt();
    const kek = deriveKek(customer.key, kekSalt, sseCBinding(bucket, key));
    const sealedKey = seal(kek, dataKey, sseCBinding(bucket, key));
    kek.fill(0);
    this.record = { mode: 'sse-c', format: FORMAT, kekSalt: b64(kekSalt), sealedKey: b64(sealedKey) };
  }

  /** Opens the data key of a stored record with the customer's key; undefined if it is not the key. */
  static open(record: EncryptionRecord, customer: CustomerKey, bucket: string, key: string): CustomerKeyed | undefined {
    const kek = deriveKek(customer.key, unb64(record.kekSalt), sseCBinding(bucket, key));
    const dataKey = open(kek, unb64(record.sealedKey), sseCBinding(bucket, key));
    kek.fill(0);
    return dataKey === undefined ? undefined : new CustomerKeyed(dataKey, customer, bucket, key, record);
  }

  responseHeaders(): Record<string, string> {
    return customerKeyHeaders(this.customer.md5);
  }
  override dispose(): void {
    super.dispose();
    this.customer.wipe();
  }
}
