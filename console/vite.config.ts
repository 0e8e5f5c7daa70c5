// Builds the web console (issue 6) into dist/console, which src/console/serve-console.ts serves
// at /_console/. Everything is bundled: the page makes no request outside its own origin.
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
  },
  logLevel: 'warn',
});
