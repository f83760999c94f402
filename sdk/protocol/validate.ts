// Validation of wire input (HTTP bodies and socket payloads), shared by the server and the
// SDK. Every failure throws a ValidationError whose message names the field and what was
// expected, so the server can answer 4xx with it verbatim.
import type { Action } from '../controller/types.ts';
import { decodeNumber } from './wire-number.ts';

/** A wire input that does not match the contract. `status` is the HTTP status to answer. */
export class ValidationError extends Error {
  readonly status: number;
  constructor(message: string, status = 400) {
    super(message);
    this.name = 'ValidationError';
    this.status = status;
  }
}

/** Largest number of steps one batch may carry (HTTP or socket); larger batches get 413. */
export const MAX_BATCH_STEPS = 20_000;
/** Per-layer norms: at most this many names per step, each at most MAX_NAME_LENGTH chars. */
export const MAX_LAYERS = 1024;
export const MAX_NAME_LENGTH = 200;

const ACTIONS: ReadonlySet<string> = new Set<Action>(['apply', 'clip', 'skip']);

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !ArrayBuffer.isView(value);
}

export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (ArrayBuffer.isView(value)) return 'binary data';
  if (typeof value === 'string') return `the string ${JSON.stringify(value.length > 40 ? value.slice(0, 40) + '…' : value)}`;
  if (typeof value === 'number') return String(value);
  return `a ${typeof value}`;
}

/** Rejects keys outside `allowed`, naming the first unknown one (catches misspellings). */
export function rejectUnknownKeys(obj: Record<string, unknown>, allowed: readonly string[], where: string): void {
  for (const key of Object.keys(obj)) {
    if (!allowed.includes(key)) {
      throw new ValidationError(`Unknown field "${key}" in ${where}; expected only ${allowed.map((k) => `"${k}"`).join(', ')}`);
    }
  }
}

/** A step number: a non-negative safe integer. */
export function parseStep(value: unknown, field: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > Number.MAX_SAFE_INTEGER) {
    throw new ValidationError(`Expected "${field}" to be a non-negative integer step (at most 2^53-1), got ${describe(value)}`);
  }
  return value;
}

/** A wire number (number, "NaN", "Infinity", "-Infinity" or null) decoded; null means missing. */
export function parseWireNumber(value: unknown, field: string): number | null {
  const n = decodeNumber(value);
  if (n === undefined) {
    throw new ValidationError(`Expected "${field}" to be a number, "NaN", "Infinity", "-Infinity" or null, got ${describe(value)}`);
  }
  return n;
}

export function parseAction(value: unknown, field: string): Action | null {
  if (value === null || value === undefined) return null;
  if (typeof value !== 'string' || !ACTIONS.has(value)) {
    throw new ValidationError(`Expected "${field}" to be "apply", "clip", "skip" or null, got ${describe(value)}`);
  }
  return value as Action;
}

export function parseName(value: unknown, field: string, { required = true } = {}): string | null {
  if (value === undefined || value === null) {
    if (required) throw new ValidationError(`Expected "${field}" to be a non-empty string, got ${describe(value)}`);
    return null;
  }
  if (typeof value !== 'string' || value.trim() === '' || value.length > MAX_NAME_LENGTH) {
    throw new ValidationError(`Expected "${field}" to be a non-empty string of at most ${MAX_NAME_LENGTH} characters, got ${describe(value)}`);
  }
  return value;
}

/** Earliest wall-clock time accepted (1973-03-03): a smaller one is almost surely seconds, not ms. */
export const MIN_STEP_TIME = 1e11;
/** Latest wall-clock time accepted: the largest a JS Date can hold (year 275760). */
export const MAX_STEP_TIME = 8.64e15;

/**
 * A step's wall-clock time, ms since the Unix epoch; null (or absent) means "use the arrival
 * time". Seconds (Python's time.time()) are the likely mistake, so they get their own message.
 */
export function parseStepTime(value: unknown, field: string): number | null {
  if (value === null || value === undefined) return null;
  if (typeof value !== 'number' || !(value >= 0 && value <= MAX_STEP_TIME)) {
    throw new ValidationError(
      `Expected "${field}" to be a wall-clock time in milliseconds since the Unix epoch (a finite number, as Date.now() gives) or null, got ${describe(value)}`,
    );
  }
  if (value < MIN_STEP_TIME) {
    throw new ValidationError(`Expected "${field}" in milliseconds since the Unix epoch, got ${value}, which looks like seconds: send seconds × 1000`);
  }
  return value;
}

/** The numeric columns of a step, in storage order. */
export const NUMERIC_COLUMNS = ['gradNorm', 'loss', 'lr', 'threshold', 'coef'] as const;
export type NumericColumn = (typeof NUMERIC_COLUMNS)[number];

