// The pre-registered rules of the default-policy study (written in conditions.ts before any
// candidate ran), as pure functions over the per-run records of results.json.
import { mean, sd, tQuantile975 } from './stats.ts';

/** One run as results.json records it. */
export interface RunRecord {
  condition: string;
  seed: number;
  steps: number;
  clipped: number;
  diverged: boolean;
  /** Final evaluation loss, a diverged run counting as untrained (stats.ts pairedScore). */
  pairedScore: number;
}

/** One task's runs and the fixed threshold that did best there (with hindsight). */
export interface TaskRecords {
  task: string;
  runs: RunRecord[];
  bestFixed: string;
}

export interface CandidateScore {
  condition: string;
  /** Per task, in the order given. */
  diverged: number[];
  /** Per task: mean over seeds of score / best fixed's score on the same seed. */
  ratio: number[];
  clippedFraction: number;
  /** The worse task's ratio. */
  worst: number;
}

function of(runs: RunRecord[], condition: string): RunRecord[] {
  return runs.filter((r) => r.condition === condition);
}

/** Mean over the shared seeds of a's score / b's. */
export function meanRatio(a: RunRecord[], b: RunRecord[]): number {
  const ratios: number[] = [];
  for (const ra of a) {
    const rb = b.find((r) => r.seed === ra.seed);
    if (rb) ratios.push(ra.pairedScore / rb.pairedScore);
  }
  return ratios.length ? mean(ratios) : Number.NaN;
}

export function scoreCandidate(tasks: TaskRecords[], condition: string): CandidateScore {
  const diverged = tasks.map((t) => of(t.runs, condition).filter((r) => r.diverged).length);
  const ratio = tasks.map((t) => meanRatio(of(t.runs, condition), of(t.runs, t.bestFixed)));
  const all = tasks.flatMap((t) => of(t.runs, condition));
  const steps = all.reduce((a, r) => a + r.steps, 0);
  return {
    condition, diverged, ratio,
    clippedFraction: steps ? all.reduce((a, r) => a + r.clipped, 0) / steps : 0,
    worst: Math.max(...ratio),
  };
}

/**
 * The choice: eligible are the candidates with no diverged seed on any task (if none, those
 * with the fewest over all tasks); the lowest worst-task ratio wins, ties to fewer clipped steps.
 */
export function chooseCandidate(tasks: TaskRecords[], candidates: string[]): { chosen: string; scores: CandidateScore[]; eligible: string[] } {
  if (candidates.length === 0) throw new RangeError('Expected at least one candidate');
  const scores = candidates.map((c) => scoreCandidate(tasks, c));
  const total = (s: CandidateScore): number => s.diverged.reduce((a, d) => a + d, 0);
  const fewest = Math.min(...scores.map(total));
  const eligible = scores.filter((s) => total(s) === fewest);
  eligible.sort((a, b) => a.worst - b.worst || a.clippedFraction - b.clippedFraction);
  return { chosen: eligible[0].condition, scores, eligible: eligible.map((s) => s.condition) };
}

export interface Interval {
  n: number;
  mean: number;
  lo: number;
  hi: number;
}

/** Per-seed differences a - b with a 95 % t interval (n >= 2). */
export function pairedInterval(a: RunRecord[], b: RunRecord[]): Interval {
  const d: number[] = [];
  for (const ra of a) {
    const rb = b.find((r) => r.seed === ra.seed);
    if (rb) d.push(ra.pairedScore - rb.pairedScore);
  }
  if (d.length < 2) throw new RangeError(`Expected at least 2 paired seeds, got ${d.length}`);
  const m = mean(d);
  const half = (tQuantile975(d.length - 1) * sd(d)) / Math.sqrt(d.length);
  return { n: d.length, mean: m, lo: m - half, hi: m + half };
}

export interface AdoptionTask {
  task: string;
  divergedChosen: number;
  divergedCurrent: number;
  difference: Interval;
  noWorse: boolean;
}

/**
 * The adoption test on the fresh seeds: on every task the chosen rule diverged on no more seeds
 * than the current default, and the interval of (chosen - current) does not lie wholly above 0.
 */
export function adoption(tasks: TaskRecords[], chosen: string, current: string): { adopt: boolean; perTask: AdoptionTask[] } {
  const perTask = tasks.map((t): AdoptionTask => {
    const a = of(t.runs, chosen);
    const b = of(t.runs, current);
    const difference = pairedInterval(a, b);
    const divergedChosen = a.filter((r) => r.diverged).length;
    const divergedCurrent = b.filter((r) => r.diverged).length;
    return { task: t.task, divergedChosen, divergedCurrent, difference, noWorse: divergedChosen <= divergedCurrent && !(difference.lo > 0) };
  });
  return { adopt: perTask.every((p) => p.noWorse), perTask };
}
