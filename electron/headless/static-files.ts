import { readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join, relative, sep } from 'node:path';

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
};

/** One file of the built UI held in memory. */
export interface StaticFile {
  readonly body: Buffer;
  readonly contentType: string;
}

/**
 * Loads the built UI into memory, keyed by URL path (`/index.html`, `/assets/x.js`).
 *
 * Written here rather than taken from serve-static or sirv: the UI is a few hundred kilobytes, and a
 * lookup in a fixed map cannot be led outside the folder by any path a request sends.
 *
 * @throws Error when the folder has no index.html (the UI has not been built).
 */
export function loadStaticFiles(root: string): Map<string, StaticFile> {
  const files = new Map<string, StaticFile>();
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir)) {
      const full = join(dir, name);
      if (statSync(full).isDirectory()) walk(full);
      else {
        const urlPath = `/${relative(root, full).split(sep).join('/')}`;
        files.set(urlPath, {
          body: readFileSync(full),
          contentType: CONTENT_TYPES[extname(name)] ?? 'application/octet-stream',
        });
      }
    }
  };
  try {
    walk(root);
  } catch {
    // reported below
  }
  if (!files.has('/index.html')) {
    throw new Error(`the UI is not built (no index.html in ${root}): run "npm run build" first`);
  }
  return files;
}
