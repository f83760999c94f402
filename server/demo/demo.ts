// `npm run demo`: a real TensorFlow.js training run (vanilla RNN on the adding problem, wasm
// backend, plain SGD with a recurrent init that makes gradients spike) streaming every step
// to a running gradpilot server through the SDK. Open the printed URL to watch it live.
import { parseArgs } from 'node:util';
import { init, GradpilotError, type PolicyInput } from '@gradpilot/sdk';

const HELP = `gradpilot demo [options]

Trains a vanilla tanh RNN on the adding problem (TensorFlow.js, wasm backend) and streams
every step to a gradpilot server. Start the server first: npm start

Options:
  --url <url>        server (default http://127.0.0.1:7070, or GRADPILOT_URL)
  --steps <n>        training steps (default 1500)
  --policy <p>       percentile | zscore | fixed | off, or policy JSON such as
                     '{"kind":"percentile","p":10}' (default percentile, AutoClip p=10)
  --name <name>      run name (default "demo <policy kind>")
  --lr <x>           SGD learning rate (default 0.1)
  --seed <n>         data and init seed (default 1)

Environment: GRADPILOT_URL, GRADPILOT_TOKEN (for a server started with a token; never on
the command line, where every user of the machine can read it in ps).

Example:
  npm start &
  npm run demo -- --steps 800 --policy zscore`;

function parsePolicyArg(text: string): PolicyInput {
  if (/^(percentile|zscore|off)$/.test(text)) return { kind: text } as PolicyInput;
  if (text === 'fixed') return { kind: 'fixed', maxNorm: 1 };
  try {
    return JSON.parse(text) as PolicyInput;
  } catch {
    throw new GradpilotError(`Expected --policy to be percentile, zscore, fixed, off or policy JSON, got ${JSON.stringify(text)}`, 'INVALID_OPTION');
  }
}

function positiveInt(text: string, flag: string): number {
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < 1) throw new GradpilotError(`Expected ${flag} to be a positive integer, got ${JSON.stringify(text)}`, 'INVALID_OPTION');
  return n;
}

export async function run(args: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args,
      options: {
        url: { type: 'string' }, steps: { type: 'string' }, policy: { type: 'string' }, name: { type: 'string' },
        lr: { type: 'string' }, seed: { type: 'string' }, help: { type: 'boolean', short: 'h' },
        // Only to refuse it with a reason: argv is readable by every user (ps, /proc/<pid>/cmdline).
        token: { type: 'string' },
      },
    }));
    if (values.token !== undefined) {
      throw new Error('--token is not accepted: a token on the command line can be read by every user of the machine (ps). Set GRADPILOT_TOKEN instead');
    }
  } catch (err) {
    process.stderr.write(`gradpilot demo: ${(err as Error).message}\n\n${HELP}\n`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(HELP + '\n');
    return 0;
  }
  let steps: number, seed: number, policy: PolicyInput, lr: number;
  try {
    steps = positiveInt(values.steps ?? '1500', '--steps');
    seed = positiveInt(values.seed ?? '1', '--seed');
    policy = parsePolicyArg(values.policy ?? 'percentile');
    lr = Number(values.lr ?? '0.1');
    if (!(lr > 0)) throw new GradpilotError(`Expected --lr to be a positive number, got ${JSON.stringify(values.lr)}`, 'INVALID_OPTION');
  } catch (err) {
    process.stderr.write(`gradpilot demo: ${(err as Error).message}\n`);
    return 2;
  }
  const url = values.url ?? process.env.GRADPILOT_URL ?? 'http://127.0.0.1:7070';
  const token = process.env.GRADPILOT_TOKEN || undefined;

  // Loaded after the arguments are checked: TensorFlow.js takes seconds to load. It is not a
  // dependency of the gradpilot package (a server needs none of it), so say how to get it.
  let tf: typeof import('@tensorflow/tfjs');
  try {
    tf = await import('@tensorflow/tfjs');
    await import('@tensorflow/tfjs-backend-wasm');
  } catch {
    process.stderr.write('gradpilot demo: needs TensorFlow.js: npm install @tensorflow/tfjs@4.22 @tensorflow/tfjs-backend-wasm@4.22\n');
    return 2;
  }
  const { computeGradients, createAddingProblem, createRnn, evaluate, useWasmBackend } = await import('./adding-problem.ts');
  const { clipOptimizer } = await import('@gradpilot/sdk/tfjs');
  await useWasmBackend();
  const settings = { seqLen: 20, hidden: 32, batchSize: 32, lr, recurrentScale: 1.5, seed };
  let gp;
  try {
    gp = await init({
      url, name: values.name ?? `demo ${policy.kind}`, project: 'demo', policy, config: settings,
      ...(token ? { token } : {}),
    });
  } catch (err) {
    process.stderr.write(`gradpilot demo: ${(err as Error).message}\n`);
    return 2;
  }
  process.stdout.write(`gradpilot demo: run ${gp.id}, policy ${JSON.stringify(gp.policy)}\n`);
  process.stdout.write(`dashboard: ${gp.dashboardUrl}\n`);

  const task = createAddingProblem({ seqLen: settings.seqLen, batchSize: settings.batchSize, seed });
  const model = createRnn({ hidden: settings.hidden, seed, recurrentScale: settings.recurrentScale });
  const optimizer = clipOptimizer(gp, tf.train.sgd(lr), { perLayer: true });
  let stop = false;
  const onSignal = (): void => {
    stop = true;
  };
  process.once('SIGINT', onSignal);
  const counts = { apply: 0, clip: 0, skip: 0 };
  const started = Date.now();
  let warned = false;
  try {
    for (let step = 0; step < steps && !stop; step++) {
      const batch = task.nextBatch();
      const { loss, grads } = computeGradients(model, batch);
      optimizer.applyGradients(grads, { step, loss });
      tf.dispose([batch, grads]);
      const d = optimizer.lastDecision!;
      counts[d.action]++;
      if (step % 100 === 0 || step === steps - 1) {
        const evalLoss = evaluate(model, task.evalSet);
        const th = d.threshold === null ? '-' : d.threshold.toPrecision(3);
        process.stdout.write(
          `step ${String(step).padStart(5)}  loss ${loss.toPrecision(4)}  eval ${evalLoss.toPrecision(4)}  ` +
            `|g| ${d.gradNorm.toPrecision(4)}  threshold ${th}  clipped ${counts.clip}  skipped ${counts.skip}\n`,
        );
      }
      if (!warned && !gp.status().ready && Date.now() - started > 3000) {
        warned = true;
        process.stdout.write(`(no server at ${url} yet: training goes on, steps wait in the outbox; start it with npm start)\n`);
      }
      // Let the SDK's socket and timers run; the step itself never waits on them.
      await new Promise((r) => setImmediate(r));
    }
  } finally {
    process.off('SIGINT', onSignal);
    model.dispose();
    task.dispose();
    optimizer.dispose();
  }
  const report = await gp.close({ timeoutMs: 5000 });
  process.stdout.write(
    `done: ${counts.apply} applied, ${counts.clip} clipped, ${counts.skip} skipped; ` +
      `${report.delivered} steps delivered, ${report.undelivered} undelivered` +
      (report.spillFile ? ` (kept in ${report.spillFile})` : '') + `\n`,
  );
  process.stdout.write(`dashboard: ${gp.dashboardUrl}\n`);
  return report.undelivered === 0 ? 0 : 1;
}
