// Generates malformed inputs for every HTTP write path and every socket event: wrong types,
// missing fields, NaN where a number must be finite, huge numbers and strings, deep nesting,
// wrong content types, truncated bodies, unknown runs and bad tokens. Each case says what the
// answer must mention, so "answered 4xx" also means "named the problem".

export interface HttpCase {
  kind: 'http';
  name: string;
  method: string;
  path: string;
  /** Raw body bytes; objects are JSON.stringify'd by the generator, never by the runner. */
  body?: string;
  headers: Record<string, string>;
  expect: RegExp;
  status?: number;
}

export interface SocketCase {
  kind: 'socket';
  name: string;
  namespace: '/ingest' | '/live';
  event: string;
  payload: unknown;
  expect: RegExp;
}

export interface ConnectCase {
  kind: 'connect';
  name: string;
  auth: Record<string, unknown>;
  expect: RegExp;
}

export type MalformedCase = HttpCase | SocketCase | ConnectCase;

export interface Target {
  /** An existing run, with stored steps, that the cases try to damage. */
  runId: string;
  token: string;
}

const BIG = 'x'.repeat(1_000_000);

/** `{"a":{"a":...{"a":1}}}` nested `depth` times. */
export function nestedObject(depth: number): string {
  return '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);
}

export function nestedArray(depth: number): string {
  return '['.repeat(depth) + '1' + ']'.repeat(depth);
}

const FRESH = 9_000_000; // a step the target run does not hold: storing it would show

