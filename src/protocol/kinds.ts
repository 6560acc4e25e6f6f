// The one table of frame kinds. The envelope parser, JsonCodec (through the structured decoder)
// and CompactCodec read it; adding a kind is one entry in FRAME_KINDS (and its envelope type in
// envelope.ts).
import { MAX_NAME_LENGTH } from './limits.js';

/** A side of a connection: who sends a frame kind or a field. */
export type Side = 'client' | 'server';

/** One field of a frame kind, in the order the compact form writes it. */
export interface FieldSpec {
  /** The field's key in the object form, e.g. `type`. */
  readonly name: string;
  /** False when the field may be absent. */
  readonly required: boolean;
  /** Accepts a present value; absent for fields that hold any JSON value. */
  readonly valid?: (value: unknown) => boolean;
  /** The `INVALID_MESSAGE` text for a value `valid` refuses, or a required field missing. */
  readonly message: string;
  /** Rebuilds an accepted value (an error keeps `code` and `message` only). */
  readonly normalize?: (value: unknown) => unknown;
  /** Set when only this side may send the field (`from` is the server's, `to` the client's). */
  readonly sentBy?: Side;
  /**
   * `null` is a value here (payload, result), not the compact form's "absent". Such fields come
   * last, so a compact frame never needs `null` to stand for an absent one before them.
   */
  readonly nullable: boolean;
  /** Application data (payload, result, headers, error, target): given JSON's meaning to send. */
  readonly data: boolean;
}

/** One frame kind: its name, its compact number, who sends it and its fields. */
export interface KindSpec<K extends string = string, N extends number = number> {
  /** The `k` of the object form. */
  readonly k: K;
  /** The number that opens the compact form, `[id, ...fields]`. */
  readonly id: N;
  /** Which side may send it. */
  readonly sentBy: Side | 'both';
  /** Its fields, in compact order. */
  readonly fields: readonly FieldSpec[];
  /** Its `id` is a request id the sender chose and the receiver answers (`join`, `leave`, `req`). */
  readonly request: boolean;
  /** Shortest compact form: the kind and its required fields (which come first). */
  readonly minLength: number;
  /** Longest compact form. */
  readonly maxLength: number;
  /** The parser builds a new envelope (a field is normalised) rather than returning the input. */
  readonly rebuild: boolean;
  /**
   * The fields the parser looks at: required, validated or one-sided ones. A payload or result
   * (any value, either side) is never read.
   */
  readonly checked: readonly FieldSpec[];
}

// ---------------------------------------------------------------- field validators

/** A string of 1–{@link MAX_NAME_LENGTH} UTF-16 code units. */
export function isName(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0 && value.length <= MAX_NAME_LENGTH;
}

