import type { XmlNode } from '../server/xml.js';

/**
 * `{ ID, DisplayName }` for the Owner, Initiator and Grantee elements of S3 documents.
 * Users are identified by their name (there are no canonical user ids yet).
 */
export const principal = (name: string): XmlNode => ({ ID: name, DisplayName: name });
