/** Starts the browser's download of an address on the hub (an export, the diagnostics bundle). */
export function startDownload(href: string): void {
  const link = document.createElement('a');
  link.href = href;
  link.download = '';
  link.click();
}
