// Answers questions about the TS controller for the Python tests that must agree with it to
// the letter (test/python/test_policy.py, test_state.py): reads a JSON array of requests on
// stdin and writes a JSON array of answers.
//   { "op": "parsePolicy", "input": ... }  -> { "policy": ... } or { "error": message, "field": field, "name": name }
//   { "op": "fromState", "input": ... }    -> { "policy": ... } or { "error": message, "field"?: field, "name": name }
//   { "op": "string", "bits": "<hex>" }    -> { "string": String(x) }
// JSON cannot carry NaN or ±Infinity, so {"$nonfinite": "NaN" | "Infinity" | "-Infinity"}
// anywhere in an input stands for that number.
// Run: echo '[{"op": "parsePolicy", "input": {"kind": "percentile", "windw": 1}}]' | node --import tsx test/conformance/ts-oracle.ts

import { readFileSync } from 'node:fs';
import { Controller, parsePolicy, PolicyError } from '../../sdk/controller/index.ts';
import { fromBits } from './bits.ts';

function decode(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(decode);
  if (typeof value === 'object' && value !== null) {
    const keys = Object.keys(value);
    if (keys.length === 1 && keys[0] === '$nonfinite') return Number((value as Record<string, string>).$nonfinite);
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, decode(v)]));
  }
  return value;
}

function answer(request: { op: string; input?: unknown; bits?: string }): unknown {
  if (request.op === 'string') return { string: String(fromBits(request.bits as string)) };
  try {
    const input = decode(request.input);
    if (request.op === 'parsePolicy') return { policy: parsePolicy(input) };
    if (request.op === 'fromState') return { policy: Controller.fromState(input).policy };
    throw new Error(`unknown op ${request.op}`);
  } catch (err) {
    const e = err as Error;
    return { error: e.message, name: e.name, ...(err instanceof PolicyError ? { field: err.field } : {}) };
  }
}

const requests = JSON.parse(readFileSync(0, 'utf8')) as { op: string }[];
process.stdout.write(JSON.stringify(requests.map(answer)));