/** A non-negative safe integer. */
export function isRequestId(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

/** An object that is neither an array nor `null`. */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `{ code: string, message: string }`, other keys allowed (and dropped by the parser). */
function isError(value: unknown): boolean {
  return (
    isPlainObject(value) && typeof value.code === 'string' && typeof value.message === 'string'
  );
}

function errorOnly(value: unknown): unknown {
  const error = value as { code: string; message: string };
  return { code: error.code, message: error.message };
}

/** A client id, or `{ user }` naming a principal and nothing else. */
export function isRequestTarget(value: unknown): boolean {
  if (typeof value === 'string') return isName(value);
  if (!isPlainObject(value)) return false;
  let keys = 0;
  for (const key in value) {
    if (!Object.prototype.hasOwnProperty.call(value, key)) continue;
    if (key !== 'user') return false;
    keys++;
  }
  return keys === 1 && isName(value.user);
}

const nameMessage = (name: string): string =>
  `"${name}" must be a string of 1–${MAX_NAME_LENGTH} characters`;

function field(
  name: string,
  spec: Omit<FieldSpec, 'name' | 'required' | 'nullable' | 'data'> &
    Partial<Pick<FieldSpec, 'required' | 'nullable' | 'data'>>,
): FieldSpec {
  return Object.freeze({ required: true, nullable: false, data: false, ...spec, name });
}

/** A name (type, topic, request name, client id): a string of 1–256 characters. */
function name(key: string, options: { required?: boolean; sentBy?: Side } = {}): FieldSpec {
  return field(key, { valid: isName, message: nameMessage(key), ...options });
}

const REQUEST_ID = field('id', {
  valid: isRequestId,
  message: '"id" must be a non-negative integer',
});
const HEADERS = field('headers', {
  required: false,
  valid: isPlainObject,
  message: '"headers" must be an object',
  data: true,
});
const ERROR = field('error', {
  valid: isError,
  normalize: errorOnly,
  message: '"error" must have string "code" and "message"',
  data: true,
});
const FROM = name('from', { required: false, sentBy: 'server' });
const TO = field('to', {
  required: false,
  valid: isRequestTarget,
  sentBy: 'client',
  message: `"to" must be a client id or { user } naming a principal (strings of 1–${MAX_NAME_LENGTH} characters)`,
  data: true,
});
/** Any JSON value; absent means undefined, `null` is a value. */
const any = (key: string): FieldSpec =>
  field(key, { required: false, nullable: true, data: true, message: '' });

function kind<K extends string, N extends number>(
  k: K,
  id: N,
  sentBy: Side | 'both',
  fields: readonly FieldSpec[],
  request = false,
): KindSpec<K, N> {
  let required = 0;
  fields.forEach((f, i) => {
    if (f.required) required = i + 1;
  });
  return Object.freeze({
    k,
    id,
    sentBy,
    fields: Object.freeze([...fields]),
    request,
    minLength: 1 + required,
    maxLength: 1 + fields.length,
    rebuild: fields.some((f) => f.normalize !== undefined),
    checked: Object.freeze(
      fields.filter((f) => f.required || f.valid !== undefined || f.sentBy !== undefined),
    ),
  });
}

// ---------------------------------------------------------------- the table

/**
 * Every frame kind of protocol v1, in compact-number order. See docs/protocol.md ("Frames" and
 * "Structured frames") for what each one means.
 */
export const FRAME_KINDS = Object.freeze([
  kind('msg', 0, 'both', [name('type'), HEADERS, FROM, any('payload')]),
  kind('join', 1, 'client', [REQUEST_ID, name('topic')], true),
  kind('leave', 2, 'client', [REQUEST_ID, name('topic')], true),
  kind('welcome', 3, 'server', [
    field('v', { valid: (v) => typeof v === 'number', message: '"v" must be a number' }),
    name('id'),
    name('user', { required: false }),
    name('session', { required: false }),
    field('resumed', {
      required: false,
      valid: (v) => typeof v === 'boolean',
      message: '"resumed" must be a boolean',
    }),
    field('received', {
      required: false,
      valid: isRequestId,
      message: '"received" must be a non-negative integer',
    }),
    name('reason', { required: false }),
  ]),
  kind('ack', 4, 'both', [REQUEST_ID, any('result')]),
  kind('nack', 5, 'both', [REQUEST_ID, ERROR]),
  kind('error', 6, 'server', [ERROR]),
  kind('req', 7, 'both', [REQUEST_ID, name('name'), HEADERS, TO, FROM, any('payload')], true),
  kind('cancel', 8, 'both', [REQUEST_ID]),
  kind(
    'auth',
    9,
    'client',
    [
      REQUEST_ID,
      field('credentials', {
        valid: isPlainObject,
        message: '"credentials" must be an object',
        data: true,
      }),
    ],
    true,
  ),
  kind('ping', 10, 'both', []),
  kind('pong', 11, 'both', []),
  kind('got', 12, 'both', [
    field('n', { valid: isRequestId, message: '"n" must be a non-negative integer' }),
  ]),
] as const);

/** The kinds as a type, for {@link CompactKinds}. */
type FrameKind = (typeof FRAME_KINDS)[number];

// Maps, not object lookups: `k` comes from the peer, and `"constructor"` or `"__proto__"` must not
// find anything.
const BY_NAME: ReadonlyMap<unknown, KindSpec> = new Map(FRAME_KINDS.map((s) => [s.k, s]));
const BY_NUMBER: ReadonlyMap<unknown, KindSpec> = new Map(FRAME_KINDS.map((s) => [s.id, s]));

/** The `msg` kind, looked up first: it is most frames. */
export const MSG_KIND: KindSpec = FRAME_KINDS[0];

/** The kind whose `k` is `value`, if any. */
export function kindNamed(value: unknown): KindSpec | undefined {
  return value === 'msg' ? MSG_KIND : BY_NAME.get(value);
}

/** The kind whose compact number is `value`, if any. */
export function kindNumbered(value: unknown): KindSpec | undefined {
  return BY_NUMBER.get(value);
}

/** True when `side` may send frames of `kind`. */
export function mayBeSentBy(kind: KindSpec, side: Side): boolean {
  return kind.sentBy === 'both' || kind.sentBy === side;
}

/**
 * Numbers that open a frame in the compact form `[number, ...fields]` (a message without headers
 * may instead be `[type, payload]`, opening with a string). Read from the kinds table:
 *
 * | kind      | number | compact form                                              |
 * | --------- | ------ | --------------------------------------------------------- |
 * | `MSG`     | 0      | `[0, type, headers?, from?, payload?]`                    |
 * | `JOIN`    | 1      | `[1, id, topic]`                                          |
 * | `LEAVE`   | 2      | `[2, id, topic]`                                          |
 * | `WELCOME` | 3      | `[3, version, clientId, user?, session?, resumed?, received?, reason?]` |
 * | `ACK`     | 4      | `[4, id, result?]`                                        |
 * | `NACK`    | 5      | `[5, id, error]`                                          |
 * | `ERROR`   | 6      | `[6, error]`                                              |
 * | `REQ`     | 7      | `[7, id, name, headers?, to?, from?, payload?]`           |
 * | `CANCEL`  | 8      | `[8, id]`                                                 |
 * | `AUTH`    | 9      | `[9, id, credentials]`                                    |
 * | `PING`    | 10     | `[10]`                                                    |
 * | `PONG`    | 11     | `[11]`                                                    |
 * | `GOT`     | 12     | `[12, n]`                                                 |
 *
 * Trailing absent fields are left out; an absent field before a present one is `null`. See
 * docs/protocol.md, "Structured frames".
 */
export const CompactKinds = Object.freeze(
  Object.fromEntries(FRAME_KINDS.map((s) => [s.k.toUpperCase(), s.id])),
) as { readonly [S in FrameKind as Uppercase<S['k']>]: S['id'] };