export function malformedCases({ runId, token }: Target): MalformedCase[] {
  const auth = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
  const cases: MalformedCase[] = [];
  const http = (name: string, method: string, path: string, body: string | undefined, expect: RegExp, extra: Partial<HttpCase> = {}) =>
    cases.push({ kind: 'http', name, method, path, body, headers: { ...auth }, expect, ...extra });
  const steps = `/api/runs/${runId}/steps`;
  const json = (v: unknown) => JSON.stringify(v);

  // ── one bad field in a step, alone and after a valid step (the batch is all or nothing) ──
  const badValues: Record<string, [string, unknown][]> = {
    step: [['a string', '1'], ['negative', -1], ['fractional', 1.5], ['above 2^53', 2 ** 53 + 2], ['1e300', 1e300], ['true', true], ['null', null], ['an array', []], ['an object', {}], ['"NaN"', 'NaN'], ['"Infinity"', 'Infinity']],
    gradNorm: [['text', 'abc'], ['lowercase nan', 'nan'], ['"inf"', 'inf'], ['true', true], ['an array', []], ['an object', {}], ['a numeric string', '1.5'], ['empty string', ''], ['a 1 MB string', BIG]],
    loss: [['text', 'abc'], ['true', true], ['an array', [1]], ['an object', {}]],
    lr: [['text', 'abc'], ['true', true], ['an array', [1]], ['an object', {}]],
    threshold: [['text', 'abc'], ['true', true], ['an array', [1]], ['an object', {}]],
    coef: [['text', 'abc'], ['true', true], ['an array', [1]], ['an object', {}]],
    action: [['unknown word', 'jump'], ['a number', 1], ['true', true], ['an object', {}], ['an array', []], ['upper case', 'APPLY']],
    layers: [['a string', 'x'], ['a number', 1], ['an array', []], ['text norm', { a: 'x' }], ['boolean norm', { a: true }], ['nested', { a: { b: 1 } }], ['empty name', { '': 1 }], ['a 300-char name', { ['n'.repeat(300)]: 1 }]],
  };
  for (const [field, values] of Object.entries(badValues)) {
    for (const [what, value] of values) {
      for (const at of [0, 1]) {
        const bad = { step: FRESH + 1, gradNorm: 1, [field]: value };
        const list = at === 0 ? [bad] : [{ step: FRESH, gradNorm: 1 }, bad];
        http(`steps[${at}].${field} is ${what}`, 'POST', steps, json({ steps: list }), new RegExp(`steps\\[${at}\\]\\.${field}`));
      }
    }
  }
  http('step missing', 'POST', steps, json({ steps: [{ gradNorm: 1 }] }), /steps\[0\]\.step/);
  http('gradNorm missing', 'POST', steps, json({ steps: [{ step: FRESH }] }), /gradNorm/);
  http('gradNorm missing after a valid step', 'POST', steps, json({ steps: [{ step: FRESH, gradNorm: 1 }, { step: FRESH + 1 }] }), /steps\[1\]\.gradNorm/);
  http('unknown step field', 'POST', steps, json({ steps: [{ step: FRESH, gradNorm: 1, foo: 1 }] }), /Unknown field "foo"/);
  http('misspelled gradnorm', 'POST', steps, json({ steps: [{ step: FRESH, gradnorm: 1 }] }), /"gradnorm"/);
  http('misspelled Step', 'POST', steps, json({ steps: [{ Step: FRESH, gradNorm: 1 }] }), /"Step"/);
  http('bare NaN step (Python json.dumps)', 'POST', steps, '{"steps":[{"step":NaN,"gradNorm":1}]}', /step/);
  http('bare Infinity step', 'POST', steps, '{"steps":[{"step":Infinity,"gradNorm":1}]}', /step/);
  http('step with 400 digits', 'POST', steps, `{"steps":[{"step":${'9'.repeat(400)},"gradNorm":1}]}`, /step/);
  http('too many layer names', 'POST', steps, json({ steps: [{ step: FRESH, gradNorm: 1, layers: Object.fromEntries(Array.from({ length: 1100 }, (_, i) => [`l${i}`, 1])) }] }), /layer/);

  // ── the body as a whole ──
  for (const [what, body] of [['an array', '[]'], ['a string', '"steps"'], ['a number', '1'], ['null', 'null'], ['true', 'true'], ['empty', ''], ['whitespace', '   ']] as const) {
    http(`body is ${what}`, 'POST', steps, body, /JSON object|steps/);
  }
  for (const [what, value] of [['an object', {}], ['a string', 'x'], ['a number', 1], ['null', null]] as const) {
    http(`"steps" is ${what}`, 'POST', steps, json({ steps: value }), /"steps"/);
  }
  http('"steps" missing', 'POST', steps, json({}), /"steps"/);
  http('extra body key', 'POST', steps, json({ steps: [], extra: 1 }), /Unknown field "extra"/);
  http('nested arrays 50000 deep', 'POST', steps, `{"steps":${nestedArray(50_000)}}`, /steps|JSON/);
  http('nested objects 50000 deep as gradNorm', 'POST', steps, `{"steps":[{"step":${FRESH},"gradNorm":${nestedObject(50_000)}}]}`, /gradNorm|JSON/);
  http('body nested 100000 deep', 'POST', steps, nestedArray(100_000), /JSON/);

  // ── not JSON: truncated bodies, JSON-ish text, other content types ──
  const valid = json({ steps: [{ step: FRESH, gradNorm: 1.5, loss: 0.25, action: 'clip', layers: { a: 1 } }] });
  for (let i = 0; i < 20; i++) {
    const cut = 1 + Math.floor(((valid.length - 2) * i) / 19);
    http(`body truncated to ${cut} of ${valid.length} bytes`, 'POST', steps, valid.slice(0, cut), /Malformed JSON/);
  }
  for (const [what, body] of [
    ['unquoted keys', '{steps:[]}'], ['single quotes', "{'steps':[]}"], ['trailing comma', '{"steps":[],}'],
    ['lowercase nan', `{"steps":[{"step":${FRESH},"gradNorm":nan}]}`], ['two documents', '{"steps":[]}{"steps":[]}'],
    ['a comment', '{"steps":[] /* hi */}'], ['NUL bytes', '\u0000\u0000\u0000'], ['a lone brace', '{'],
  ] as const) {
    http(`JSON with ${what}`, 'POST', steps, body, /Malformed JSON/);
  }
  for (const [type, body] of [
    ['application/x-www-form-urlencoded', `step=${FRESH}&gradNorm=1`],
    ['multipart/form-data; boundary=XYZ', `--XYZ\r\nContent-Disposition: form-data; name="step"\r\n\r\n${FRESH}\r\n--XYZ--\r\n`],
    ['application/xml', `<steps><step n="${FRESH}" gradNorm="1"/></steps>`],
    ['text/csv', `step,gradNorm\n${FRESH},1\n`],
    ['application/octet-stream', '\u0001\u0002\u0003\u00ff'],
    // What a cross-site form or a no-preflight fetch sends: JSON text labelled as something else.
    ['text/plain', json({ steps: [{ step: FRESH, gradNorm: 1 }] })],
    ['text/plain;charset=UTF-8', json({ steps: [{ step: FRESH, gradNorm: 1 }] })],
  ] as const) {
    cases.push({ kind: 'http', name: `content type ${type}`, method: 'POST', path: steps, body, headers: { authorization: `Bearer ${token}`, 'content-type': type }, expect: /Expected "Content-Type: application\/json"/, status: 415 });
  }

  // ── requests from other web pages (Origin), on every kind of path ──
  for (const origin of ['http://evil.example', 'null', 'http://127.0.0.1:1', 'https://localhost.evil.example']) {
    http(`POST steps from Origin ${origin}`, 'POST', steps, json({ steps: [{ step: FRESH, gradNorm: 1 }] }), /Refused a request from the web page/, { status: 403, headers: { ...auth, origin } });
    http(`POST resume from Origin ${origin}`, 'POST', `/api/runs/${runId}/resume`, json({ fromStep: 0 }), /Refused a request from the web page/, { status: 403, headers: { ...auth, origin } });
    http(`GET runs from Origin ${origin}`, 'GET', '/api/runs', undefined, /Refused a request from the web page/, { status: 403, headers: { ...auth, origin } });
  }

  // ── oversize ──
  http('batch of 20001 steps', 'POST', steps, json({ steps: Array.from({ length: 20_001 }, (_, i) => ({ step: FRESH + i, gradNorm: 1 })) }), /Too many steps/, { status: 413 });
  http('body over 8 MB', 'POST', steps, json({ steps: [{ step: FRESH, gradNorm: 1, loss: 1, pad: 'x'.repeat(9 * 1024 * 1024) }] }), /too large/, { status: 413 });

  // ── runs ──
  const runs = '/api/runs';
  for (const [what, body, expect] of [
    ['name missing', {}, /"name"/], ['name a number', { name: 1 }, /"name"/], ['name empty', { name: '' }, /"name"/], ['name blank', { name: '   ' }, /"name"/],
    ['name 201 chars', { name: 'n'.repeat(201) }, /"name"/], ['name 1 MB', { name: BIG }, /"name"/], ['name an object', { name: { a: 1 } }, /"name"/],
    ['project a number', { name: 'r', project: 5 }, /"project"/], ['project empty', { name: 'r', project: '' }, /"project"/],
    ['config an array', { name: 'r', config: [] }, /"config"/], ['config a string', { name: 'r', config: 'x' }, /"config"/], ['config a number', { name: 'r', config: 1 }, /"config"/],
    ['id with spaces', { name: 'r', id: 'bad id' }, /"id"/], ['id empty', { name: 'r', id: '' }, /"id"/], ['id 65 chars', { name: 'r', id: 'i'.repeat(65) }, /"id"/],
    ['id a number', { name: 'r', id: 1 }, /"id"/], ['id with a slash', { name: 'r', id: '../x' }, /"id"/], ['id taken', { name: 'r', id: runId }, /already exists/],
    ['policy of unknown kind', { name: 'r', policy: { kind: 'magic' } }, /kind/], ['policy p 101', { name: 'r', policy: { kind: 'percentile', p: 101 } }, /"p"/],
    ['policy a string', { name: 'r', policy: 'percentile' }, /policy/], ['misspelled name', { nam: 'r' }, /"nam"/], ['author a number', { name: 'r', author: 3 }, /"author"/],
  ] as const) {
    http(`POST /api/runs: ${what}`, 'POST', runs, json(body), expect);
  }

  // ── policies ──
  const policy = `/api/runs/${runId}/policy`;
  for (const [what, body, expect] of [
    ['p negative', { kind: 'percentile', p: -1 }, /"p"/], ['p 101', { kind: 'percentile', p: 101 }, /"p"/], ['p a string', { kind: 'percentile', p: '10' }, /"p"/],
    ['p "NaN"', { kind: 'percentile', p: 'NaN' }, /"p"/], ['window 0', { kind: 'percentile', window: 0 }, /"window"/], ['window negative', { kind: 'percentile', window: -5 }, /"window"/],
    ['window fractional', { kind: 'percentile', window: 1.5 }, /"window"/], ['warmupSteps negative', { kind: 'percentile', warmupSteps: -1 }, /"warmupSteps"/],
    ['alpha 1', { kind: 'zscore', alpha: 1 }, /"alpha"/], ['alpha 0', { kind: 'zscore', alpha: 0 }, /"alpha"/], ['z a string', { kind: 'zscore', z: 'x' }, /"z"/],
    ['clipOption unknown', { kind: 'zscore', clipOption: 'wild' }, /"clipOption"/], ['fixed maxNorm negative', { kind: 'fixed', maxNorm: -1 }, /"maxNorm"/],
    ['maxNorm "NaN"', { kind: 'percentile', maxNorm: 'NaN' }, /"maxNorm"/], ['onNonFinite unknown', { kind: 'percentile', onNonFinite: 'explode' }, /"onNonFinite"/],
    ['skipOnSpike a string', { kind: 'percentile', skipOnSpike: 'yes' }, /"skipOnSpike"/], ['unknown kind', { kind: 'nope' }, /kind/], ['kind missing', {}, /kind/],
    ['unknown field q', { kind: 'percentile', q: 10 }, /"q"/], ['effectiveStep negative', { policy: { kind: 'off' }, effectiveStep: -1 }, /"effectiveStep"/],
    ['effectiveStep fractional', { policy: { kind: 'off' }, effectiveStep: 1.5 }, /"effectiveStep"/], ['extra wrapper key', { policy: { kind: 'off' }, extra: 1 }, /"extra"/],
    ['an array', [], /JSON object/], ['null', null, /JSON object/], ['minThreshold "x"', { kind: 'percentile', minThreshold: 'x' }, /"minThreshold"/],
  ] as const) {
    http(`PUT policy: ${what}`, 'PUT', policy, json(body), expect);
  }

  // ── replay, resume, finish, reads ──
  const replay = `/api/runs/${runId}/replay`;
  http('replay without a policy', 'POST', replay, json({}), /kind|policy/);
  http('replay with a bad policy', 'POST', replay, json({ policy: { kind: 'percentile', p: 200 } }), /"p"/);
  http('replay points 0', 'POST', replay, json({ policy: { kind: 'off' }, points: 0 }), /"points"/);
  http('replay unknown key', 'POST', replay, json({ policy: { kind: 'off' }, from: 3 }), /"from"/);
  const resume = `/api/runs/${runId}/resume`;
  http('resume fromStep negative', 'POST', resume, json({ fromStep: -1 }), /"fromStep"/);
  http('resume fromStep a string', 'POST', resume, json({ fromStep: '5' }), /"fromStep"/);
  http('resume unknown key', 'POST', resume, json({ step: 5 }), /"step"/);
  http('resume body an array', 'POST', resume, json([]), /JSON object/);
  for (const [what, query, expect] of [
    ['points 0', 'points=0', /"points"/], ['points text', 'points=abc', /"points"/], ['points 1e9', 'points=1000000000', /"points"/],
    ['from negative', 'from=-1', /"from"/], ['from fractional', 'from=1.5', /"from"/], ['to text', 'to=x', /"to"/],
  ] as const) {
    http(`GET steps ${what}`, 'GET', `${steps}?${query}`, undefined, expect);
  }
  http('GET events limit 0', 'GET', `/api/runs/${runId}/events?limit=0`, undefined, /"limit"/);
  http('GET state after text', 'GET', `/api/runs/${runId}/state?after=x`, undefined, /"after"/);

  // ── unknown runs ──
  const validSteps = json({ steps: [{ step: FRESH, gradNorm: 1 }] });
  for (const id of ['nope', 'x'.repeat(2000), '%00', 'a%2F..%2F..']) {
    const shown = id.length > 20 ? `${id.slice(0, 8)}...(${id.length})` : id;
    http(`POST steps to unknown run ${shown}`, 'POST', `/api/runs/${id}/steps`, validSteps, /Unknown run/, { status: 404 });
    http(`PUT policy of unknown run ${shown}`, 'PUT', `/api/runs/${id}/policy`, json({ kind: 'off' }), /Unknown run/, { status: 404 });
  }
  for (const [method, path] of [['POST', '/api/runs/nope/finish'], ['POST', '/api/runs/nope/replay'], ['POST', '/api/runs/nope/resume'], ['GET', '/api/runs/nope'], ['GET', '/api/runs/nope/steps'], ['GET', '/api/runs/nope/events'], ['GET', '/api/runs/nope/export.csv'], ['POST', '/api/nothing-here']] as const) {
    http(`${method} ${path}`, method, path, method === 'GET' ? undefined : json({ policy: { kind: 'off' } }), /Unknown (run|endpoint)/, { status: 404 });
  }

  // ── bad tokens, on every write path ──
  const writes: [string, string, string][] = [
    ['POST', runs, json({ name: 'intruder' })],
    ['POST', steps, validSteps],
    ['PUT', policy, json({ kind: 'off' })],
    ['POST', `/api/runs/${runId}/finish`, ''],
    ['POST', replay, json({ policy: { kind: 'off' } })],
    ['POST', resume, json({ fromStep: 0 })],
  ];
  const badAuth: [string, Record<string, string>][] = [
    ['no token', {}], ['a wrong token', { authorization: 'Bearer wrong' }], ['Basic auth', { authorization: `Basic ${token}` }],
    ['an empty bearer', { authorization: 'Bearer ' }], ['the token plus a suffix', { authorization: `Bearer ${token}x` }],
    ['the token without "Bearer"', { authorization: token }],
  ];
  for (const [method, path, body] of writes) {
    for (const [what, headers] of badAuth) {
      cases.push({ kind: 'http', name: `${method} ${path.replace(runId, ':id')} with ${what}`, method, path, body, headers: { 'content-type': 'application/json', ...headers }, expect: /token/i, status: 401 });
    }
  }

  socketCases(cases, runId);
  for (const [what, a] of [['no token', {}], ['a wrong token', { token: 'wrong' }], ['an empty token', { token: '' }], ['a numeric token', { token: 12345 }]] as const) {
    cases.push({ kind: 'connect', name: `/ingest connect with ${what}`, auth: a, expect: /token/i });
  }
  return cases;
}

