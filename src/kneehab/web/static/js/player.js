// The guided session player: enhances the Today page when JavaScript runs.
// Without it the page still works (one form per exercise). Every finished step is saved to the
// server at once, so closing the tab loses nothing already entered and reopening resumes there.
import { buildSteps, Countdown, pacedPosition, repSeconds, summarise } from "./timing.js";
import { Sound } from "./sound.js";

const $ = (root, sel) => root.querySelector(sel);

class Player {
  constructor(root) {
    this.root = root;
    this.plan = JSON.parse(root.dataset.plan);
    this.timeScale = Number(root.dataset.timeScale || "1");
    this.steps = buildSteps(this.plan);
    this.results = {};
    this.index = 0;
    this.timer = null;
    this.pacing = false;
    this.paused = false;
    this.tick = null;
    this.sound = new Sound(root.dataset.muted === "true");
    this.el = {
      block: $(root, "[data-p=block]"),
      name: $(root, "[data-p=name]"),
      figure: $(root, "[data-p=figure]"),
      cue: $(root, "[data-p=cue]"),
      where: $(root, "[data-p=where]"),
      big: $(root, "[data-p=big]"),
      unit: $(root, "[data-p=unit]"),
      say: $(root, "[data-p=say]"),
      main: $(root, "[data-p=main]"),
      pace: $(root, "[data-p=pace]"),
      pause: $(root, "[data-p=pause]"),
      back: $(root, "[data-p=back]"),
      skip: $(root, "[data-p=skip]"),
      mute: $(root, "[data-p=mute]"),
      work: $(root, "[data-p=work]"),
      rate: $(root, "[data-p=rate]"),
      rateError: $(root, "[data-p=rate-error]"),
      done: $(root, "[data-p=done]"),
      progress: $(root, "[data-p=progress]"),
    };
    this.stopExercise = document.querySelector("[data-stop-exercise]");
    this.stopSets = document.querySelector("[data-stop-sets]");
  }

  // ---- lifecycle -------------------------------------------------------------------------
  begin(saved) {
    this.el.mute.textContent = this.sound.muted ? "Sound off" : "Sound on";
    this.el.mute.setAttribute("aria-pressed", String(!this.sound.muted));
    if (saved && saved.signature === this.plan.signature) {
      this.results = saved.results || {};
      this.index = Math.min(saved.step || 0, this.steps.length);
    }
    this.root.hidden = false;
    document.querySelectorAll("[data-player-hide]").forEach((n) => { n.hidden = true; });
    this.bind();
    this.keepAwake();
    this.show();
    this.el.main.focus();
  }

  bind() {
    this.el.main.addEventListener("click", () => this.primary());
    this.el.pace.addEventListener("click", () => this.togglePace());
    this.el.pause.addEventListener("click", () => this.togglePause());
    this.el.back.addEventListener("click", () => this.back());
    this.el.skip.addEventListener("click", () => this.skip());
    this.el.mute.addEventListener("click", () => this.toggleMute());
    this.el.rate.addEventListener("submit", (ev) => { ev.preventDefault(); this.submitRating(); });
    document.addEventListener("keydown", (ev) => {
      if (ev.key !== " " || this.root.hidden) return;
      const t = ev.target;
      if (t.closest && t.closest("button, input, select, textarea, a, summary")) return;
      ev.preventDefault();
      this.primary();
    });
    document.addEventListener("visibilitychange", () => {
      if (document.visibilityState === "visible") this.keepAwake();
      else this.saveState(true);
    });
    window.addEventListener("pagehide", () => this.saveState(true));
  }

  async keepAwake() {
    try {
      if ("wakeLock" in navigator && document.visibilityState === "visible") {
        this.wakeLock = await navigator.wakeLock.request("screen");
      }
    } catch (err) {
      this.wakeLock = null; // not allowed here (battery saver, old browser): the session still works
    }
  }

  get step() { return this.steps[this.index]; }

