import crypto from 'node:crypto';
import QRCode from 'qrcode';
import type { AppContext } from '../context';
import { newTotpSecret, otpauthUri, stepAt, verifyTotp } from '../crypto/totp';
import { unprocessable } from '../errors';
import type { RequestMeta } from '../insights/recorder';
import type { MfaEnrolment, User } from '../store';
import { assertNotThrottled, recordFailedSignIn, recordSuccessfulSignIn } from './throttle';
import { userTarget } from './users';

/**
 * Multi-factor sign-in with TOTP (RFC 6238). The secret is sealed at rest and bound to the user;
 * recovery codes are shown once and kept as SHA-256 hashes (they carry 40 random bits each and
 * are single-use, so a slow hash adds nothing). Code guesses share the sign-in throttle.
 */
const GLOBAL_SETTING = 'mfa_required_all';
const RECOVERY_CODES = 10;
const ISSUER = 'Gatehouse';

const hashCode = (code: string) => crypto.createHash('sha256').update(code.replace(/[\s-]/g, '').toLowerCase()).digest('hex');

function newRecoveryCode(): string {
  const raw = crypto.randomBytes(5).toString('hex');
  return `${raw.slice(0, 5)}-${raw.slice(5)}`;
}

export async function mfaRequiredForEveryone(ctx: AppContext): Promise<boolean> {
  return (await ctx.store.settings.get(GLOBAL_SETTING)) === 'true';
}

export async function setMfaRequiredForEveryone(ctx: AppContext, meta: RequestMeta, required: boolean): Promise<void> {
  await ctx.store.settings.set(GLOBAL_SETTING, String(required));
  await ctx.insights.record(meta, { type: 'mfa_policy_update', outcome: 'success', detail: { requiredForEveryone: required } });
}

export async function mfaRequiredFor(ctx: AppContext, user: User): Promise<boolean> {
  return user.mfaRequired || (await mfaRequiredForEveryone(ctx));
}

export async function confirmedEnrolment(ctx: AppContext, userId: string): Promise<MfaEnrolment | undefined> {
  const enrolment = await ctx.store.mfa.find(userId);
  return enrolment?.confirmed ? enrolment : undefined;
}

/** Start (or show again) an unconfirmed enrolment: the secret, its otpauth URI and a QR code. */
export async function startEnrolment(ctx: AppContext, user: User): Promise<{ secret: string; uri: string; qrDataUrl: string }> {
  let enrolment = await ctx.store.mfa.find(user.id);
  if (enrolment?.confirmed) throw unprocessable('mfa.already_enrolled', 'Two-step sign-in is already set up. Turn it off first to set up a new authenticator.');
  if (!enrolment) {
    enrolment = {
      userId: user.id, sealedSecret: ctx.secrets.seal(newTotpSecret(), `mfa:${user.id}`), confirmed: false,
      recoveryCodeHashes: [], lastUsedStep: null, createdAt: ctx.clock.now().toISOString(),
    };
    await ctx.store.mfa.put(enrolment);
  }
  const secret = ctx.secrets.open(enrolment.sealedSecret, `mfa:${user.id}`);
  const uri = otpauthUri(ISSUER, user.email, secret);
  return { secret, uri, qrDataUrl: await QRCode.toDataURL(uri, { errorCorrectionLevel: 'M', margin: 1, width: 220 }) };
}

/** The first code proves the authenticator works; then the recovery codes are shown, once. */
export async function confirmEnrolment(ctx: AppContext, meta: RequestMeta, user: User, code: string): Promise<string[]> {
  const enrolment = await ctx.store.mfa.find(user.id);
  if (!enrolment || enrolment.confirmed) throw unprocessable('mfa.no_pending_enrolment', 'Start setting up two-step sign-in again.');
  const step = verifyTotp(ctx.secrets.open(enrolment.sealedSecret, `mfa:${user.id}`), code.trim(), ctx.clock.now(), null);
  if (step === undefined) {
    await ctx.insights.record(meta, { type: 'mfa_enroll', outcome: 'failure', reason: 'mfa.code_invalid', target: userTarget(user) });
    throw unprocessable('mfa.code_invalid', 'That code is not right. Check the time on your phone and enter the code the app shows now.');
  }
  const codes = Array.from({ length: RECOVERY_CODES }, newRecoveryCode);
  await ctx.store.mfa.put({ ...enrolment, confirmed: true, lastUsedStep: step, recoveryCodeHashes: codes.map(hashCode) });
  await ctx.insights.record(meta, { type: 'mfa_enroll', outcome: 'success', target: userTarget(user) });
  return codes;
}

/**
 * The second sign-in step: a current TOTP code (each usable once) or an unused recovery code.
 * Returns how the factor was proven, for the assertion's authentication context.
 */
export async function verifySecondFactor(ctx: AppContext, meta: RequestMeta, user: User, input: string): Promise<'totp' | 'recovery_code'> {
  const key = `mfa:${user.id}`;
  await assertNotThrottled(ctx, key, meta.clientIp);
  const enrolment = await confirmedEnrolment(ctx, user.id);
  if (!enrolment) throw unprocessable('mfa.not_enrolled', 'Two-step sign-in is not set up for this account.');
  const code = input.trim();
  const step = verifyTotp(ctx.secrets.open(enrolment.sealedSecret, `mfa:${user.id}`), code, ctx.clock.now(), enrolment.lastUsedStep);
  // Each code is taken by a compare-and-set in the store, so two instances checking the same code
  // at the same moment accept it once (RFC 6238 §5.2: a code is used once).
  if (step !== undefined && (await ctx.store.mfa.useStep(user.id, step))) {
    await recordSuccessfulSignIn(ctx, key, meta.clientIp);
    return 'totp';
  }
  const hash = hashCode(code);
  if (/^[0-9a-f]{5}-?[0-9a-f]{5}$/i.test(code) && enrolment.recoveryCodeHashes.includes(hash)
    && (await ctx.store.mfa.useRecoveryCode(user.id, hash, stepAt(ctx.clock.now())))) {
    await recordSuccessfulSignIn(ctx, key, meta.clientIp);
    await ctx.insights.record(meta, { type: 'mfa_recovery_code_used', outcome: 'success', target: userTarget(user), detail: { left: enrolment.recoveryCodeHashes.length - 1 } });
    return 'recovery_code';
  }
  await recordFailedSignIn(ctx, key, meta.clientIp);
  await ctx.insights.record(meta, { type: 'user_login', outcome: 'failure', reason: 'auth.mfa_invalid', target: userTarget(user) });
  throw unprocessable('mfa.code_invalid', 'That code is not right, or it was already used. Enter the code your app shows now, or a recovery code.');
}

/** Turn two-step sign-in off: by the user (when not required) or by an admin (lost phone). */
export async function removeEnrolment(ctx: AppContext, meta: RequestMeta, user: User, by: 'user' | 'admin'): Promise<void> {
  if (by === 'user' && (await mfaRequiredFor(ctx, user))) {
    throw unprocessable('mfa.required', 'Your administrator requires two-step sign-in for your account; it cannot be turned off.');
  }
  if (await ctx.store.mfa.delete(user.id)) {
    await ctx.insights.record(meta, { type: by === 'admin' ? 'mfa_reset' : 'mfa_disable', outcome: 'success', target: userTarget(user) });
  }
}