function socketCases(cases: MalformedCase[], runId: string): void {
  const ingest = (name: string, event: string, payload: unknown, expect: RegExp) => cases.push({ kind: 'socket', name, namespace: '/ingest', event, payload, expect });
  for (const [what, payload, expect] of [
    ['null', null, /Expected/], ['a string', 'x', /Expected/], ['an array', [], /Expected/], ['empty', {}, /runId/],
    ['runId a number', { runId: 1, rank: 0, worldSize: 1 }, /runId/], ['runId empty', { runId: '', rank: 0, worldSize: 1 }, /runId/],
    ['unknown run', { runId: 'nope', rank: 0, worldSize: 1 }, /Unknown run/], ['rank negative', { runId, rank: -1, worldSize: 1 }, /rank/],
    ['rank fractional', { runId, rank: 1.5, worldSize: 1 }, /rank/], ['rank a string', { runId, rank: '0', worldSize: 1 }, /rank/],
    ['worldSize missing', { runId, rank: 0 }, /worldSize/], ['worldSize negative', { runId, rank: 0, worldSize: -1 }, /worldSize/],
  ] as const) {
    ingest(`join: ${what}`, 'join', payload, expect);
  }

  const base = { runId, seq: 0, step: [FRESH], gradNorm: [1] };
  const batch = (name: string, patch: Record<string, unknown>, expect: RegExp, drop: string[] = []) => {
    const b: Record<string, unknown> = { ...base, ...patch };
    for (const k of drop) delete b[k];
    ingest(`steps: ${name}`, 'steps', b, expect);
  };
  for (const [what, payload] of [['null', null], ['a string', 'x'], ['an array', []], ['a number', 1]] as const) ingest(`steps: batch is ${what}`, 'steps', payload, /batch/);
  batch('runId missing', {}, /runId/, ['runId']);
  batch('runId a number', { runId: 1 }, /runId/);
  batch('runId empty', { runId: '' }, /runId/);
  batch('unknown run', { runId: 'nope' }, /Unknown run/);
  batch('seq negative', { seq: -1 }, /seq/);
  batch('seq fractional', { seq: 1.5 }, /seq/);
  batch('seq a string', { seq: '0' }, /seq/);
  batch('seq missing', {}, /seq/, ['seq']);
  batch('step missing', {}, /step/, ['step']);
  for (const [what, step] of [
    ['a string', 'abc'], ['fractional', [1.5]], ['negative', [-1]], ['"NaN"', ['NaN']], ['binary NaN', new Float64Array([Number.NaN])],
    ['binary fractional', new Float64Array([2.5])], ['binary negative', new Float64Array([-3])], ['binary Infinity', new Float64Array([Number.POSITIVE_INFINITY])],
    ['null entry', [null]], ['an object', { 0: 1 }], ['7 bytes of binary', new Uint8Array(7)],
  ] as const) {
    batch(`step is ${what}`, { step }, /step/);
  }
  batch('gradNorm missing', {}, /gradNorm/, ['gradNorm']);
  for (const [what, g] of [
    ['text', ['x']], ['true', [true]], ['too long', [1, 2]], ['binary too long', new Float64Array([1, 2])], ['7 bytes of binary', new Uint8Array(7)],
    ['an object', {}], ['a number', 1], ['a 1 MB string', [BIG]],
  ] as const) {
    batch(`gradNorm is ${what}`, { gradNorm: g }, /gradNorm/);
  }
  for (const field of ['loss', 'lr', 'threshold', 'coef']) {
    batch(`${field} is text`, { [field]: ['x'] }, new RegExp(field));
    batch(`${field} too long`, { [field]: [1, 2] }, new RegExp(field));
  }
  for (const [what, action] of [['a string', 'apply'], ['unknown word', ['jump']], ['a number', [1]], ['too long', ['apply', 'clip']]] as const) {
    batch(`action is ${what}`, { action }, /action/);
  }
  for (const [what, layers] of [
    ['a string', 'x'], ['an array', []], ['empty name', { '': [1] }], ['text norm', { a: ['x'] }], ['too long', { a: [1, 2] }], ['nested', { a: { b: 1 } }],
  ] as const) {
    batch(`layers is ${what}`, { layers }, /layers/);
  }
  batch('step nested 1000 deep', { step: JSON.parse(nestedArray(1000)) }, /step/);
  batch('layers nested 1000 deep', { layers: { a: JSON.parse(nestedObject(1000)) } }, /layers/);
  batch('unknown key', { foo: 1 }, /Unknown field "foo"/);
  batch('20001 steps', { step: Array.from({ length: 20_001 }, (_, i) => FRESH + i), gradNorm: new Array(20_001).fill(1) }, /Too many steps/);

  for (const [what, payload, expect] of [
    ['null', null, /Expected/], ['unknown run', { runId: 'nope', version: 1, rank: 0, appliedAtStep: 0, late: false }, /Unknown run/],
    ['version missing', { runId, rank: 0, appliedAtStep: 0, late: false }, /version/], ['version negative', { runId, version: -1, rank: 0, appliedAtStep: 0, late: false }, /version/],
    ['unknown version', { runId, version: 999, rank: 0, appliedAtStep: 0, late: false }, /version 999/], ['rank a string', { runId, version: 1, rank: 'x', appliedAtStep: 0, late: false }, /rank/],
    ['appliedAtStep negative', { runId, version: 1, rank: 0, appliedAtStep: -1, late: false }, /appliedAtStep/], ['late a string', { runId, version: 1, rank: 0, appliedAtStep: 0, late: 'yes' }, /late/],
  ] as const) {
    ingest(`policyAck: ${what}`, 'policyAck', payload, expect);
  }
  for (const [what, payload, expect] of [
    ['null', null, /Expected/], ['runId a number', { runId: 1 }, /runId/], ['unknown run', { runId: 'nope' }, /Unknown run/],
    ['fromStep negative', { runId, fromStep: -1 }, /fromStep/], ['fromStep a string', { runId, fromStep: '5' }, /fromStep/], ['fromStep fractional', { runId, fromStep: 1.5 }, /fromStep/],
  ] as const) {
    ingest(`resume: ${what}`, 'resume', payload, expect);
  }
  for (const [what, payload, expect] of [
    ['null', null, /Expected/], ['runId a number', { runId: 1 }, /runId/], ['runId empty', { runId: '' }, /runId/], ['unknown run', { runId: 'nope' }, /Unknown run/],
  ] as const) {
    cases.push({ kind: 'socket', name: `/live subscribe: ${what}`, namespace: '/live', event: 'subscribe', payload, expect });
  }
}
