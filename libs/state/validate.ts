// Input checks shared by both backends: the same bad input must fail the
// same way on memory and Redis (the contract suite checks it).
import { StateError } from './errors.ts';

const TABLE_NAME = /^[A-Za-z0-9_.-]{1,64}$/;
const TOKEN = /^[^:\s]{1,256}$/;

export function checkTable(table: string): void {
  if (!TABLE_NAME.test(table)) throw new StateError('STATE_BAD_NAME', `table name ${JSON.stringify(table)} must match ${TABLE_NAME}`);
}

/** Counter family names, dialog tokens: no ':' so keys stay unambiguous. */
export function checkToken(what: string, value: string): void {
  if (!TOKEN.test(value)) throw new StateError('STATE_BAD_NAME', `${what} ${JSON.stringify(value)} must match ${TOKEN}`);
}

export function checkNonEmpty(what: string, value: string): void {
  if (typeof value !== 'string' || value.length === 0) throw new StateError('STATE_BAD_NAME', `${what} must be a non-empty string`);
}

export function checkTtl(what: string, ms: number): void {
  if (!Number.isInteger(ms) || ms <= 0) throw new StateError('STATE_BAD_ARG', `${what} must be a positive integer of ms, got ${ms}`);
}

export function checkInt(what: string, n: number, min = Number.MIN_SAFE_INTEGER): void {
  if (!Number.isSafeInteger(n) || n < min) throw new StateError('STATE_BAD_ARG', `${what} must be an integer >= ${min}, got ${n}`);
}
