import { z } from 'zod';

/**
 * The shapes of SCIM answers that Gatehouse relies on, checked before any value is stored or
 * shown: an SP that sends a number where a string belongs must get a clear refusal, not a store
 * error. Unknown attributes are allowed (RFC 7643 §3: extensions), and so is null for an optional
 * attribute (RFC 7643 §2.5: null and unassigned are the same).
 */
const optional = <T extends z.ZodType>(schema: T) => schema.nullish();

/** A resource the SP created, replaced, patched or returned: at least its id (RFC 7643 §3.1). */
export const scimResource = z.object({ id: z.string().min(1, 'must not be empty').max(1024) });

/** A list answer (RFC 7644 §3.4.2): totalResults, and Resources when there are any. */
export const scimListResponse = z.object({
  schemas: optional(z.array(z.string())),
  totalResults: z.number().int().min(0),
  startIndex: optional(z.number().int()),
  itemsPerPage: optional(z.number().int()),
  Resources: optional(z.array(scimResource)),
});

/** A user as the import reads it (RFC 7643 §4.1): the attributes it shows and matches on. */
export const scimUser = scimResource.extend({
  userName: z.string().min(1, 'must not be empty').max(1024),
  active: optional(z.boolean()),
  displayName: optional(z.string().max(1024)),
  name: optional(z.object({ givenName: optional(z.string().max(1024)), familyName: optional(z.string().max(1024)) })),
  emails: optional(z.array(z.object({ value: optional(z.string().max(1024)), primary: optional(z.boolean()) }))),
});
export type ScimUserAnswer = z.infer<typeof scimUser>;

/** A list of users, each checked as the import reads it. */
export const scimUserList = scimListResponse.extend({ Resources: optional(z.array(scimUser)) });

/** The first few problems of an answer, each naming where it is ("Resources.0.userName: …"). */
export function answerProblems(schema: z.ZodType, json: unknown): string | undefined {
  const result = schema.safeParse(json);
  if (result.success) return undefined;
  return result.error.issues.slice(0, 3).map((issue) => `${issue.path.length ? issue.path.join('.') : 'the answer'}: ${issue.message}`).join('; ');
}