  // Whole sets finished so far in one exercise (what 'Stop — it hurts' records).
  setsDone(exerciseIndex) {
    const sets = new Set();
    this.steps.forEach((s, i) => {
      if (s.exerciseIndex === exerciseIndex && this.results[i] && s.kind !== "rest" && s.kind !== "rate") sets.add(s.set);
    });
    return sets.size;
  }

  exercise(step = this.step) { return this.plan.exercises[step.exerciseIndex]; }

  // ---- rendering -------------------------------------------------------------------------
  show() {
    this.stopTimer();
    this.pacing = false;
    this.paused = false;
    this.el.pause.textContent = "Pause";
    this.el.pause.setAttribute("aria-pressed", "false");
    if (this.index >= this.steps.length) { this.finish(); return; }
    const step = this.step;
    const ex = this.exercise();
    if (this.stopExercise) this.stopExercise.value = ex.id;
    if (this.stopSets) this.stopSets.value = String(this.setsDone(step.exerciseIndex));
    this.el.block.textContent = ex.block_label;
    this.el.name.textContent = ex.name;
    this.el.cue.textContent = ex.cue;
    this.el.figure.replaceChildren();
    if (ex.figure_url) {
      // The same cached file as the list's picture; decorative here (the name and cue are beside it).
      const img = document.createElement("img");
      img.className = "figure";
      img.src = ex.figure_url;
      img.alt = "";
      this.el.figure.append(img);
    }
    const total = this.plan.exercises.length;
    this.el.progress.textContent = `Exercise ${step.exerciseIndex + 1} of ${total}`;
    this.el.work.hidden = step.kind === "rate";
    this.el.rate.hidden = step.kind !== "rate";
    this.el.pace.hidden = step.kind !== "reps";
    this.el.back.disabled = this.index === 0;
    const side = step.side ? ` · ${step.side} leg` : "";
    this.el.where.textContent = step.kind === "rate"
      ? "How did that feel?"
      : `Set ${step.set} of ${step.sets}${side}`;
    this.root.dataset.kind = step.kind;
    if (step.kind === "rate") return this.showRate(ex);
    if (step.kind === "rest") return this.showRest(step);
    if (step.kind === "reps") return this.showReps(step, ex);
    return this.showHold(step, ex);
  }

  announce(text) {
    this.el.say.textContent = text;
    this.sound.speak(text);
  }

  showReps(step, ex) {
    const r = this.results[this.index] || { reps: 0 };
    this.results[this.index] = r;
    this.el.big.textContent = `${r.reps} / ${step.reps}`;
    this.el.unit.textContent = step.hold_s ? `reps · hold ${step.hold_s} s at the top` : "reps";
    this.el.main.textContent = "Count a rep (space bar)";
    this.el.pace.textContent = "Pace me with a beat";
    const side = step.side ? `, ${step.side} leg` : "";
    this.announce(`${ex.name}. Set ${step.set} of ${step.sets}${side}. ${step.reps} reps.`);
  }

  showHold(step, ex) {
    this.timer = new Countdown(step.seconds, this.timeScale);
    this.el.big.textContent = String(step.seconds);
    this.el.unit.textContent = step.kind === "timed" ? "seconds to go" : "seconds hold";
    this.el.main.textContent = step.kind === "timed" ? "Start" : "Start hold";
    const side = step.side ? `, ${step.side} leg` : "";
    this.announce(`${ex.name}. Set ${step.set} of ${step.sets}${side}. Get into position, then start.`);
  }

  showRest(step) {
    this.timer = new Countdown(step.seconds, this.timeScale);
    this.el.big.textContent = String(step.seconds);
    this.el.unit.textContent = "seconds rest";
    this.el.main.textContent = "Skip the rest";
    this.el.where.textContent = `Rest · next: set ${step.set + 1} of ${step.sets}`;
    this.announce(`Rest. Next, set ${step.set + 1} of ${step.sets}.`);
    this.runTimer(() => { this.sound.beep(660); this.advance(); });
  }

  showRate(ex) {
    this.el.rate.reset();
    this.el.rateError.textContent = "";
    this.el.rate.querySelector("[data-p=rate-name]").textContent = ex.name;
    this.announce(`${ex.name} done. How much did it hurt, and how hard was it?`);
    const first = this.el.rate.querySelector("input");
    if (first) first.focus();
  }

