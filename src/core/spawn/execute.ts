// Runs a spawn plan: each named step in turn, asking the planner again after
// each one with what the step observed (plan.ts), until the plan ends in a
// result. What a step made is undone through the cleanup it registered
// (cleanup.ts), by the caller, when a later step fails.

import { OperationError } from '../../common/errors.js';
import { existingSteps } from './existing-steps.js';
import { newContainerSteps } from './create-steps.js';
import { planSpawn, type SpawnPlan, type SpawnState, type SpawnStep } from './plan.js';
import type { SpawnRun } from './run.js';
import type { SpawnResult } from './types.js';

/** What a step found out (for the planner), and the spawn's result when the step ends it. */
export interface StepOutcome {
  observed?: Partial<SpawnState>;
  result?: SpawnResult;
}

export type StepRunner = (run: SpawnRun, plan: SpawnPlan) => Promise<StepOutcome | void>;

const STEPS: Record<SpawnStep, StepRunner> = { ...existingSteps, ...newContainerSteps };

export async function executeSpawn(run: SpawnRun, initial: SpawnState, steps: Readonly<Record<SpawnStep, StepRunner>> = STEPS): Promise<SpawnResult> {
  let state = initial;
  const done: SpawnStep[] = [];
  for (;;) {
    const plan = planSpawn(state);
    if (done.some((step, i) => plan.steps[i] !== step)) {
      throw new OperationError('E_INTERNAL', `The spawn plan changed under its own steps: ran ${done.join(', ')}; now ${plan.steps.join(', ')}.`);
    }
    const next = plan.steps[done.length];
    if (next === undefined) {
      throw new OperationError('E_INTERNAL', `The spawn plan ended without a result after ${done.join(', ')}.`);
    }
    const outcome = (await steps[next](run, plan)) ?? {};
    done.push(next);
    if (outcome.result !== undefined) return outcome.result;
    state = { ...state, ...outcome.observed };
  }
}
