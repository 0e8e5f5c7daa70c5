import type { BucketContext, ObjectContext, S3Response } from '../server/context.js';
import { invalidArgument, malformedXml, missingDeleteChecksum } from '../errors/s3-error.js';
import { renderXml, type XmlNode } from '../server/xml.js';
import { MAX_DELETE_BODY, parseXmlBoolean } from '../server/xml-request.js';
import { toS3Error } from '../server/error-response.js';
import { authorizeAccess } from '../server/authorize.js';
import { readXmlDocument } from './document-body.js';

/** Buckets are unversioned: the only version id that names anything is "null". */
function checkVersionId(versionId: string | null | undefined): void {
  if (versionId !== null && versionId !== undefined && versionId !== 'null') {
    throw invalidArgument('Invalid version id specified', 'versionId', versionId);
  }
}

/** The store journals the removed version's blobs in the same commit (src/store/reclaim.ts). */
async function removeObject(ctx: BucketContext, key: string): Promise<void> {
  await ctx.stores.meta.deleteObject(ctx.bucketName, key);
}

/** DeleteObject: 204 whether or not the key existed, as Amazon answers. */
export async function deleteObject(ctx: ObjectContext): Promise<S3Response> {
  checkVersionId(ctx.query.get('versionId'));
  await removeObject(ctx, ctx.key);
  return { status: 204 };
}

const MAX_DELETE_KEYS = 1000;

/**
 * DeleteObjects: https://docs.aws.amazon.com/AmazonS3/latest/API/API_DeleteObjects.html
 * A key is reported `<Deleted>` exactly when no object of that (decoded) name is left,
 * absent keys included as on Amazon; a key that could not be deleted is an `<Error>` with
 * its code. Quiet mode lists only the errors.
 */
export async function deleteObjects(ctx: BucketContext): Promise<S3Response> {
  const doc = await readXmlDocument(ctx, 'Delete', { limit: MAX_DELETE_BODY, checksumRequired: missingDeleteChecksum });
  const objects = doc.all('Object');
  if (objects.length === 0 || objects.length > MAX_DELETE_KEYS) throw malformedXml();
  const quiet = parseXmlBoolean(doc.textOf('Quiet'));

  const entries = objects.map((obj) => {
    const key = obj.textOf('Key');
    if (key === undefined) throw malformedXml();
    return { key, versionId: obj.textOf('VersionId') };
  });
  // Concurrently, so that the store commits them in a few group transactions.
  const outcomes = await Promise.all(
    entries.map(async ({ key, versionId }) => {
      try {
        checkVersionId(versionId);
        // Each key is authorized on its own (the route's access is 'keys'), as Amazon does.
        authorizeAccess(ctx.requester, ctx.bucket, key, 's3:DeleteObject');
        await removeObject(ctx, key);
        return undefined;
      } catch (err) {
        const { error, internal } = toS3Error(err);
        if (internal) ctx.log.error({ err }, 'delete of one key failed');
        return error;
      }
    }),
  );
  const deleted: XmlNode[] = [];
  const errors: XmlNode[] = [];
  entries.forEach(({ key, versionId }, i) => {
    const error = outcomes[i];
    if (error !== undefined) errors.push({ Key: key, VersionId: versionId, Code: error.code, Message: error.message });
    else if (!quiet) deleted.push({ Key: key, VersionId: versionId });
  });
  return { status: 200, body: renderXml('DeleteResult', { Deleted: deleted, Error: errors }) };
}
