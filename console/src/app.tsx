/**
 * The console shell: sign-in when there is no session, else a header (the main navigation,
 * who, sign out) and the page for the hash route (#/buckets, #/buckets/NAME, #/kms-keys).
 */
import { useEffect, useMemo, useState } from 'preact/hooks';
import { clearSession, loadSession, saveSession, type Session } from './session.js';
import { makeClients } from './s3.js';
import { SignIn } from './pages/sign-in.js';
import { Buckets } from './pages/buckets.js';
import { Bucket } from './pages/bucket.js';
import { KmsKeys } from './pages/kms-keys.js';
import { CustomerKeys } from './pages/customer-keys.js';
import { CUSTOMER_KEYS_HREF, KMS_KEYS_HREF, parseRoute, type Route } from './routes.js';

/** The main navigation; the link of the current section has aria-current="page". */
function MainNav({ route }: { readonly route: Route }) {
  const section = route.page === 'bucket' ? 'buckets' : route.page;
  const links = [
    ['buckets', '#/buckets', 'Buckets'],
    ['kms-keys', KMS_KEYS_HREF, 'KMS keys'],
    ['customer-keys', CUSTOMER_KEYS_HREF, 'Customer keys'],
  ] as const;
  return (
    <nav aria-label="Main" class="main-nav">
      <ul>
        {links.map(([page, href, name]) => (
          <li key={page}>
            <a href={href} aria-current={section === page ? 'page' : undefined}>
              {name}
            </a>
          </li>
        ))}
      </ul>
    </nav>
  );
}

export function App() {
  const [session, setSession] = useState<Session | undefined>(loadSession);
  const [hash, setHash] = useState(location.hash);
  useEffect(() => {
    const onHash = () => setHash(location.hash);
    addEventListener('hashchange', onHash);
    return () => removeEventListener('hashchange', onHash);
  }, []);
  const clients = useMemo(() => (session === undefined ? undefined : makeClients(session)), [session]);

  if (session === undefined || clients === undefined) {
    return (
      <SignIn
        onSignedIn={(s) => {
          saveSession(s);
          setSession(s);
          location.hash = '#/buckets';
        }}
      />
    );
  }
  const route = parseRoute(hash);
  const signOut = () => {
    clearSession();
    setSession(undefined);
    history.replaceState(null, '', location.pathname);
    setHash('');
  };
  return (
    <>
      <header class="top">
        <a class="brand" href="#/buckets">
          Strongbox console
        </a>
        <MainNav route={route} />
        <span class="who">
          Signed in as <code>{session.accessKeyId}</code>
        </span>
        <button type="button" onClick={signOut}>
          Sign out
        </button>
      </header>
      <main>
        {route.page === 'bucket' ? (
          <Bucket clients={clients} name={route.name} prefix={route.prefix} />
        ) : route.page === 'kms-keys' ? (
          <KmsKeys clients={clients} />
        ) : route.page === 'customer-keys' ? (
          <CustomerKeys />
        ) : (
          <Buckets clients={clients} />
        )}
      </main>
    </>
  );
}