/**
 * Validated steps in columnar form: one entry per step in every array. A numeric value is
 * a double (NaN and ±Infinity included) or null for "missing".
 */
export interface StepColumns {
  step: ArrayLike<number>;
  gradNorm: ArrayLike<number | null>;
  loss: ArrayLike<number | null>;
  lr: ArrayLike<number | null>;
  threshold: ArrayLike<number | null>;
  coef: ArrayLike<number | null>;
  action: ArrayLike<Action | null>;
  /** Layer name -> one norm (or null) per step. */
  layers: Map<string, ArrayLike<number | null>>;
  /** Wall-clock time per step, ms since the epoch; null: not sent (ingest stores the arrival time). */
  time: ArrayLike<number | null>;
}

/** StepColumns built up step by step. */
export interface StepArrays extends StepColumns {
  step: number[];
  gradNorm: (number | null)[];
  loss: (number | null)[];
  lr: (number | null)[];
  threshold: (number | null)[];
  coef: (number | null)[];
  action: (Action | null)[];
  layers: Map<string, (number | null)[]>;
  time: (number | null)[];
}

export function emptyColumns(): StepArrays {
  return { step: [], gradNorm: [], loss: [], lr: [], threshold: [], coef: [], action: [], layers: new Map(), time: [] };
}

function checkBatchSize(n: number, field: string): void {
  if (n > MAX_BATCH_STEPS) {
    throw new ValidationError(`Too many steps in "${field}": ${n}; send at most ${MAX_BATCH_STEPS} per batch`, 413);
  }
}

function checkLayerCount(n: number): void {
  if (n > MAX_LAYERS) throw new ValidationError(`Too many layer names: ${n}; at most ${MAX_LAYERS} per run`);
}

const STEP_KEYS = ['step', 'gradNorm', 'loss', 'lr', 'threshold', 'coef', 'action', 'layers', 'time'] as const;

/** Validates the body of `POST /api/runs/:id/steps`: `{ steps: WireStep[] }`. */
export function validateStepsBody(body: unknown): StepArrays {
  if (!isPlainObject(body)) throw new ValidationError(`Expected a JSON object { "steps": [...] }, got ${describe(body)}`);
  rejectUnknownKeys(body, ['steps'], 'the body');
  const steps = body.steps;
  if (!Array.isArray(steps)) throw new ValidationError(`Expected "steps" to be an array of steps, got ${describe(steps)}`);
  checkBatchSize(steps.length, 'steps');
  const out = emptyColumns();
  const n = steps.length;
  for (let i = 0; i < n; i++) {
    const s: unknown = steps[i];
    const where = `steps[${i}]`;
    if (!isPlainObject(s)) throw new ValidationError(`Expected ${where} to be an object, got ${describe(s)}`);
    rejectUnknownKeys(s, STEP_KEYS, where);
    out.step.push(parseStep(s.step, `${where}.step`));
    if (!('gradNorm' in s)) throw new ValidationError(`Missing "${where}.gradNorm": every step needs its gradient norm (null if unknown)`);
    out.gradNorm.push(parseWireNumber(s.gradNorm, `${where}.gradNorm`));
    out.loss.push(parseWireNumber(s.loss ?? null, `${where}.loss`));
    out.lr.push(parseWireNumber(s.lr ?? null, `${where}.lr`));
    out.threshold.push(parseWireNumber(s.threshold ?? null, `${where}.threshold`));
    out.coef.push(parseWireNumber(s.coef ?? null, `${where}.coef`));
    out.action.push(parseAction(s.action, `${where}.action`));
    out.time.push(parseStepTime(s.time, `${where}.time`));
    if (s.layers !== undefined && s.layers !== null) {
      if (!isPlainObject(s.layers)) throw new ValidationError(`Expected "${where}.layers" to be an object { name: norm }, got ${describe(s.layers)}`);
      for (const [name, v] of Object.entries(s.layers)) {
        parseName(name, `${where}.layers key`);
        let col = out.layers.get(name);
        if (!col) {
          checkLayerCount(out.layers.size + 1);
          col = new Array<number | null>(n).fill(null);
          out.layers.set(name, col);
        }
        col[i] = parseWireNumber(v, `${where}.layers.${name}`);
      }
    }
  }
  return out;
}

/**
 * A numeric column of a socket batch: a Float64Array as sent (arrives at the server as a
 * Buffer/Uint8Array of little-endian doubles), a plain ArrayBuffer, or an array of WireNumber.
 */
