import { z } from 'zod';
import { unprocessable } from '../errors';
import { isXmlSafe } from '../saml/xml';

/**
 * Input validation shared by the API and the portals. A failure becomes one 422 whose message
 * names each bad field and what is wrong with it, so a person can fix the request.
 */
export function parseInput<T extends z.ZodType>(schema: T, input: unknown): z.infer<T> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const problems = result.error.issues.slice(0, 5).map((issue) => {
    const where = issue.path.length ? issue.path.join('.') : 'body';
    return `${where}: ${issue.message}`;
  });
  throw unprocessable('request.invalid', `The request is not valid. ${problems.join('; ')}.`);
}

/**
 * Text that will travel inside SAML assertions: refused at save time if XML 1.0 cannot carry it
 * (security.md §1.1 step 8: a U+0001 in a profile once produced a signed, ill-formed Response).
 */
export const xmlText = (max: number) =>
  z.string().max(max, `must be at most ${max} characters`)
    .refine(isXmlSafe, 'contains a control character that cannot be sent in SAML');
