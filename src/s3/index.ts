import type { Handler } from '../server/context.js';
import { createBucket, deleteBucket, getBucketLocation, getBucketVersioning, headBucket, listBuckets } from './bucket.js';
import { putObject } from './object-put.js';
import { getBucketAcl, getObjectAcl, putBucketAcl, putObjectAcl } from './acl.js';
import { getObject, headObject } from './object-get.js';
import { deleteObject, deleteObjects } from './delete.js';
import { copyObject } from './copy.js';
import { getObjectAttributes } from './attributes.js';
import { deleteBucketEncryption, getBucketEncryption, putBucketEncryption } from './bucket-encryption.js';
import { listObjectVersions, listObjects, listObjectsV2 } from './list.js';
import { deleteBucketPolicy, getBucketPolicy, putBucketPolicy } from './policy.js';
import {
  abortMultipartUpload,
  completeMultipartUpload,
  createMultipartUpload,
  listMultipartUploads,
  listParts,
  uploadPart,
  uploadPartCopy,
} from './multipart.js';

/**
 * Operation name (from the router table) → handler. The pipeline guarantees that bucket
 * and key are present and that the bucket exists for every bucket or object operation,
 * which is what the narrower context types of the handlers say.
 */
export const HANDLERS: Readonly<Record<string, Handler>> = Object.freeze({
  ListBuckets: listBuckets,
  CreateBucket: createBucket,
  HeadBucket: headBucket as Handler,
  DeleteBucket: deleteBucket as Handler,
  GetBucketLocation: getBucketLocation as Handler,
  GetBucketVersioning: getBucketVersioning as Handler,
  ListObjects: listObjects as Handler,
  ListObjectsV2: listObjectsV2 as Handler,
  ListObjectVersions: listObjectVersions as Handler,
  ListMultipartUploads: listMultipartUploads as Handler,
  DeleteObjects: deleteObjects as Handler,
  PutObject: putObject as Handler,
  GetObject: getObject as Handler,
  HeadObject: headObject as Handler,
  DeleteObject: deleteObject as Handler,
  CopyObject: copyObject as Handler,
  GetObjectAttributes: getObjectAttributes as Handler,
  CreateMultipartUpload: createMultipartUpload as Handler,
  UploadPart: uploadPart as Handler,
  UploadPartCopy: uploadPartCopy as Handler,
  CompleteMultipartUpload: completeMultipartUpload as Handler,
  AbortMultipartUpload: abortMultipartUpload as Handler,
  ListParts: listParts as Handler,
  GetBucketAcl: getBucketAcl as Handler,
  PutBucketAcl: putBucketAcl as Handler,
  GetObjectAcl: getObjectAcl as Handler,
  PutObjectAcl: putObjectAcl as Handler,
  GetBucketPolicy: getBucketPolicy as Handler,
  PutBucketPolicy: putBucketPolicy as Handler,
  DeleteBucketPolicy: deleteBucketPolicy as Handler,
  GetBucketEncryption: getBucketEncryption as Handler,
  PutBucketEncryption: putBucketEncryption as Handler,
  DeleteBucketEncryption: deleteBucketEncryption as Handler,
});
