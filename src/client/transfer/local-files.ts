/** The local side of `strongbox cp --recursive`: the regular files below a directory. */
import { readdir, realpath, stat } from 'node:fs/promises';
import { join } from 'node:path';

export interface LocalFile {
  /** The path to open. */
  readonly path: string;
  /** Below the walked directory, with `/` separators: the key suffix it uploads to. */
  readonly rel: string;
  readonly size: number;
}

export interface SkippedPath {
  readonly skipped: string;
  readonly reason: string;
}

/**
 * Regular files below `root`, in name order, following symbolic links as `aws s3 cp` does;
 * a directory reached twice (a link loop, or two links to one place) is walked once and
 * reported as skipped, as are sockets, FIFOs and devices.
 */
export async function* walkFiles(root: string): AsyncGenerator<LocalFile | SkippedPath> {
  const seen = new Set<string>([await realpath(root)]);
  async function* walk(dir: string, rel: string): AsyncGenerator<LocalFile | SkippedPath> {
    const names = (await readdir(dir)).sort();
    for (const name of names) {
      const path = join(dir, name);
      const relPath = rel === '' ? name : `${rel}/${name}`;
      let st;
      try {
        st = await stat(path);
      } catch (err) {
        yield { skipped: path, reason: (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'a broken link, or gone' : (err as Error).message };
        continue;
      }
      if (st.isFile()) {
        yield { path, rel: relPath, size: st.size };
      } else if (st.isDirectory()) {
        const real = await realpath(path);
        if (seen.has(real)) {
          yield { skipped: path, reason: `links to ${real}, already copied (a link loop?)` };
          continue;
        }
        seen.add(real);
        yield* walk(path, relPath);
      } else {
        yield { skipped: path, reason: 'not a regular file' };
      }
    }
  }
  yield* walk(root, '');
}
