// init() options: defaults, validation, interpretation, in that order (better-sqlite3's
// Database constructor does the same). Every message names the option and what it expects.
import { randomBytes } from 'node:crypto';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { parsePolicy } from '../controller/index.ts';
import type { ControllerState, Policy } from '../controller/types.ts';
import { GradpilotError } from './errors.ts';

/** A policy as JSON: `kind` plus any of that kind's fields; the rest take their defaults. */
export type PolicyInput = {
  [K in Policy['kind']]: Partial<Extract<Policy, { kind: K }>> & { kind: K };
}[Policy['kind']];

/** Options of `init()`. Only `url` is required. */
export interface InitOptions {
  /**
   * The server, e.g. `http://127.0.0.1:7070`. Several servers on one PostgreSQL database: an
   * array (or a comma-separated list) of their URLs; the run connects to the first it can
   * reach and moves to the next when that one goes away, resending what was not acknowledged.
   */
  url: string | readonly string[];
  /** Run name shown on the dashboard. Default: the run id. */
  name?: string;
  project?: string;
  /** The run's clipping policy. Default: AutoClip (percentile p=10, full history). */
  policy?: PolicyInput | Policy;
  /** Free-form hyperparameters stored with the run. */
  config?: Record<string, unknown>;
  /** Needed when the server runs with GRADPILOT_TOKEN. */
  token?: string;
  /**
   * The run id. Default: a random one, chosen here so that the run exists (and steps can
   * be recorded) before the server answers. Every rank of a data-parallel run passes the same id.
   */
  id?: string;
  /** Resume this run: the server hands back the controller state, thresholds continue. */
  resume?: string;
  /** With `resume`: continue after this step (the checkpoint's). Default: the last stored step. */
  fromStep?: number;
  /** A controller state saved with a checkpoint (`run.controllerState()`): resume without asking the server. */
  state?: ControllerState;
  /** This worker's rank (default 0). Rank 0 streams steps; every rank obeys the policy. */
  rank?: number;
  worldSize?: number;
  /** Steps per batch sent to the server. Default 256. */
  batchSize?: number;
  /** A partial batch is sent after this long. Default 1000 ms. */
  flushIntervalMs?: number;
  /** Where batches go while the server is away. Default `<tmpdir>/gradpilot-spill-<uid>` (`defaultSpillDir()`); null: memory only. */
  spillDir?: string | null;
  /** Steps kept in memory while undelivered; the rest wait in the spill file. Default 100000. */
  maxMemorySteps?: number;
  /** A batch not acknowledged within this long is sent again. Default 10000 ms. */
  ackTimeoutMs?: number;
  /**
   * Longest wait between reconnection attempts, and between attempts to send again a batch the
   * server could not store (disk full, database locked). Default 2000 ms.
   */
  reconnectDelayMaxMs?: number;
  /** How long `init({ resume })` waits for the server's controller state. Default 30000 ms. */
  resumeTimeoutMs?: number;
  /**
   * Connection problems (a server away for a few seconds, a refused token, a wrong URL) and
   * steps left undelivered at `close()` are written to stderr, one line each. true: only the
   * 'connection' and 'error' events and `status().lastError` report them. Default false.
   */
  quiet?: boolean;
}

export interface ResolvedOptions {
  /** The first server (in messages). */
  url: string;
  /** Every server, in the order they are tried. */
  urls: string[];
  id: string;
  name: string;
  project: string | null;
  policy: Policy | null;
  config: Record<string, unknown> | null;
  token: string | null;
  resume: boolean;
  fromStep: number | null;
  state: ControllerState | null;
  rank: number;
  worldSize: number;
  batchSize: number;
  flushIntervalMs: number;
  spillDir: string | null;
  maxMemorySteps: number;
  ackTimeoutMs: number;
  reconnectDelayMaxMs: number;
  resumeTimeoutMs: number;
  quiet: boolean;
}

const KNOWN = new Set<string>([
  'url', 'name', 'project', 'policy', 'config', 'token', 'id', 'resume', 'fromStep', 'state', 'rank',
  'worldSize', 'batchSize', 'flushIntervalMs', 'spillDir', 'maxMemorySteps', 'ackTimeoutMs', 'quiet',
  'reconnectDelayMaxMs', 'resumeTimeoutMs',
]);
const LIKELY_TYPOS: Record<string, string> = {
  runId: 'id', run: 'id', resumeFrom: 'fromStep', from_step: 'fromStep', world_size: 'worldSize',
  batch_size: 'batchSize', flushInterval: 'flushIntervalMs', host: 'url', server: 'url', serverUrl: 'url', silent: 'quiet',
};
const RUN_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

function invalid(message: string): GradpilotError {
  return new GradpilotError(message, 'INVALID_OPTION');
}

function integer(value: unknown, field: string, min: number): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) {
    throw invalid(`Expected the "${field}" option to be an integer >= ${min}, got ${String(value)}`);
  }
  return value;
}

function optionalString(value: unknown, field: string): string | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string' || value.length === 0) {
    throw invalid(`Expected the "${field}" option to be a non-empty string, got ${JSON.stringify(value)}`);
  }
  return value;
}

function runId(value: unknown, field: string): string {
  if (typeof value !== 'string' || !RUN_ID.test(value)) {
    throw invalid(
      `Expected the "${field}" option to be a run id (1-64 letters, digits, ".", "_" or "-"), got ${JSON.stringify(value)}`,
    );
  }
  return value;
}

