// The default-policy study (issue 17) over the experiment's results.json files:
//   npx tsx test/bench/experiment/study.ts
// Step 1 (results/rnn, results/transformer: seeds 1-5, every condition) chooses among the
// candidates by the pre-registered rule and prints the command for step 2. Step 2
// (results/<task>-fresh and <task>-fresh-*: seeds 6-15, the chosen rule, the current
// default and each task's best fixed threshold) decides whether the default changes.
// Writes results/STUDY.md.
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CANDIDATES, conditionsFor, CURRENT_DEFAULT_ID } from './conditions.ts';
import { RNN_FIXED_GRID, TRANSFORMER_FIXED_GRID } from './settings.ts';
import { adoption, chooseCandidate, pairedInterval, type RunRecord, type TaskRecords } from './study-rules.ts';
import { fmt } from './table.ts';

const HERE = dirname(fileURLToPath(import.meta.url));
const TASKS = ['rnn', 'transformer'] as const;

interface ResultsFile {
  task: string;
  bestFixed: string | null;
  runs: RunRecord[];
}

function load(dir: string): ResultsFile | null {
  const file = join(dir, 'results.json');
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as ResultsFile) : null;
}

/** The fresh-seed runs of one task: `<task>-fresh` and any `<task>-fresh-*` (conditions run apart), together. */
function loadFresh(root: string, task: string): ResultsFile | null {
  const dirs = existsSync(root) ? readdirSync(root).filter((d) => d === `${task}-fresh` || d.startsWith(`${task}-fresh-`)).sort() : [];
  const files = dirs.map((d) => load(join(root, d))).filter((f): f is ResultsFile => f !== null);
  if (files.length === 0) return null;
  return { task, bestFixed: null, runs: files.flatMap((f) => f.runs) };
}

function labelOf(id: string): string {
  const c = conditionsFor([...RNN_FIXED_GRID, ...TRANSFORMER_FIXED_GRID]).find((q) => q.id === id);
  if (!c) throw new RangeError(`no condition ${id}`);
  return c.label;
}

function idOf(label: string): string {
  const c = conditionsFor([...RNN_FIXED_GRID, ...TRANSFORMER_FIXED_GRID]).find((q) => q.label === label);
  if (!c) throw new RangeError(`no condition labelled ${label}`);
  return c.id;
}

function ci(i: { mean: number; lo: number; hi: number }): string {
  const sign = (x: number): string => `${x > 0 ? '+' : ''}${fmt(x)}`;
  return `${sign(i.mean)} [${sign(i.lo)}, ${sign(i.hi)}]`;
}

export function study(root: string): string {
  const lines: string[] = ['# Default-policy study (issue 17)', ''];
  const first = TASKS.map((t) => load(join(root, t)));
  if (first.some((f) => f === null || f.bestFixed === null)) {
    throw new Error(`Expected ${TASKS.map((t) => join(root, t, 'results.json')).join(' and ')}: run the full experiment of both tasks first`);
  }
  const tasks: TaskRecords[] = first.map((f) => ({ task: f!.task, runs: f!.runs, bestFixed: f!.bestFixed! }));
  const candidates = CANDIDATES.map((c) => c.label);
  const { chosen, scores, eligible } = chooseCandidate(tasks, candidates);
  lines.push(
    '## Step 1: the choice, seeds 1-5',
    '',
    'Rule (committed before any candidate ran, test/bench/experiment/conditions.ts): eligible are the candidates that diverged on no seed of either task ' +
      '(if none, the fewest diverged seeds); the score per task is the mean over seeds of the final evaluation loss divided by the best fixed threshold\'s on the same seed ' +
      '(a diverged run counts as its loss before training); the lowest worse-task score wins.',
    '',
    `Best fixed threshold with hindsight: ${tasks.map((t) => `${t.task} ${t.bestFixed}`).join(', ')}.`,
    '',
    `| candidate | diverged (${TASKS.join(', ')}) | ratio to best fixed (${TASKS.join(', ')}) | worse task | clipped | eligible |`,
    '|:--|--:|--:|--:|--:|:--|',
  );
  const current = labelOf(CURRENT_DEFAULT_ID);
  for (const label of [current, ...candidates]) {
    const s = scores.find((q) => q.condition === label) ?? chooseCandidate(tasks, [label]).scores[0];
    const tag = label === current ? 'current default' : eligible.includes(label) ? (label === chosen ? '**chosen**' : 'yes') : 'no';
    lines.push(`| ${label} | ${s.diverged.join(', ')} | ${s.ratio.map((r) => fmt(r)).join(', ')} | ${fmt(s.worst)} | ${(100 * s.clippedFraction).toFixed(1)}% | ${tag} |`);
  }
  lines.push('');
  const fresh = TASKS.map((t) => loadFresh(root, t));
  const freshIds = (i: number): string => [CURRENT_DEFAULT_ID, idOf(chosen), idOf(tasks[i].bestFixed)].join(',');
  lines.push(
    '## Step 2: fresh seeds 6-15',
    '',
    ...TASKS.map((t, i) => `    npm run experiment -- --task ${t} --seeds 6,7,8,9,10,11,12,13,14,15 --conditions ${freshIds(i)} --out test/bench/experiment/results/${t}-fresh`),
    '',
  );
  if (fresh.some((f) => f === null)) {
    lines.push('(not run yet)', '');
    return lines.join('\n');
  }
  const freshTasks: TaskRecords[] = fresh.map((f, i) => ({ task: f!.task, runs: f!.runs, bestFixed: tasks[i].bestFixed }));
  const decision = adoption(freshTasks, chosen, current);
  lines.push(
    'Rule: adopt the chosen rule as DEFAULT_POLICY only if on each task it diverged on no more seeds than the current default and the 95% t interval of the per-seed ' +
      'difference (chosen − current) does not lie wholly above 0.',
    '',
    `| task | diverged: chosen / current / best fixed | Δ chosen − current [95% CI] | Δ chosen − best fixed | Δ current − best fixed | no worse |`,
    '|:--|--:|--:|--:|--:|:--|',
  );
  decision.perTask.forEach((p, i) => {
    const t = freshTasks[i];
    const byCond = (c: string): RunRecord[] => t.runs.filter((r) => r.condition === c);
    const bestDiv = byCond(t.bestFixed).filter((r) => r.diverged).length;
    lines.push(
      `| ${p.task} | ${p.divergedChosen} / ${p.divergedCurrent} / ${bestDiv} (${t.bestFixed}) | ${ci(p.difference)} | ` +
        `${ci(pairedInterval(byCond(chosen), byCond(t.bestFixed)))} | ${ci(pairedInterval(byCond(current), byCond(t.bestFixed)))} | ${p.noWorse ? 'yes' : 'no'} |`,
    );
  });
  lines.push('', decision.adopt ? `**Decision: ${chosen} replaces the current default.**` : `**Decision: the default stays ${current}.**`, '');
  return lines.join('\n');
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const root = resolve(process.argv[2] ?? join(HERE, 'results'));
  const md = study(root);
  writeFileSync(join(root, 'STUDY.md'), md);
  process.stdout.write(md + `\nwrote ${join(root, 'STUDY.md')}\n`);
}
