import { BINDING, NS } from './types';
import { escapeAttr, escapeText, pemBody } from './xml';

/**
 * IdP metadata for one application (SAML metadata §2.4.3 IDPSSODescriptor): entity ID, signing
 * certificates (several while a rotation publishes the next one), NameID formats, and the SSO URL
 * for both the HTTP-Redirect and HTTP-POST bindings. No SingleLogoutService: we do not offer SLO.
 */
export interface IdpMetadataInput {
  entityId: string;
  ssoUrl: string;
  certificatesPem: string[];
  nameIdFormats: string[];
  wantAuthnRequestsSigned: boolean;
}

export function buildIdpMetadata(input: IdpMetadataInput): string {
  const keys = input.certificatesPem.map((pem) => [
    '    <md:KeyDescriptor use="signing">',
    '      <ds:KeyInfo>',
    `        <ds:X509Data><ds:X509Certificate>${pemBody(pem)}</ds:X509Certificate></ds:X509Data>`,
    '      </ds:KeyInfo>',
    '    </md:KeyDescriptor>',
  ].join('\n'));
  const formats = input.nameIdFormats.map((f) => `    <md:NameIDFormat>${escapeText(f)}</md:NameIDFormat>`);
  const services = [BINDING.redirect, BINDING.post].map((binding) =>
    `    <md:SingleSignOnService Binding="${binding}" Location="${escapeAttr(input.ssoUrl)}"/>`);
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<md:EntityDescriptor xmlns:md="${NS.metadata}" xmlns:ds="${NS.dsig}" entityID="${escapeAttr(input.entityId)}">`,
    `  <md:IDPSSODescriptor WantAuthnRequestsSigned="${input.wantAuthnRequestsSigned}" protocolSupportEnumeration="${NS.protocol}">`,
    ...keys,
    ...formats,
    ...services,
    '  </md:IDPSSODescriptor>',
    '</md:EntityDescriptor>',
    '',
  ].join('\n');
}
