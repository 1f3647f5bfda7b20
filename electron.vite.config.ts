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
