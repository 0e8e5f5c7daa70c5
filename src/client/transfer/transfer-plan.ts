/**
 * Where each file of `strongbox cp SRC DST` goes, decided as `aws s3 cp` decides it. Pure:
 * the caller says whether a local destination is an existing directory.
 */
import { usageError } from '../client-error.js';
import { formatS3Url, isS3Url, type S3Location } from '../s3-url.js';

export type Direction = 'upload' | 'download';

/** Upload (local → S3) or download (S3 → local); anything else is a usage error. */
export function directionOf(src: string, dst: string): Direction {
  const fromS3 = isS3Url(src);
  const toS3 = isS3Url(dst);
  if (fromS3 && toS3) throw usageError(`copying from ${src} to ${dst}: S3 to S3 copies are not supported; download, then upload`);
  if (!fromS3 && !toS3) throw usageError(`copying from ${src} to ${dst}: one of them must be an s3://bucket/key URL (use cp(1) between local files)`);
  if (src === '-' || dst === '-') throw usageError('cp does not read stdin or write stdout ("-"): give a file name');
  return fromS3 ? 'download' : 'upload';
}

/** The last `/`-separated piece of a path or key ('' when it ends in `/`). */
const baseName = (p: string): string => p.slice(p.lastIndexOf('/') + 1);

/** `dir` and `rel` joined with one `/`, keeping `dir` as typed (`.` gives `./a.txt`, as `aws s3 cp` prints). */
export const joinLocal = (dir: string, rel: string): string => (dir.endsWith('/') ? `${dir}${rel}` : `${dir}/${rel}`);

const isFolder = (key: string): boolean => key === '' || key.endsWith('/');

/** The key a single file uploads to: DST's key, or DST's folder plus the file's name. */
export function uploadKey(dst: S3Location, localPath: string): string {
  const name = baseName(localPath.replace(/\/+$/, ''));
  return isFolder(dst.key) ? `${dst.key}${name}` : dst.key;
}

/** The prefix below which a recursive copy puts or finds keys: DST's key as a folder. */
export const folderPrefix = (loc: S3Location): string => (isFolder(loc.key) ? loc.key : `${loc.key}/`);

/** The S3 location of a file found `rel` below the uploaded directory. */
export const recursiveUploadTarget = (dst: S3Location, rel: string): S3Location => ({ bucket: dst.bucket, key: `${folderPrefix(dst)}${rel}` });

/**
 * The local file a single object downloads to: DST itself, or inside DST (an existing
 * directory, or a name ending in `/`) under the key's last name.
 */
export function downloadPath(dst: string, dstIsDirectory: boolean, src: S3Location): string {
  const name = baseName(src.key);
  if (name === '') throw usageError(`${formatS3Url(src)} is a prefix, not an object: add --recursive to copy what is below it`);
  return dstIsDirectory || dst.endsWith('/') ? joinLocal(dst, name) : dst;
}

/**
 * The local file of `key`, found below `prefix` by a recursive download into `dstDir`, or why
 * it gets none: a key is never trusted as a path, so empty, `.` and `..` segments (which would
 * land outside `dstDir` or on a folder) are refused.
 */
export function recursiveDownloadPath(dstDir: string, prefix: string, key: string): string | { readonly skip: string } {
  const rel = key.slice(prefix.length);
  if (!key.startsWith(prefix) || rel === '') return { skip: 'it is the prefix itself' };
  if (rel.endsWith('/')) return { skip: 'it is a folder marker' };
  if (rel.split('/').some((s) => s === '' || s === '.' || s === '..')) {
    return { skip: 'its name has an empty, "." or ".." segment, which is not a safe local file name' };
  }
  return joinLocal(dstDir, rel);
}