  finish() {
    this.stopTimer();
    this.el.work.hidden = true;
    this.el.rate.hidden = true;
    this.el.done.hidden = false;
    this.el.where.textContent = "";
    this.el.name.textContent = "Session complete";
    this.el.block.textContent = "";
    this.el.cue.textContent = "";
    this.el.figure.innerHTML = "";
    this.el.progress.textContent = "";
    this.root.dataset.kind = "done";
    this.announce("Well done. Today's session is complete.");
    if (this.wakeLock) this.wakeLock.release().catch(() => {});
    this.saveState();
    this.el.done.querySelector("a").focus();
  }

  // ---- timers ----------------------------------------------------------------------------
  runTimer(onDone) {
    const now = performance.now();
    this.timer.start(now);
    this.tick = window.setInterval(() => {
      const t = performance.now();
      const left = this.timer.remainingSeconds(t, this.timeScale);
      if (this.el.big.textContent !== String(left)) {
        this.el.big.textContent = String(left);
        if (left > 0 && left <= 3) this.sound.beep(880, 0.08);
      }
      if (this.timer.done(t)) { this.stopTimer(); onDone(); }
    }, 50);
  }

  stopTimer() {
    if (this.tick !== null) window.clearInterval(this.tick);
    this.tick = null;
  }

  // ---- controls --------------------------------------------------------------------------
  primary() {
    if (this.paused || this.index >= this.steps.length) return;
    const step = this.step;
    this.sound.unlock();
    if (step.kind === "reps") return this.countRep();
    if (step.kind === "rest") { this.stopTimer(); return this.advance(); }
    if (step.kind === "hold" || step.kind === "timed") {
      if (this.timer.running || this.tick !== null) return;
      this.el.main.textContent = "Holding…";
      this.sound.beep(660);
      this.announce(step.kind === "timed" ? "Go." : "Hold.");
      return this.runTimer(() => {
        this.results[this.index] = { seconds: step.seconds };
        this.sound.beep(520, 0.25);
        this.announce("Relax.");
        this.advance();
      });
    }
    return undefined;
  }

  countRep() {
    const step = this.step;
    const r = this.results[this.index];
    r.reps = Math.min(step.reps, r.reps + 1);
    this.el.big.textContent = `${r.reps} / ${step.reps}`;
    this.sound.beep(740, 0.06);
    this.el.say.textContent = `${r.reps}`;
    if (r.reps >= step.reps) {
      this.announce("Set done.");
      this.advance();
    }
  }

  togglePace() {
    const step = this.step;
    if (step.kind !== "reps") return;
    this.sound.unlock();
    if (this.pacing) { this.stopTimer(); this.pacing = false; this.el.pace.textContent = "Pace me with a beat"; return; }
    this.pacing = true;
    this.el.pace.textContent = "Stop the beat";
    const r = this.results[this.index];
    const base = r.reps;
    const remaining = { ...step, reps: step.reps - base };
    this.timer = new Countdown(repSeconds(step) * remaining.reps, this.timeScale);
    this.timer.start(performance.now());
    let last = { done: 0, phase: "" };
    this.tick = window.setInterval(() => {
      const pos = pacedPosition(this.timer.elapsed(performance.now()), remaining, this.timeScale);
      if (pos.phase !== last.phase || pos.done !== last.done) {
        if (pos.done !== last.done) {
          r.reps = base + pos.done;
          this.el.big.textContent = `${r.reps} / ${step.reps}`;
          this.el.say.textContent = `${r.reps}`;
        }
        if (pos.done < remaining.reps) this.sound.beep(pos.phase === "down" ? 520 : 740, 0.06);
        last = pos;
      }
      if (r.reps >= step.reps) {
        this.stopTimer();
        this.pacing = false;
        this.announce("Set done.");
        this.advance();
      }
    }, 50);
  }

