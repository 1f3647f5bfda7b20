import { z } from 'zod';

/**
 * Schemas are checked without generated code: the window's Content-Security-Policy forbids eval.
 *
 * Imported by api-client.ts before the contract, because zod decides per object schema, when the
 * schema is built, whether to probe for eval; set any later, the contract's schemas would each have
 * probed already, and every start would add a CSP violation report.
 */
z.config({ jitless: true });
