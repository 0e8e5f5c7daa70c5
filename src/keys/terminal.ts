/**
 * Questions on the terminal for the key commands: a passphrase read without echo, and a yes/no
 * confirmation. Both need stdin to be a TTY; callers check `isInteractive()` first.
 */
export const isInteractive = (): boolean => process.stdin.isTTY && process.stderr.isTTY;

/** Reads one line from the terminal without echoing it (the prompt goes to stderr). */
export function readHidden(prompt: string): Promise<string> {
  const stdin = process.stdin;
  process.stderr.write(prompt);
  return new Promise((resolve, reject) => {
    let text = '';
    const done = (err: Error | undefined) => {
      stdin.setRawMode(false);
      stdin.pause();
      stdin.off('data', onData);
      process.stderr.write('\n');
      if (err === undefined) resolve(text);
      else reject(err);
    };
    const onData = (chunk: Buffer) => {
      for (const ch of chunk.toString('utf8')) {
        if (ch === '\r' || ch === '\n') return done(undefined);
        if (ch === '\u0003' || ch === '\u0004') return done(new Error('cancelled'));
        if (ch === '\u007f' || ch === '\b') text = text.slice(0, -1);
        else text += ch;
      }
      return undefined;
    };
    stdin.setRawMode(true);
    stdin.resume();
    stdin.on('data', onData);
  });
}

/** Asks a yes/no question on the terminal; only "y" or "yes" is a yes. */
export function confirm(question: string): Promise<boolean> {
  const stdin = process.stdin;
  process.stderr.write(`${question} [y/N] `);
  return new Promise((resolve) => {
    const onData = (chunk: Buffer) => {
      stdin.off('data', onData);
      stdin.pause();
      resolve(/^\s*y(es)?\s*$/i.test(chunk.toString('utf8')));
    };
    stdin.resume();
    stdin.on('data', onData);
  });
}
