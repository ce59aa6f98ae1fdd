import { expect } from 'chai';
import { StoreConstraintError } from '../../../src/store';

/** What a rejected store call threw, asserted to be a StoreConstraintError (kind and field are the contract). */
export async function refusal(attempt: Promise<unknown>): Promise<StoreConstraintError> {
  const error = await attempt.then(() => undefined, (e: unknown) => e);
  expect(error, 'expected a StoreConstraintError').to.be.instanceOf(StoreConstraintError);
  return error as StoreConstraintError;
}