  togglePause() {
    const now = performance.now();
    this.paused = !this.paused;
    this.el.pause.textContent = this.paused ? "Resume" : "Pause";
    this.el.pause.setAttribute("aria-pressed", String(this.paused));
    if (!this.timer) return;
    if (this.paused) {
      this.timer.pause(now);
      this.announce("Paused.");
    } else {
      this.timer.start(now);
      this.announce("Go on.");
    }
  }

  back() {
    if (this.index === 0) return;
    let i = this.index - 1;
    while (i > 0 && this.steps[i].kind === "rest") i -= 1;
    delete this.results[i];
    this.index = i;
    this.saveState();
    this.show();
  }

  skip() {
    const step = this.step;
    if (!step || step.kind === "rate") return;
    if (step.kind === "hold" || step.kind === "timed") {
      const held = this.timer ? Math.floor(this.timer.elapsed(performance.now()) * this.timeScale / 1000) : 0;
      if (held > 0) this.results[this.index] = { seconds: held };
    }
    if (step.kind === "reps" && !(this.results[this.index] || {}).reps) delete this.results[this.index];
    this.advance();
  }

  toggleMute() {
    this.sound.setMuted(!this.sound.muted);
    this.el.mute.textContent = this.sound.muted ? "Sound off" : "Sound on";
    this.el.mute.setAttribute("aria-pressed", String(!this.sound.muted));
  }

  advance() {
    this.stopTimer();
    this.index += 1;
    this.saveState();
    this.show();
  }

  // ---- saving ----------------------------------------------------------------------------
  stateBody() {
    return JSON.stringify({ state: { signature: this.plan.signature, step: this.index, results: this.results } });
  }

  saveState(beacon = false) {
    const body = this.stateBody();
    if (beacon && navigator.sendBeacon) {
      navigator.sendBeacon(this.plan.state_url, new Blob([body], { type: "application/json" }));
      return Promise.resolve();
    }
    return fetch(this.plan.state_url, {
      method: "POST", headers: { "Content-Type": "application/json" }, body, keepalive: true,
    }).catch(() => {});
  }

  async submitRating() {
    const form = new FormData(this.el.rate);
    const pain = form.get("pain_during_max");
    if (pain === null) {
      this.el.rateError.textContent = "Please choose how much it hurt, from 0 to 10.";
      return;
    }
    const ex = this.exercise();
    const own = this.steps
      .map((s, i) => [s, i])
      .filter(([s]) => s.exerciseIndex === this.step.exerciseIndex);
    const results = {};
    own.forEach(([, i]) => { if (this.results[i]) results[own.findIndex(([, j]) => j === i)] = this.results[i]; });
    const entry = summarise(ex, own.map(([s]) => s), results);
    entry.pain_during_max = Number(pain);
    const effort = form.get("effort");
    if (effort) entry.effort = effort;
    if (entry.sets_done === 0) entry.skipped = true;
    const res = await fetch(this.plan.entry_url, {
      method: "POST", headers: { "Content-Type": "application/json", Accept: "application/json" },
      body: JSON.stringify(entry),
    }).catch(() => null);
    if (!res || !res.ok) {
      let msg = "Could not save. Check your connection and try again.";
      if (res) { try { msg = (await res.json()).detail || msg; } catch (e) { /* keep msg */ } }
      this.el.rateError.textContent = msg;
      return;
    }
    const saved = await res.json();
    if (saved.next_url) { await this.saveState(); window.location.assign(saved.next_url); return; }
    this.advance();
  }
}

const root = document.getElementById("player");
if (root) {
  const start = document.querySelector("[data-player-start]");
  const resume = document.querySelector("[data-player-resume]");
  const saved = root.dataset.state ? JSON.parse(root.dataset.state) : null;
  const player = new Player(root);
  if (start) {
    start.hidden = false;
    start.addEventListener("click", () => { player.sound.unlock(); player.begin(null); });
  }
  if (resume && saved && saved.signature === player.plan.signature && saved.step > 0) {
    resume.hidden = false;
    resume.addEventListener("click", () => { player.sound.unlock(); player.begin(saved); });
  }
}
