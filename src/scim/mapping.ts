/**
 * A Gatehouse user as a SCIM 2.0 core User resource (RFC 7643 §4.1), following the catalog's
 * mappings; optional ones the admin excluded are left out. Required mappings are always sent.
 */
export interface ScimMapping { scim: string; source: string; required: boolean }
export interface DirectoryUser {
  id: string; username: string; email: string; firstName: string; lastName: string; displayName: string; title: string;
}

const CORE_USER = 'urn:ietf:params:scim:schemas:core:2.0:User';

/** The role sent with every user; `schema` is the extension URN that holds it, null for the top level. */
export interface ScimRole { attribute: string; value: string; schema: string | null }

export function toScimUser(
  user: DirectoryUser, active: boolean, mappings: readonly ScimMapping[], excluded: readonly string[], role?: ScimRole | null,
): Record<string, unknown> {
  const sent = (scim: string) => mappings.some((m) => m.scim === scim && (m.required || !excluded.includes(scim)));
  const resource: Record<string, unknown> = { schemas: [CORE_USER], userName: user.username, active };
  if (sent('emails[type eq "work"].value') && user.email) resource.emails = [{ value: user.email, type: 'work', primary: true }];
  const name: Record<string, string> = {};
  if (sent('name.givenName') && user.firstName) name.givenName = user.firstName;
  if (sent('name.familyName') && user.lastName) name.familyName = user.lastName;
  if (Object.keys(name).length) resource.name = name;
  if (sent('displayName') && user.displayName) resource.displayName = user.displayName;
  if (sent('title') && user.title) resource.title = user.title;
  if (sent('externalId')) resource.externalId = user.id;
  // ClickUp reads customRoleName / customRoleId on the user; unset there means "member". An
  // extension attribute goes under its schema URN, which `schemas` lists (RFC 7643 §3); the
  // catalog entry says which (data, not code).
  if (role?.schema) {
    resource.schemas = [CORE_USER, role.schema];
    resource[role.schema] = { [role.attribute]: role.value };
  } else if (role) {
    resource[role.attribute] = role.value;
  }
  return resource;
}

/** The plain attribute paths (no value filters) the mappings send, for removing cleared values. */
export function sentAttributePaths(mappings: readonly ScimMapping[], excluded: readonly string[]): string[] {
  return mappings.filter((m) => (m.required || !excluded.includes(m.scim)) && !m.scim.includes('[')).map((m) => m.scim);
}

/** An equality filter (RFC 7644 §3.4.2.2), the value's quotes and backslashes escaped. */
export function eqFilter(attribute: 'userName' | 'displayName' | 'value', value: string): string {
  return `${attribute} eq "${value.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}
