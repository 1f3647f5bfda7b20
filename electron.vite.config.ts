import react from '@vitejs/plugin-react';
import { defineConfig } from 'electron-vite';

/**
 * Builds the three bundles: main (ESM, dependencies external), preload (CommonJS: a sandboxed preload
 * cannot be an ES module) and the renderer (React, relative paths so the headless bridge and
 * Electron's file loading both work). Output goes to out/.
 */
export default defineConfig({
  main: {
    build: {
      outDir: 'out/main',
      sourcemap: false,
      rolldownOptions: { input: { index: 'electron/main/index.ts' } },
    },
  },
  preload: {
    build: {
      outDir: 'out/preload',
      sourcemap: false,
      rolldownOptions: {
        input: { index: 'electron/preload/index.ts', alert: 'electron/preload/alert.ts' },
        output: { format: 'cjs', entryFileNames: '[name].cjs' },
      },
    },
  },
  renderer: {
    root: 'renderer',
    base: './',
    plugins: [react()],
    // The window is written against React's API and type-checked with React's types, and runs on
    // Preact's implementation of that API (preact/compat): 60 kB of runtime where react-dom is 180 kB,
    // which is what lets a cold window draw its first rows within the 300 ms docs/performance.md
    // measures (the browser parses and runs every byte of the start chunk before the first row).
    resolve: {
      alias: [
        { find: /^react$/, replacement: 'preact/compat' },
        { find: /^react-dom$/, replacement: 'preact/compat' },
        { find: /^react-dom\/client$/, replacement: 'preact/compat/client' },
        { find: /^react\/jsx-(dev-)?runtime$/, replacement: 'preact/jsx-runtime' },
      ],
    },
    build: {
      outDir: 'out/renderer',
      emptyOutDir: true,
      sourcemap: false,
      // electron-vite's renderer preset turns minification off (its default is `minify: false`), which
      // left the window's bundle at twice its size; Vite's own default (Oxc for JS, Lightning CSS for CSS)
      // is what a plain `vite build` does.
      minify: true,
      cssMinify: true,
      rolldownOptions: { input: { index: 'renderer/index.html' } },
    },
  },
});
