import { badRequest, tooLarge, unprocessable } from '../errors';
import { checkSpCertificate } from './sp-certificate';
import { BINDING, NS } from './types';
import { childrenNamed, descendantsNamed, parseStrictXml, pemBody } from './xml';

/**
 * Reads an SP's metadata (SAML metadata §2.4.4 SPSSODescriptor) uploaded by an admin, to fill in
 * the SSO tab: entity ID, HTTP-POST ACS endpoints in index order (default first), the signing
 * certificate and whether it signs its requests. Parsed with the same strict parser as protocol
 * messages: size-capped, no DTD, entities, comments or processing instructions.
 */
export const MAX_SP_METADATA_BYTES = 256 * 1024;

export interface SpMetadata {
  entityId: string;
  acsUrls: string[];
  defaultAcsUrl: string;
  certificatePem: string | null;
  authnRequestsSigned: boolean;
  wantAssertionsSigned: boolean;
  nameIdFormats: string[];
}

function toPem(body: string): string {
  return `-----BEGIN CERTIFICATE-----\n${body.replace(/(.{64})/g, '$1\n').replace(/\n$/, '')}\n-----END CERTIFICATE-----\n`;
}

export function parseSpMetadata(xml: string): SpMetadata {
  if (Buffer.byteLength(xml, 'utf8') > MAX_SP_METADATA_BYTES) {
    throw tooLarge('sp_metadata.too_large', `The metadata file is larger than ${MAX_SP_METADATA_BYTES / 1024} KB.`);
  }
  const document = parseStrictXml(xml.replace(/^\uFEFF/, ''));
  const root = document.documentElement as Element;
  const entity = root.namespaceURI === NS.metadata && root.localName === 'EntityDescriptor' ? root
    : descendantsNamed(document, NS.metadata, 'EntityDescriptor')[0];
  if (!entity) throw badRequest('sp_metadata.not_metadata', 'This file is not SAML metadata (no EntityDescriptor).');
  const descriptors = childrenNamed(entity, NS.metadata, 'SPSSODescriptor');
  if (descriptors.length !== 1) throw badRequest('sp_metadata.no_sp', 'The metadata must describe exactly one service provider (SPSSODescriptor).');
  const sp = descriptors[0];
  const entityId = entity.getAttribute('entityID') ?? '';
  if (!entityId) throw badRequest('sp_metadata.no_entity_id', 'The metadata has no entityID.');

  // Only HTTP-POST endpoints: Gatehouse never sends a Response any other way.
  const endpoints = childrenNamed(sp, NS.metadata, 'AssertionConsumerService')
    .filter((e) => e.getAttribute('Binding') === BINDING.post)
    .map((e, order) => ({ url: e.getAttribute('Location') ?? '', index: Number(e.getAttribute('index') ?? order), isDefault: e.getAttribute('isDefault') === 'true' }))
    .filter((e) => e.url !== '')
    .sort((a, b) => a.index - b.index);
  if (endpoints.length === 0) throw badRequest('sp_metadata.no_acs', 'The metadata has no AssertionConsumerService with the HTTP-POST binding.');
  const defaultAcs = endpoints.find((e) => e.isDefault) ?? endpoints[0];

  const signingKey = childrenNamed(sp, NS.metadata, 'KeyDescriptor').find((k) => (k.getAttribute('use') ?? 'signing') === 'signing');
  const certificate = signingKey ? descendantsNamed(signingKey, NS.dsig, 'X509Certificate')[0] : undefined;
  const body = certificate ? pemBody(certificate.textContent ?? '') : '';
  const certificatePem = body ? toPem(body) : null;
  const problem = certificatePem ? checkSpCertificate(certificatePem).problem : undefined;
  if (problem) throw unprocessable('sp_metadata.certificate_refused', `The signing certificate in the metadata ${problem}.`);
  return {
    entityId,
    acsUrls: [defaultAcs.url, ...endpoints.filter((e) => e !== defaultAcs).map((e) => e.url)],
    defaultAcsUrl: defaultAcs.url,
    certificatePem,
    authnRequestsSigned: sp.getAttribute('AuthnRequestsSigned') === 'true',
    wantAssertionsSigned: sp.getAttribute('WantAssertionsSigned') === 'true',
    nameIdFormats: childrenNamed(sp, NS.metadata, 'NameIDFormat').map((e) => (e.textContent ?? '').trim()).filter(Boolean),
  };
}
