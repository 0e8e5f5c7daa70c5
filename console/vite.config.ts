// Builds the web console (issue 6) into dist/console, which src/console/serve-console.ts serves
// at /_console/. Everything is bundled: the page makes no request outside its own origin.
import { resolve } from 'node:path';
import { defineConfig } from 'vite';

export default defineConfig({
  root: import.meta.dirname,
  base: '/_console/',
  // JSX through Vite's own transform (Oxc in Vite 8): Preact's automatic runtime, no plugin.
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: '../dist/console',
    emptyOutDir: true,
    // No inline data: URLs for scripts or styles (the CSP allows only 'self').
    assetsInlineLimit: 0,
    sourcemap: false,
    chunkSizeWarningLimit: 1024,
    // The download service worker is a second entry, at a fixed name (its URL is its identity:
    // a hashed name would register a new worker per build).
    rollupOptions: {
      input: { index: resolve(import.meta.dirname, 'index.html'), sw: resolve(import.meta.dirname, 'src/sw.ts') },
      output: { entryFileNames: (chunk) => (chunk.name === 'sw' ? 'sw.js' : 'assets/[name]-[hash].js') },
    },
  },
  logLevel: 'warn',
});
