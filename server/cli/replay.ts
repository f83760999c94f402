// `gradpilot replay`: the clipping controller over any log of gradient norms, no server.
// Streams: lines are read one at a time and output is written with backpressure, so
// memory is the controller's state (8 bytes per finite norm), not the file.

import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import { Controller, DEFAULT_POLICY, parsePolicy, type Policy } from '@gradpilot/sdk/controller';
import { formatCsvNumber } from '@gradpilot/sdk/protocol';
import { detectFormat, parseNormLine, ReplayInputError, splitCsvLine, type InputFormat } from './replay-input.ts';

const HELP = `gradpilot replay [--policy '<json>'] [file|-]

Runs the clipping controller over a log of gradient norms and writes one CSV row per step:
  step,gradNorm,threshold,coef,action,events

Input (a file, or stdin when the file is "-" or missing): one norm per line, or a CSV whose
header has a "gradNorm" column (a "step" column is used when present; others are ignored).
nan, inf, -inf and Infinity are accepted in any case.

Options:
  --policy <json>   the policy (default: ${JSON.stringify({ kind: DEFAULT_POLICY.kind, p: 10 })}, AutoClip)
  -h, --help        this help

Examples:
  printf '1.0\\n1.2\\n9.5\\nnan\\n1.1\\n' | gradpilot replay --policy '{"kind":"zscore","warmupSteps":2}'
  gradpilot replay --policy '{"kind":"percentile","p":10,"window":1000}' norms.csv > decisions.csv

Exit codes: 0 done, 2 bad policy, bad input line or unreadable file (one line on stderr).`;

/** Thrown for user errors: printed as one line, exit code 2. */
class UsageError extends Error {}

interface Options {
  policy: Policy;
  file: string;
}

function parseArgs(args: string[]): Options | 'help' {
  let policyText: string | null = null;
  let file: string | null = null;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === '-h' || arg === '--help') return 'help';
    if (arg === '--policy' || arg.startsWith('--policy=')) {
      const value = arg === '--policy' ? args[++i] : arg.slice('--policy='.length);
      if (value === undefined) throw new UsageError(`--policy: expected a JSON policy after it, e.g. --policy '{"kind":"percentile","p":10}'`);
      policyText = value;
    } else if (arg.startsWith('-') && arg !== '-') {
      throw new UsageError(`unknown option "${arg}". Expected --policy <json>, --help, or a file name`);
    } else if (file !== null) {
      throw new UsageError(`expected at most one input file, got "${file}" and "${arg}"`);
    } else {
      file = arg;
    }
  }
  let policy: Policy = DEFAULT_POLICY;
  if (policyText !== null) {
    let json: unknown;
    try {
      json = JSON.parse(policyText);
    } catch (err) {
      throw new UsageError(`--policy: not valid JSON (${(err as Error).message}): ${policyText}`);
    }
    try {
      policy = parsePolicy(json);
    } catch (err) {
      throw new UsageError(`--policy: ${(err as Error).message}`);
    }
  }
  return { policy, file: file ?? '-' };
}

/** Replays `input` through the controller, writing CSV to `output`. Resolves when done. */
export async function replayStream(policy: Policy, input: Readable, output: Writable): Promise<void> {
  const controller = new Controller(policy);
  const lines = createInterface({ input, crlfDelay: Infinity });
  let format: InputFormat | null = null;
  let lineNo = 0;
  let index = 0;
  let chunk = 'step,gradNorm,threshold,coef,action,events\n';
  // A reader that goes away (`| head`) ends the replay quietly: EPIPE arrives either as a
  // throw from a synchronous pipe write or as an 'error' event.
  let closed = false;
  const onError = (): void => {
    closed = true;
  };
  output.on('error', onError);
  const emit = (text: string): boolean => {
    try {
      return output.write(text);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EPIPE') throw err;
      closed = true;
      return true;
    }
  };
  for await (const line of lines) {
    lineNo++;
    if (format === null) {
      if (line.trim() === '') continue;
      format = detectFormat(line, lineNo);
      if (format.kind === 'csv') continue;
    }
    let gradNorm: number;
    let step = index;
    if (format.kind === 'plain') {
      if (line.trim() === '') continue;
      gradNorm = parseNormLine(line, lineNo, 'the gradient norm');
    } else {
      if (line.trim() === '') continue;
      const cells = splitCsvLine(line);
      const cell = cells[format.gradNorm];
      if (cell === undefined) throw new UsageError(`line ${lineNo}: expected ${format.columns} columns as in the header, got ${cells.length}`);
      gradNorm = parseNormLine(cell, lineNo, 'gradNorm');
      if (format.step !== null) {
        const s = (cells[format.step] ?? '').trim();
        if (!/^\d+$/.test(s)) throw new UsageError(`line ${lineNo}: expected "step" to be a non-negative integer, got ${JSON.stringify(s)}`);
        step = Number(s);
      }
    }
    index++;
    const d = controller.decide({ step, gradNorm });
    chunk += `${d.step},${formatCsvNumber(d.gradNorm)},${formatCsvNumber(d.threshold)},${formatCsvNumber(d.coef)},${d.action},${d.events.join('|')}\n`;
    if (chunk.length >= 1 << 16) {
      if (closed) break;
      const ok = emit(chunk);
      chunk = '';
      if (!ok && !closed) await writable(output);
    }
  }
  // The listener stays: a late EPIPE from the last asynchronous write must not crash us.
  if (!closed && chunk.length > 0) emit(chunk);
}

/** Resolves when the stream can take more, or will never (closed, failed). */
function writable(stream: Writable): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      stream.off('drain', done).off('close', done).off('error', done);
      resolve();
    };
    stream.on('drain', done).on('close', done).on('error', done);
  });
}

/** Where the command reads and writes: the process's streams, or a test's. */
export interface ReplayIo {
  stdin: Readable;
  stdout: Writable;
  stderr: Writable;
}

/** The command with its streams injected; resolves to the exit code. */
export async function replayMain(args: string[], io: ReplayIo): Promise<number> {
  try {
    const options = parseArgs(args);
    if (options === 'help') {
      io.stdout.write(HELP + '\n');
      return 0;
    }
    let input = io.stdin;
    if (options.file !== '-') {
      const file = createReadStream(options.file);
      await new Promise<void>((resolve, reject) => {
        file.once('open', () => resolve());
        file.once('error', (err: NodeJS.ErrnoException) => reject(new UsageError(`cannot read "${options.file}": ${err.code ?? err.message}`)));
      });
      input = file;
    }
    await replayStream(options.policy, input, io.stdout);
    return 0;
  } catch (err) {
    if (err instanceof UsageError || err instanceof ReplayInputError) {
      io.stderr.write(`gradpilot replay: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
}

export function run(args: string[]): Promise<number> {
  return replayMain(args, process);
}
