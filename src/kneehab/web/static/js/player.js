// The guided session player: enhances the Today page when JavaScript runs.
// Without it the page still works (one form per exercise). Every finished step is saved to the
// server at once, so closing the tab loses nothing already entered and reopening resumes there.
import { buildSteps, Countdown, pacedPosition, repSeconds, summarise } from "./timing.js";
import { Sound } from "./sound.js";
import { Coach } from "./coach.js";

const $ = (root, sel) => root.querySelector(sel);

// Issue 10 §2: every write carries the session's CSRF token, which the page holds in a meta tag.
function jsonHeaders() {
  const meta = document.querySelector('meta[name="csrf-token"]');
  const headers = { "Content-Type": "application/json" };
  if (meta) headers["X-CSRF-Token"] = meta.content;
  return headers;
}

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
      camera: $(root, "[data-p=camera]"),
    };
    // The camera coach (issue 13), when the pose model is installed; its counts per exercise and set.
    const coachRoot = $(root, "[data-p=coach]");
    this.coach = coachRoot ? new Coach(coachRoot, this) : null;
    this.cameraSets = {};
    this.stopExercise = document.querySelector("[data-stop-exercise]");
    this.stopFields = {};
    document.querySelectorAll("[data-stop]").forEach((n) => { this.stopFields[n.dataset.stop] = n; });
    this.savedAt = 0;
  }

  // ---- lifecycle -------------------------------------------------------------------------
  begin(saved) {
    this.el.mute.textContent = this.sound.muted ? "Sound off" : "Sound on";
    this.el.mute.setAttribute("aria-pressed", String(!this.sound.muted));
    if (saved && saved.signature === this.plan.signature) {
      this.results = saved.results || {};
      this.cameraSets = saved.camera || {};
      this.index = Math.min(saved.step || 0, this.steps.length);
    }
    this.root.hidden = false;
    document.querySelectorAll("[data-player-hide]").forEach((n) => { n.hidden = true; });
    this.bind();
    this.keepAwake();
    this.show();
  }

  bind() {
    this.el.main.addEventListener("click", () => this.primary());
    this.el.pace.addEventListener("click", () => this.togglePace());
    this.el.camera.addEventListener("click", () => this.openCoach());
    this.el.pause.addEventListener("click", () => this.togglePause());
    this.el.back.addEventListener("click", () => this.back());
    this.el.skip.addEventListener("click", () => this.skip());
    this.el.mute.addEventListener("click", () => this.toggleMute());
    this.el.rate.addEventListener("submit", (ev) => { ev.preventDefault(); this.submitRating(); });
    // "Stop — it hurts" takes the exercise on screen and what was done of it, up to this moment.
    const stopForm = document.querySelector("form.stop-bar");
    if (stopForm) stopForm.addEventListener("submit", () => this.fillStop());
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

  // What was done of the exercise on screen, as done: each set begun with its count (a stop after 2 of
  // 10 reps is one set of 2 reps, a stop 12 s into a hold one hold of 12 s), in a session entry's shape.
  doneSoFar() {
    const step = this.step;
    if (!step) return null;
    const own = [];
    const results = {};
    this.steps.forEach((s, i) => {
      if (s.exerciseIndex !== step.exerciseIndex) return;
      const r = this.results[i];
      if (r && (r.reps || r.seconds)) results[own.length] = r;
      if (i === this.index && !r && this.timer && (s.kind === "hold" || s.kind === "timed")) {
        const held = Math.floor((this.timer.elapsed(performance.now()) * this.timeScale) / 1000);
        if (held > 0) results[own.length] = { seconds: held };
      }
      own.push(s);
    });
    return summarise(this.exercise(), own, results);
  }

  fillStop() {
    if (this.root.hidden || this.index >= this.steps.length) return;
    const done = this.doneSoFar();
    if (this.stopExercise) this.stopExercise.value = this.exercise().id;
    const f = this.stopFields;
    if (f.sets_done) f.sets_done.value = String(done.sets_done);
    if (f.reps) f.reps.value = (done.reps || []).join(",");
    if (f.hold_s) f.hold_s.value = (done.hold_s || []).join(",");
    if (f.minutes) f.minutes.value = done.minutes ? String(done.minutes) : "";
  }

  // A step the player passes by: any step of an exercise left for today by "Stop — it hurts", and the
  // rating of an exercise whose every set was skipped (skipped means not rated, and nothing is saved).
  passes(i) {
    const s = this.steps[i];
    if (!s) return false;
    if (this.plan.exercises[s.exerciseIndex].left_today) return true;
    if (s.kind !== "rate") return false;
    return !this.steps.some((o, j) => o.exerciseIndex === s.exerciseIndex && j < i
      && o.kind !== "rest" && this.results[j] && (this.results[j].reps || this.results[j].seconds));
  }

  setMain(label, keyHint = false) {
    // The space bar is offered only where there is a keyboard: the hint hides on a touch screen or a
    // phone-sized window (CSS: .kbd-hint).
    this.el.main.replaceChildren(document.createTextNode(label));
    if (keyHint) {
      const hint = document.createElement("span");
      hint.className = "kbd-hint";
      hint.textContent = " (space bar)";
      this.el.main.append(hint);
    }
  }

  exercise(step = this.step) { return this.plan.exercises[step.exerciseIndex]; }

  // ---- rendering -------------------------------------------------------------------------
  show() {
    this.stopTimer();
    if (this.coach && this.coach.open) this.coach.close();
    this.pacing = false;
    this.paused = false;
    this.el.pause.textContent = "Pause";
    this.el.pause.setAttribute("aria-pressed", "false");
    while (this.index < this.steps.length && this.passes(this.index)) this.index += 1;
    if (this.index >= this.steps.length) { this.finish(); return; }
    const step = this.step;
    const ex = this.exercise();
    this.fillStop();
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
      // The panels in words under the drawing (the file has none: they were ~9 px on a phone).
      if (ex.figure_steps && ex.figure_steps.length) {
        const steps = document.createElement("ol");
        steps.className = "figure-steps";
        ex.figure_steps.forEach((words, i) => {
          const li = document.createElement("li");
          li.textContent = `${i + 1}. ${words}`;
          steps.append(li);
        });
        this.el.figure.append(steps);
      }
    }
    const total = this.plan.exercises.length;
    this.el.progress.textContent = `Exercise ${step.exerciseIndex + 1} of ${total}`;
    this.el.work.hidden = step.kind === "rate";
    this.el.rate.hidden = step.kind !== "rate";
    this.el.pace.hidden = step.kind !== "reps";
    this.el.camera.hidden = !(this.coach && ex.camera && (step.kind === "reps" || step.kind === "hold"));
    this.el.back.disabled = this.index === 0;
    const side = step.side ? ` · ${step.side} leg` : "";
    this.el.where.textContent = step.kind === "rate"
      ? "How did that feel?"
      : `Set ${step.set} of ${step.sets}${side}`;
    this.root.dataset.kind = step.kind;
    if (step.kind === "rate") this.showRate(ex);
    else if (step.kind === "rest") this.showRest(step);
    else if (step.kind === "reps") this.showReps(step, ex);
    else this.showHold(step, ex);
    this.focusStep();
  }

  // The whole step in view (the player's top at the top of the screen) and the keyboard on its main
  // control: the Start / Count button, or the first pain choice when rating.
  focusStep() {
    this.root.scrollIntoView({ block: "start" });
    const target = this.step && this.step.kind === "rate"
      ? this.el.rate.querySelector("input")
      : this.el.main;
    if (target) target.focus({ preventScroll: true });
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
    this.setMain("Count a rep", true);
    this.el.pace.textContent = "Pace me with a beat";
    const side = step.side ? `, ${step.side} leg` : "";
    this.announce(`${ex.name}. Set ${step.set} of ${step.sets}${side}. ${step.reps} reps.`);
  }

  showHold(step, ex) {
    this.timer = new Countdown(step.seconds, this.timeScale);
    this.el.big.textContent = String(step.seconds);
    this.el.unit.textContent = step.kind === "timed" ? "seconds to go" : "seconds hold";
    this.setMain(step.kind === "timed" ? "Start" : "Start hold", true);
    const side = step.side ? `, ${step.side} leg` : "";
    this.announce(`${ex.name}. Set ${step.set} of ${step.sets}${side}. Get into position, then start.`);
  }

  showRest(step) {
    this.timer = new Countdown(step.seconds, this.timeScale);
    this.el.big.textContent = String(step.seconds);
    this.el.unit.textContent = "seconds rest";
    this.setMain("Skip the rest", true);
    this.el.where.textContent = `Rest · next: set ${step.set + 1} of ${step.sets}`;
    this.announce(`Rest. Next, set ${step.set + 1} of ${step.sets}.`);
    this.runTimer(() => { this.sound.beep(660); this.advance(); });
  }

  showRate(ex) {
    this.el.rate.reset();
    this.el.rateError.textContent = "";
    this.el.rate.querySelector("[data-p=rate-name]").textContent = ex.name;
    this.announce(`${ex.name} done. How much did it hurt, and how hard was it?`);
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
    // A tap (or the space bar) while the camera counts hands the set back to the taps, one tap away.
    if (this.coach && this.coach.open) this.coach.close("Counting with taps.");
    const step = this.step;
    this.sound.unlock();
    if (step.kind === "reps") return this.countRep();
    if (step.kind === "rest") { this.stopTimer(); return this.advance(); }
    if (step.kind === "hold" || step.kind === "timed") {
      if (this.timer.running || this.tick !== null) return;
      this.setMain("Holding…");
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
      return;
    }
    this.fillStop();
    this.saveSoon();
  }

  // Every count is kept: saved at most once a second while counting (and at once when the tab hides),
  // so a resume comes back to the same count.
  saveSoon() {
    const now = performance.now();
    if (now - this.savedAt < 1000) {
      if (!this.pendingSave) {
        this.pendingSave = window.setTimeout(() => { this.pendingSave = null; this.saveSoon(); }, 1000);
      }
      return;
    }
    this.savedAt = now;
    this.saveState();
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
          if (r.reps < step.reps) { this.fillStop(); this.saveSoon(); }
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
    while (i > 0 && (this.steps[i].kind === "rest" || this.passes(i))) i -= 1;
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

  // ---- the camera coach (coach.js calls these) ---------------------------------------------
  openCoach() {
    if (!this.coach || this.paused) return;
    this.sound.unlock();
    this.stopTimer();
    this.pacing = false;
    this.coach.begin(this.step, this.exercise());
  }

  showCameraCount(n, step) {
    const r = this.results[this.index] || { reps: 0 };
    r.reps = Math.min(step.reps, n);
    this.results[this.index] = r;
    this.el.big.textContent = `${n} / ${step.reps}`;
    this.el.say.textContent = `${n}`;
    this.fillStop();
    this.saveSoon();
  }

  showCameraHold(seconds, step) {
    const left = Math.max(0, step.seconds - Math.floor(seconds));
    this.el.big.textContent = String(left);
    this.el.unit.textContent = "seconds to hold · the time runs only while you hold";
  }

  // The person confirmed (or corrected) the camera's count: the set is done with that count, and the
  // camera's own numbers go with the exercise's entry when it is saved.
  cameraDone(record, value) {
    const step = this.step;
    const own = this.cameraSets[step.exerciseIndex] || [];
    this.cameraSets[step.exerciseIndex] = [...own, record].slice(-10);
    this.results[this.index] = step.kind === "reps" ? { reps: value } : { seconds: value };
    this.announce(step.kind === "reps" ? `${value} reps saved.` : `${value} seconds saved.`);
    this.advance();
  }

  cameraClosed() {
    if (this.step && this.step.kind === "reps") {
      const r = this.results[this.index] || { reps: 0 };
      this.el.big.textContent = `${r.reps} / ${this.step.reps}`;
    }
    this.el.main.focus({ preventScroll: true });
  }

  // ---- saving ----------------------------------------------------------------------------
  stateBody() {
    return JSON.stringify({ state: { signature: this.plan.signature, step: this.index, results: this.results, camera: this.cameraSets } });
  }

  saveState() {
    // keepalive lets the last save of a closing tab finish (sendBeacon cannot carry the CSRF header).
    return fetch(this.plan.state_url, {
      method: "POST", headers: jsonHeaders(), body: this.stateBody(), keepalive: true,
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
    const camera = this.cameraSets[this.step.exerciseIndex];
    if (camera && camera.length && !entry.skipped) entry.camera = camera.slice(0, 10);
    const res = await fetch(this.plan.entry_url, {
      method: "POST", headers: { ...jsonHeaders(), Accept: "application/json" },
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
