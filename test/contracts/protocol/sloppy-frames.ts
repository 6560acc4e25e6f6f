// Reading client frames for the sloppy server: a second, deliberately separate implementation of
// docs/protocol.md (it shares no code with src/protocol), with switches that break one rule each.

/** The flaws a sloppy server can have; `none` is the faithful control. */
export const FLAWS = [
  'none',
  'wrong-version',
  'shared-id',
  'lenient-auth',
  'answer-id-off-by-one',
  'close-on-bad-json',
  'wrong-error-code',
  'error-instead-of-nack',
  'close-on-oversize',
  'counts-characters',
  'no-proto-guard',
  'no-depth-limit',
  'binary-refused',
  'peer-no-from',
  'no-cancel-forward',
  'relay-echo',
  'nack-duplicate-id',
  'null-result-dropped',
  'refresh-ignored',
  'ping-unanswered',
  'pong-with-id',
  'welcome-user-number',
] as const;

export type Flaw = (typeof FLAWS)[number];

/** A refusal: the error to send, and the request id to `nack` when one could be read. */
export interface Refusal {
  code: string;
  message: string;
  requestId?: number;
}

export type Frame = Record<string, unknown>;

const MAX_DEPTH = 128;

export const isName = (v: unknown): v is string =>
  typeof v === 'string' && v.length >= 1 && v.length <= 256;
export const isId = (v: unknown): v is number =>
  typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
const isObject = (v: unknown): v is Frame =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** The first prototype-pollution key or excess depth in `value`, as a message. */
function walk(value: unknown, depth: number, flaw: Flaw): string | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  if (depth > MAX_DEPTH && flaw !== 'no-depth-limit') return 'frame nests too deep';
  const items = Array.isArray(value) ? value : Object.values(value as Frame);
  if (!Array.isArray(value) && flaw !== 'no-proto-guard') {
    const record = value as Frame;
    if (Object.hasOwn(record, '__proto__')) return 'forbidden "__proto__" key';
    if (isObject(record.constructor) && Object.hasOwn(record.constructor, 'prototype')) {
      return 'forbidden "constructor.prototype" key';
    }
  }
  for (const item of items) {
    const found = walk(item, depth + 1, flaw);
    if (found !== undefined) return found;
  }
  return undefined;
}

const REQUEST_KINDS = new Set(['join', 'leave', 'req', 'auth']);

/** Validates a parsed client frame: the frame itself, or the refusal to send. */
export function validate(value: unknown, flaw: Flaw): Frame | Refusal {
  if (!isObject(value)) return invalid('a frame must be a JSON object');
  const requestId = REQUEST_KINDS.has(value.k as string) && isId(value.id) ? value.id : undefined;
  const refuse = (message: string): Refusal =>
    flaw === 'error-instead-of-nack' ? invalid(message) : { ...invalid(message), requestId };
  const walked = walk(value, 1, flaw);
  if (walked !== undefined) return refuse(walked);
  switch (value.k) {
    case 'msg':
      if (!isName(value.type)) return invalid('"type" must be a name');
      if (value.headers !== undefined && !isObject(value.headers)) return invalid('bad headers');
      if (value.from !== undefined) return invalid('a client may not send "from"');
      return value;
    case 'join':
    case 'leave':
      if (!isId(value.id)) return invalid('"id" must be a non-negative integer');
      if (!isName(value.topic)) return refuse('"topic" must be a name');
      return value;
    case 'req':
      if (!isId(value.id)) return invalid('"id" must be a non-negative integer');
      if (!isName(value.name)) return refuse('"name" must be a name');
      if (value.headers !== undefined && !isObject(value.headers)) return refuse('bad headers');
      if (value.from !== undefined) return refuse('a client may not send "from"');
      if (value.to !== undefined && !isTarget(value.to)) return refuse('bad "to"');
      return value;
    case 'auth':
      if (!isId(value.id)) return invalid('"id" must be a non-negative integer');
      if (!isObject(value.credentials)) return refuse('"credentials" must be an object');
      return value;
    case 'ack':
    case 'cancel':
      return isId(value.id) ? value : invalid('"id" must be a non-negative integer');
    case 'ping':
    case 'pong':
      return value;
    case 'nack': {
      if (!isId(value.id)) return invalid('"id" must be a non-negative integer');
      const error = value.error;
      if (!isObject(error) || typeof error.code !== 'string' || typeof error.message !== 'string') {
        return invalid('"error" must be { code, message }');
      }
      return value;
    }
    case 'welcome':
    case 'error':
      return invalid(`a client may not send "${value.k}" frames`);
    default:
      return {
        code: flaw === 'wrong-error-code' ? 'BAD_REQUEST' : 'INVALID_MESSAGE',
        message: `unknown frame kind ${JSON.stringify(value.k) ?? 'undefined'}`,
      };
  }
}

function isTarget(to: unknown): boolean {
  if (typeof to === 'string') return isName(to);
  return isObject(to) && Object.keys(to).length === 1 && isName(to.user);
}

function invalid(message: string): Refusal {
  return { code: 'INVALID_MESSAGE', message };
}

/** True for a {@link Refusal}. */
export function isRefusal(value: Frame | Refusal): value is Refusal {
  return typeof (value as Refusal).code === 'string' && (value as Frame).k === undefined;
}

/** Error codes a nack may carry through; others become SERVER_ERROR. */
export const KNOWN_CODES = new Set([
  'AUTHENTICATION_FAILED',
  'UNAUTHORIZED',
  'RATE_LIMITED',
  'TIMEOUT',
  'HANDLER_NOT_FOUND',
  'TOO_MANY_REQUESTS',
  'TARGET_OFFLINE',
  'PAYLOAD_TOO_LARGE',
  'INVALID_MESSAGE',
  'SERVER_ERROR',
]);
