/**
 * The signed-in credentials, in sessionStorage: they live as long as the tab, are never sent
 * anywhere (requests carry only SigV4 signatures made from them) and sign-out clears them.
 */
export interface Session {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
}

const STORAGE_KEY = 'strongbox.console.credentials';

export function loadSession(): Session | undefined {
  const text = sessionStorage.getItem(STORAGE_KEY);
  if (text === null) return undefined;
  try {
    const value = JSON.parse(text) as Partial<Session>;
    if (typeof value.accessKeyId === 'string' && typeof value.secretAccessKey === 'string') {
      return { accessKeyId: value.accessKeyId, secretAccessKey: value.secretAccessKey };
    }
  } catch {
    // A damaged entry is treated as no session.
  }
  sessionStorage.removeItem(STORAGE_KEY);
  return undefined;
}

export function saveSession(session: Session): void {
  sessionStorage.setItem(STORAGE_KEY, JSON.stringify(session));
}

/** Sign-out: nothing of the console stays in this tab's storage. */
export function clearSession(): void {
  sessionStorage.clear();
}