export function decodeColumn(value: unknown, field: string, length: number | null): ArrayLike<number | null> {
  if (Array.isArray(value)) {
    if (length !== null && value.length !== length) {
      throw new ValidationError(`Expected "${field}" to have ${length} entries (one per step), got ${value.length}`);
    }
    const out = new Array<number | null>(value.length);
    for (let i = 0; i < value.length; i++) out[i] = parseWireNumber(value[i], `${field}[${i}]`);
    return out;
  }
  let bytes: Uint8Array | null = null;
  // Binary columns are used in place (no copy): this is the SDK's hot path.
  if (value instanceof Float64Array) return checkLength(value, field, length);
  if (value instanceof ArrayBuffer) bytes = new Uint8Array(value);
  else if (value instanceof Uint8Array) bytes = value;
  if (bytes === null) {
    throw new ValidationError(`Expected "${field}" to be a Float64Array or an array of numbers, got ${describe(value)}`);
  }
  if (bytes.byteLength % 8 !== 0) {
    throw new ValidationError(`Expected "${field}" to be a Float64Array (a multiple of 8 bytes), got ${bytes.byteLength} bytes`);
  }
  // A Buffer's byteOffset need not be 8-aligned (Node pools small buffers), so copy first
  // (new Uint8Array(x) copies; Buffer#slice would not).
  const aligned = bytes.byteOffset % 8 === 0 ? bytes : new Uint8Array(bytes);
  const doubles = new Float64Array(aligned.buffer, aligned.byteOffset, aligned.byteLength / 8);
  return checkLength(doubles, field, length);
}

function checkLength<T extends ArrayLike<number | null>>(values: T, field: string, length: number | null): T {
  if (length !== null && values.length !== length) {
    throw new ValidationError(`Expected "${field}" to have ${length} entries (one per step), got ${values.length}`);
  }
  return values;
}

const BATCH_KEYS = ['runId', 'seq', 'step', 'gradNorm', 'loss', 'lr', 'threshold', 'coef', 'action', 'layers', 'time'] as const;

/** The batch's time column, every entry checked; all null when an older SDK sent none. */
function decodeTimeColumn(value: unknown, n: number): ArrayLike<number | null> {
  if (value === undefined || value === null) return new Array<number | null>(n).fill(null);
  const time = decodeColumn(value, 'time', n);
  for (let i = 0; i < n; i++) parseStepTime(time[i], `time[${i}]`);
  return time;
}

export interface ValidBatch {
  runId: string;
  seq: number;
  columns: StepColumns;
}

/** Validates a ColumnarBatch from socket.io `/ingest` `steps`. */
export function validateColumnarBatch(batch: unknown): ValidBatch {
  if (!isPlainObject(batch)) throw new ValidationError(`Expected the batch to be an object (ColumnarBatch), got ${describe(batch)}`);
  rejectUnknownKeys(batch, BATCH_KEYS, 'the batch');
  const runId = parseName(batch.runId, 'runId') as string;
  const seq = batch.seq;
  if (typeof seq !== 'number' || !Number.isInteger(seq) || seq < 0) {
    throw new ValidationError(`Expected "seq" to be a non-negative integer, got ${describe(seq)}`);
  }
  const rawSteps = decodeColumn(batch.step, 'step', null);
  checkBatchSize(rawSteps.length, 'step');
  const n = rawSteps.length;
  for (let i = 0; i < n; i++) parseStep(rawSteps[i], `step[${i}]`);
  if (batch.gradNorm === undefined) throw new ValidationError('Missing "gradNorm": every batch needs the gradient norm column');
  const optional = (name: 'loss' | 'lr' | 'threshold' | 'coef') => {
    const v = batch[name];
    return v === undefined || v === null ? new Array<number | null>(n).fill(null) : decodeColumn(v, name, n);
  };
  const columns: StepColumns = {
    step: rawSteps as ArrayLike<number>,
    gradNorm: decodeColumn(batch.gradNorm, 'gradNorm', n),
    loss: optional('loss'),
    lr: optional('lr'),
    threshold: optional('threshold'),
    coef: optional('coef'),
    action: new Array<Action | null>(n).fill(null),
    layers: new Map(),
    time: decodeTimeColumn(batch.time, n),
  };
  if (batch.action !== undefined && batch.action !== null) {
    if (!Array.isArray(batch.action)) throw new ValidationError(`Expected "action" to be an array of "apply" | "clip" | "skip" | null, got ${describe(batch.action)}`);
    if (batch.action.length !== n) throw new ValidationError(`Expected "action" to have ${n} entries (one per step), got ${batch.action.length}`);
    columns.action = batch.action.map((a: unknown, i: number) => parseAction(a, `action[${i}]`));
  }
  if (batch.layers !== undefined && batch.layers !== null) {
    if (!isPlainObject(batch.layers)) throw new ValidationError(`Expected "layers" to be an object { name: column }, got ${describe(batch.layers)}`);
    const entries = Object.entries(batch.layers);
    checkLayerCount(entries.length);
    for (const [name, col] of entries) {
      parseName(name, 'layers key');
      columns.layers.set(name, decodeColumn(col, `layers.${name}`, n));
    }
  }
  return { runId, seq, columns };
}
