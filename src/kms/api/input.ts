/**
 * Reading the members of a KMS request body with the constraints of the AWS model
 * (botocore's kms/2014-11-01 shapes): wrong JSON types are SerializationException, values
 * outside the model's bounds ValidationException with AWS's wording. Field names in messages
 * are lowerCamelCase, as AWS writes them ('keyId', 'numberOfBytes').
 */
import type { EncryptionContext, JsonObject } from '../types.js';
import { lengthAtLeast, lengthAtMost, mustNotBeNull, notInEnum, serialization, valueAtLeast, valueAtMost } from './errors.js';

const camel = (member: string): string => member.charAt(0).toLowerCase() + member.slice(1);
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

export class Input {
  constructor(private readonly body: JsonObject) {}

  private raw(member: string): unknown {
    const v = this.body[member];
    return v === null ? undefined : v;
  }

  has(member: string): boolean {
    return this.raw(member) !== undefined;
  }

  /** A string member; `max`/`min` are the model's length bounds. */
  string(member: string, opts: { min?: number; max?: number; sensitive?: boolean } = {}): string | undefined {
    const v = this.raw(member);
    if (v === undefined) return undefined;
    if (typeof v !== 'string') throw serialization(`Expected a string for ${member}`);
    const shown = opts.sensitive === true ? undefined : v;
    if (opts.min !== undefined && v.length < opts.min) throw lengthAtLeast(camel(member), shown, opts.min);
    if (opts.max !== undefined && v.length > opts.max) throw lengthAtMost(camel(member), shown, opts.max);
    return v;
  }

  requiredString(member: string, opts: { min?: number; max?: number } = {}): string {
    const v = this.string(member, opts);
    if (v === undefined) throw mustNotBeNull(camel(member));
    return v;
  }

  /** A key reference (KeyIdType: 1–2048 characters). */
  keyId(member = 'KeyId'): string {
    return this.requiredString(member, { min: 1, max: 2048 });
  }

  optionalKeyId(member: string): string | undefined {
    return this.string(member, { min: 1, max: 2048 });
  }

  enumeration<T extends string>(member: string, allowed: readonly T[]): T | undefined {
    const v = this.string(member);
    if (v === undefined) return undefined;
    if (!(allowed as readonly string[]).includes(v)) throw notInEnum(camel(member), v, allowed);
    return v as T;
  }

  integer(member: string, min: number, max: number): number | undefined {
    const v = this.raw(member);
    if (v === undefined) return undefined;
    if (typeof v !== 'number' || !Number.isInteger(v)) throw serialization(`Expected an integer for ${member}`);
    if (v < min) throw valueAtLeast(camel(member), v, min);
    if (v > max) throw valueAtMost(camel(member), v, max);
    return v;
  }

  boolean(member: string): boolean | undefined {
    const v = this.raw(member);
    if (v === undefined) return undefined;
    if (typeof v !== 'boolean') throw serialization(`Expected a boolean for ${member}`);
    return v;
  }

  /** A blob member (base64 in JSON), with the model's length bounds in bytes. */
  blob(member: string, min: number, max: number): Buffer | undefined {
    const v = this.raw(member);
    if (v === undefined) return undefined;
    if (typeof v !== 'string' || !BASE64.test(v)) throw serialization(`Expected base64 for ${member}`);
    const b = Buffer.from(v, 'base64');
    if (b.length < min) throw lengthAtLeast(camel(member), undefined, min);
    if (b.length > max) throw lengthAtMost(camel(member), undefined, max);
    return b;
  }

  requiredBlob(member: string, min: number, max: number): Buffer {
    const b = this.blob(member, min, max);
    if (b === undefined) throw mustNotBeNull(camel(member));
    return b;
  }

  /** An encryption context: a map of strings to strings (absent: empty). */
  context(member: string): EncryptionContext {
    const v = this.raw(member);
    if (v === undefined) return {};
    if (typeof v !== 'object' || Array.isArray(v)) throw serialization(`Expected a map for ${member}`);
    const entries = Object.entries(v as Record<string, unknown>);
    for (const [, val] of entries) {
      if (typeof val !== 'string') throw serialization(`Expected string values in ${member}`);
    }
    // fromEntries defines own properties: `out[k] = val` let a "__proto__" key fall out of the
    // context, so a ciphertext bound to {"__proto__": "x"} opened with {}.
    return Object.fromEntries(entries) as EncryptionContext;
  }
}
