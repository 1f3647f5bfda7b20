import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Page } from 'playwright-core';

/** One serious or critical axe-core violation: the rule, how many nodes, its help text and where. */
export interface AxeViolation {
  readonly id: string;
  readonly nodes: number;
  readonly help: string;
  readonly targets: string;
}

/** Runs axe-core in the page; resolves to the serious and critical violations. */
export async function seriousViolations(page: Page): Promise<AxeViolation[]> {
  const axePath = createRequire(import.meta.url).resolve('axe-core/axe.min.js');
  // Evaluated through the DevTools protocol, so the page's Content-Security-Policy stays in force.
  await page.evaluate(readFileSync(axePath, 'utf8'));
  return page.evaluate(async () => {
    const axe = (globalThis as unknown as { axe: { run(): Promise<{ violations: { id: string; impact: string | null; help: string; nodes: unknown[] }[] }> } }).axe;
    const result = await axe.run();
    return result.violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => ({ id: v.id, nodes: v.nodes.length, help: v.help, targets: JSON.stringify(v.nodes.map((n) => (n as { target: unknown }).target)) }));
  });
}