/** A random run id: time-ordered prefix so ids sort by creation, random suffix. */
/**
 * The SDK's spill folder: one per user (`<tmpdir>/gradpilot-spill-<uid>`), so that another
 * local user can neither read a run's steps nor plant files in it.
 */
/** One http(s) server URL, without a trailing slash. */
function serverUrl(value: unknown): string {
  if (typeof value !== 'string') throw invalid('Expected the "url" option to be the server URL, e.g. "http://127.0.0.1:7070", or an array of them');
  let url: URL;
  try {
    url = new URL(value.trim());
  } catch {
    throw invalid(`Expected the "url" option to be an http(s) URL, got ${JSON.stringify(value)}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw invalid(`Expected the "url" option to start with http:// or https://, got ${JSON.stringify(value)}`);
  }
  return url.origin + url.pathname.replace(/\/+$/, '');
}

/** The servers to try, in order: one URL, a comma-separated list, or an array. */
function serverUrls(value: unknown): string[] {
  const list = Array.isArray(value) ? (value as unknown[]) : typeof value === 'string' && value.includes(',') ? value.split(',') : [value];
  if (list.length === 0) throw invalid('Expected the "url" option to name at least one server, got an empty array');
  return [...new Set(list.map(serverUrl))];
}

export function defaultSpillDir(): string {
  const user = typeof process.getuid === 'function' ? String(process.getuid()) : userInfo().username;
  return join(tmpdir(), `gradpilot-spill-${user}`);
}

export function newRunId(): string {
  return `${Date.now().toString(36)}-${randomBytes(6).toString('hex')}`;
}

/** Validates init() options and fills in the defaults. Throws GradpilotError('INVALID_OPTION'). */
export function resolveOptions(input: InitOptions): ResolvedOptions {
  if (typeof input !== 'object' || input === null) {
    throw invalid('Expected init() to get an options object such as { url: "http://127.0.0.1:7070", name: "my-run" }');
  }
  for (const key of Object.keys(input)) {
    if (KNOWN.has(key)) continue;
    const hint = LIKELY_TYPOS[key];
    throw invalid(hint ? `Misspelled option "${key}": did you mean "${hint}"?` : `Unknown option "${key}"`);
  }
  const o = input as InitOptions;

  // Apply defaults.
  const {
    rank = 0, worldSize = 1, batchSize = 256, flushIntervalMs = 1000, maxMemorySteps = 100_000,
    ackTimeoutMs = 10_000, reconnectDelayMaxMs = 2000, resumeTimeoutMs = 30_000,
  } = o;
  const spillDir = o.spillDir === undefined ? defaultSpillDir() : o.spillDir;

  // Validate.
  const urls = serverUrls(o.url);
  const resume = o.resume === undefined ? null : runId(o.resume, 'resume');
  const id = o.id === undefined ? null : runId(o.id, 'id');
  if (resume !== null && id !== null && resume !== id) {
    throw invalid(`The "id" and "resume" options name different runs ("${id}" and "${resume}"): pass only "resume"`);
  }
  if (o.fromStep !== undefined && resume === null) {
    throw invalid('The "fromStep" option needs "resume": pass { resume: runId, fromStep }');
  }
  const fromStep = o.fromStep === undefined ? null : integer(o.fromStep, 'fromStep', 0);
  if (o.state !== undefined && resume === null) {
    throw invalid('The "state" option needs "resume": pass { resume: runId, state: savedState }');
  }
  integer(rank, 'rank', 0);
  integer(worldSize, 'worldSize', 1);
  if (rank >= worldSize) throw invalid(`Expected the "rank" option to be below "worldSize" (${worldSize}), got ${rank}`);
  integer(batchSize, 'batchSize', 1);
  integer(flushIntervalMs, 'flushIntervalMs', 1);
  integer(maxMemorySteps, 'maxMemorySteps', 1);
  integer(ackTimeoutMs, 'ackTimeoutMs', 1);
  integer(reconnectDelayMaxMs, 'reconnectDelayMaxMs', 1);
  integer(resumeTimeoutMs, 'resumeTimeoutMs', 1);
  if (spillDir !== null && (typeof spillDir !== 'string' || spillDir.length === 0)) {
    throw invalid(`Expected the "spillDir" option to be a directory path or null, got ${JSON.stringify(spillDir)}`);
  }
  if (o.quiet !== undefined && typeof o.quiet !== 'boolean') {
    throw invalid(`Expected the "quiet" option to be true or false, got ${JSON.stringify(o.quiet)}`);
  }
  if (o.config !== undefined && (typeof o.config !== 'object' || o.config === null || Array.isArray(o.config))) {
    throw invalid('Expected the "config" option to be a plain object of hyperparameters');
  }

  // Interpret.
  let policy: Policy | null = null;
  if (o.policy !== undefined) {
    try {
      policy = parsePolicy(o.policy);
    } catch (err) {
      throw new GradpilotError(`Invalid "policy" option: ${(err as Error).message}`, 'INVALID_OPTION', { cause: err });
    }
  }
  const theId = resume ?? id ?? newRunId();
  return {
    url: urls[0],
    urls,
    id: theId,
    name: optionalString(o.name, 'name') ?? theId,
    project: optionalString(o.project, 'project'),
    policy,
    config: o.config ?? null,
    token: optionalString(o.token, 'token'),
    resume: resume !== null,
    fromStep,
    state: o.state ?? null,
    rank,
    worldSize,
    batchSize,
    flushIntervalMs,
    spillDir,
    maxMemorySteps,
    ackTimeoutMs,
    reconnectDelayMaxMs,
    resumeTimeoutMs,
    quiet: o.quiet ?? false,
  };
}
