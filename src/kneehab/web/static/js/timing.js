// The session player's timing logic: pure functions and a clock-driven countdown, no DOM.
// The server hands over a plan (exercises in session order with their dose); buildSteps() turns it
// into the exact list of things the person does. Time is always measured from a clock reading
// passed in (performance.now() in the page), never by counting ticks, so a slow phone stays accurate.

export const REP_PHASE_S = 2; // tempo: 2 s up, hold, 2 s down (the library's default tempo words)

// One exercise → its steps: work (hold | reps | timed) per set and side, a rest between sets, then rate.
export function stepsFor(exercise, exerciseIndex) {
  const steps = [];
  const sets = Math.max(1, exercise.sets || 1);
  const sides = exercise.sides && exercise.sides.length ? exercise.sides : [null];
  let kind = "reps";
  if (exercise.minutes && !exercise.reps) kind = "timed";
  else if (exercise.hold_s && !exercise.reps) kind = "hold";
  for (let set = 1; set <= sets; set += 1) {
    sides.forEach((side) => {
      const step = { kind, exerciseIndex, set, sets, side };
      if (kind === "hold") step.seconds = exercise.hold_s;
      if (kind === "timed") step.seconds = exercise.minutes * 60;
      if (kind === "reps") {
        step.reps = exercise.reps || 10;
        step.hold_s = exercise.hold_s || 0;
      }
      steps.push(step);
    });
    if (set < sets && exercise.rest_s > 0) {
      steps.push({ kind: "rest", exerciseIndex, set, sets, side: null, seconds: exercise.rest_s });
    }
  }
  steps.push({ kind: "rate", exerciseIndex, set: sets, sets, side: null });
  return steps;
}

export function buildSteps(plan) {
  return plan.exercises.flatMap((exercise, i) => stepsFor(exercise, i));
}

// Seconds one paced repetition takes: up, hold at the top, down.
export function repSeconds(step) {
  return REP_PHASE_S * 2 + (step.hold_s || 0);
}

// A pausable countdown measured against an injected clock (milliseconds), sped up by timeScale.
export class Countdown {
  constructor(seconds, timeScale = 1) {
    this.totalMs = (seconds * 1000) / timeScale;
    this.elapsedMs = 0;
    this.startedAt = null;
  }

  start(now) {
    if (this.startedAt === null) this.startedAt = now;
  }

  pause(now) {
    if (this.startedAt !== null) {
      this.elapsedMs += now - this.startedAt;
      this.startedAt = null;
    }
  }

  get running() {
    return this.startedAt !== null;
  }

  elapsed(now) {
    const live = this.startedAt === null ? 0 : now - this.startedAt;
    return Math.min(this.totalMs, this.elapsedMs + live);
  }

  // Remaining time in the person's seconds (what the big number shows), rounded up.
  remainingSeconds(now, timeScale = 1) {
    const leftMs = this.totalMs - this.elapsed(now);
    return Math.max(0, Math.ceil((leftMs * timeScale) / 1000 - 1e-9));
  }

  done(now) {
    return this.elapsed(now) >= this.totalMs;
  }
}

// Where a paced rep set stands: how many reps are complete and which phase the current one is in.
export function pacedPosition(elapsedMs, step, timeScale = 1) {
  const repMs = (repSeconds(step) * 1000) / timeScale;
  const done = Math.min(step.reps, Math.floor(elapsedMs / repMs));
  const into = (elapsedMs - done * repMs) * timeScale / 1000;
  let phase = "up";
  if (into >= REP_PHASE_S) phase = step.hold_s ? "hold" : "down";
  if (into >= REP_PHASE_S + (step.hold_s || 0)) phase = "down";
  return { done, phase };
}

// What the finished work steps of one exercise add up to, in the shape of a session entry.
export function summarise(exercise, steps, results) {
  const perSet = new Map();
  steps.forEach((step, i) => {
    if (step.kind === "rest" || step.kind === "rate") return;
    const r = results[i];
    if (!r) return;
    const cur = perSet.get(step.set);
    const value = step.kind === "reps" ? r.reps : r.seconds;
    // Per-side sets record the weaker side: the dose counts only what both sides did.
    perSet.set(step.set, cur === undefined ? value : Math.min(cur, value));
  });
  const sets = [...perSet.keys()].sort((a, b) => a - b);
  const values = sets.map((s) => perSet.get(s));
  const entry = { exercise_id: exercise.id, sets_done: sets.length };
  const first = steps.find((s) => s.kind !== "rest" && s.kind !== "rate");
  if (first && first.kind === "reps") {
    entry.reps = values;
    if (exercise.hold_s) entry.hold_s = values.map(() => exercise.hold_s);
  } else if (first && first.kind === "hold") {
    entry.hold_s = values;
  } else if (first && first.kind === "timed") {
    entry.minutes = Math.round(values.reduce((a, b) => a + b, 0) / 60);
  }
  if (exercise.sides && exercise.sides.length) {
    entry.side = exercise.sides.length > 1 ? "both" : exercise.sides[0];
  }
  return entry;
}
