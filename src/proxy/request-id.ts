// x-request-id: keep the client's when it is short and plain (it ends up in logs and upstream),
// otherwise generate one.
import { randomUUID } from 'node:crypto';

const SANE_REQUEST_ID = /^[A-Za-z0-9._:\-]{1,128}$/;

export function parseRequestId(value: string | string[] | undefined): string | undefined {
  return typeof value === 'string' && SANE_REQUEST_ID.test(value) ? value : undefined;
}

export function buildRequestId(value: string | string[] | undefined): string {
  return parseRequestId(value) ?? randomUUID();
}
