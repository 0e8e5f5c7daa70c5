/** Small shared pieces: the error box (sentence first, S3 code on demand). */
import type { Explained } from './errors.js';

export function ErrorMessage({ error }: { readonly error: Explained | undefined }) {
  if (error === undefined) return null;
  const details = [
    error.code === undefined ? undefined : `Code: ${error.code}`,
    error.status === undefined ? undefined : `HTTP status: ${error.status}`,
    error.requestId === undefined ? undefined : `Request ID: ${error.requestId}`,
  ].filter((d): d is string => d !== undefined);
  return (
    <div class="error" role="alert">
      <p>{error.sentence}</p>
      {details.length > 0 && (
        <details>
          <summary>Technical details</summary>
          <ul>
            {details.map((d) => (
              <li key={d}>{d}</li>
            ))}
          </ul>
        </details>
      )}
    </div>
  );
}
