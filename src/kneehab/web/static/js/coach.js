// The camera coach in the guided session (issue 13). The pose model runs in this page (npm
// @mediapipe/pose, served by kneehab at /pose/); only joint positions go to the server, over the
// WebSocket /api/v1/live, where the same motion core as `kneehab analyze` counts. No picture leaves
// the device. Everything here is optional: when the camera is refused or tracking is poor, the tap
// counter of the player carries on.

const BONES = [
  [11, 12], [11, 23], [12, 24], [23, 24], [11, 13], [13, 15], [12, 14], [14, 16],
  [23, 25], [25, 27], [27, 29], [29, 31], [27, 31], [24, 26], [26, 28], [28, 30], [30, 32], [28, 32],
];
const CHECK_WORDS = {
  in_view: ["Your hips, knees and ankles are in view", "Step back until your feet are in the picture"],
  view: ["The camera sees you from the right side", ""],
  light: ["Enough light", "Add light, or move so the light is in front of you"],
  one_person: ["Only you are in view", "Make sure only you are in the picture"],
};
const VIEW_FIX = { side: "Turn side-on to the camera", front: "Face the camera" };
const MAX_RECONNECTS = 3;
const MAX_VIDEO_S = 600; // "Check a recording" looks at 10 minutes of a video at most

// Seek a video and wait until the picture there is ready (or 10 s: a seek that never ends ends here).
function seekTo(video, t) {
  return new Promise((resolve) => {
    const done = () => { window.clearTimeout(timer); video.removeEventListener("seeked", done); resolve(); };
    const timer = window.setTimeout(done, 10000);
    video.addEventListener("seeked", done);
    video.currentTime = t;
  });
}

const $ = (root, sel) => root.querySelector(sel);

function socketUrl(path) {
  const scheme = window.location.protocol === "https:" ? "wss" : "ws";
  return `${scheme}://${window.location.host}${path}`;
}

// One WebSocket set: start → frames → end, reconnecting (resume) if the connection drops.
class LiveSet {
  constructor(url, start, onMessage, onGone) {
    this.url = url;
    this.start = start;
    this.onMessage = onMessage;
    this.onGone = onGone;
    this.token = null;
    this.ready = false;
    this.ended = false;
    this.tries = 0;
    this.queue = [];
    this.connect();
  }

  connect() {
    const ws = new WebSocket(this.url);
    this.ws = ws;
    ws.addEventListener("open", () => {
      const start = this.token ? { ...this.start, resume: this.token } : this.start;
      ws.send(JSON.stringify(start));
    });
    ws.addEventListener("message", (ev) => {
      let msg;
      try { msg = JSON.parse(ev.data); } catch (e) { return; }
      if (msg.type === "ready") {
        this.token = msg.resume;
        this.ready = true;
        this.tries = 0;
        this.queue.splice(0).forEach((m) => ws.send(m));
      }
      this.onMessage(msg);
    });
    ws.addEventListener("close", (ev) => {
      this.ready = false;
      if (this.ended || ev.code === 1000) return;
      // A dropped connection (no 4xxx refusal): resume the same set a few times, then give up.
      if (ev.code < 4000 && this.token && this.tries < MAX_RECONNECTS) {
        this.tries += 1;
        window.setTimeout(() => this.connect(), 500 * this.tries);
        return;
      }
      this.onGone(ev.code, ev.reason);
    });
  }

  send(obj) {
    const text = JSON.stringify(obj);
    if (this.ready && this.ws.readyState === WebSocket.OPEN) this.ws.send(text);
    else if (this.queue.length < 300) this.queue.push(text);
  }

  frame(t, landmarks) { this.send({ type: "frame", t, landmarks }); }

  end() { this.send({ type: "end" }); }

  close() {
    this.ended = true;
    try { this.ws.close(1000, "done"); } catch (e) { /* already closed */ }
  }
}

export class Coach {
  constructor(root, player) {
    this.root = root;
    this.player = player;
    this.liveUrl = root.dataset.liveUrl;
    this.poseUrl = root.dataset.poseUrl;
    this.testMode = root.dataset.test === "1";
    this.el = {};
    root.querySelectorAll("[data-c]").forEach((n) => { this.el[n.dataset.c] = n; });
    this.checks = {};
    root.querySelectorAll("[data-check]").forEach((n) => { this.checks[n.dataset.check] = n; });
    this.pose = null;
    this.stream = null;
    this.set = null;
    this.phase = "off"; // off | setup | counting | confirm
    this.injected = false;
    this.waitForStart = false;
    this.dropped = 0;
    this.el.go.addEventListener("click", () => this.startCounting());
    this.el.finish.addEventListener("click", () => this.finishSet());
    this.el.taps.addEventListener("click", () => this.close("Counting with taps."));
    this.el.minus.addEventListener("click", () => this.adjust(-1));
    this.el.plus.addEventListener("click", () => this.adjust(1));
    this.el.save.addEventListener("click", () => this.saveCount());
    this.el.file.addEventListener("change", () => this.checkRecording());
    if (this.testMode) window.kneehabCoach = this; // browser tests feed recorded landmarks here
  }

  get open() { return this.phase !== "off"; }

  // ---- opening: camera, pose model, set-up checks ---------------------------------------------
  async begin(step, ex) {
    this.step = step;
    this.ex = ex;
    this.reset();
    this.showFileOnly(false);
    this.root.hidden = false;
    this.el.title.focus();
    this.say("Setting up the camera.");
    if (!this.injected) {
      try {
        await this.startCamera();
      } catch (err) {
        this.fileOnly();
        return;
      }
    }
    this.phase = "setup";
    this.openSet();
    this.el.status.textContent = "Get into the starting position. The checks turn green when I can see you well.";
  }

  // No camera (refused, or none there): the coach stays open for "Check a recording" only, and the
  // player's taps and timer go on as before (a tap closes the coach, as it does with a camera).
  fileOnly() {
    this.phase = "file";
    this.showFileOnly(true);
    this.el.status.textContent = "";
    this.el.nocam.focus();
    this.player.sound.speak(this.el.nocam.textContent);
  }

  showFileOnly(on) {
    this.noCamera = on;
    this.el.nocam.hidden = !on;
    this.el.checks.hidden = on;
    this.el.view.hidden = on;
    this.el.go.hidden = on;
  }

  reset() {
    this.counted = 0;
    this.held = 0;
    this.holdFrom = null;
    this.inward = [];
    this.lost = false;
    this.summary = null;
    this.el.fallback.hidden = true;
    this.el.confirm.hidden = true;
    // The last set's summary must not linger: the next one is written only when its summary arrives.
    this.el.counted.textContent = "";
    this.el.value.textContent = "";
    this.el.go.hidden = false;
    this.el.go.disabled = true;
    this.el.finish.hidden = true;
    this.el.cue.textContent = "";
    this.el.why.textContent = "";
    Object.entries(this.checks).forEach(([key, li]) => this.showCheck(key, li, null));
  }

  async loadPose() {
    if (this.pose) return this.pose;
    if (!window.Pose) {
      await new Promise((resolve, reject) => {
        const s = document.createElement("script");
        s.src = `${this.poseUrl}pose.js`;
        s.onload = resolve;
        s.onerror = () => reject(new Error("the pose model could not load"));
        document.head.append(s);
      });
    }
    const pose = new window.Pose({ locateFile: (f) => `${this.poseUrl}${f}` });
    pose.setOptions({ modelComplexity: 1, smoothLandmarks: true, minDetectionConfidence: 0.5, minTrackingConfidence: 0.5 });
    pose.onResults((r) => this.onPose(r));
    this.pose = pose;
    return pose;
  }

  async startCamera() {
    const video = this.el.video;
    if (!this.stream) {
      this.stream = await navigator.mediaDevices.getUserMedia({ video: { width: 640, height: 480, facingMode: "user" }, audio: false });
    }
    video.srcObject = this.stream;
    await video.play();
    await this.loadPose();
    this.source = "camera";
    this.loop = this.runLoop(); // checkRecording waits for its last frame before using the model
  }

  // Camera frames through the pose model: as fast as it goes (test mode: every new frame, once).
  async runLoop() {
    const video = this.el.video;
    this.looping = true;
    this.lastFrame = -1;
    this.tBase = 0;
    while (this.looping && this.stream) {
      if (video.readyState >= 2) {
        const frameNo = this.testMode ? this.markerFrame(video) : null;
        if (frameNo !== null && this.phase === "counting" && this.waitForStart) {
          // a counted set starts at the clip's first frame
          if (frameNo === 0) { this.waitForStart = false; this.lastFrame = -1; }
        } else if (frameNo !== null && frameNo < this.lastFrame) {
          if (this.phase === "counting") this.finishSet(); // the clip looped: the set is over
          else { this.tBase += (this.lastFrame + 1) / this.testFps(); this.lastFrame = -1; }
        }
        if (!this.waitForStart && (frameNo === null || frameNo > this.lastFrame)) {
          if (frameNo !== null && this.lastFrame >= 0) this.dropped += frameNo - this.lastFrame - 1;
          this.frameT = frameNo === null ? performance.now() / 1000 : this.tBase + frameNo / this.testFps();
          if (frameNo !== null) this.lastFrame = frameNo;
          try { await this.pose.send({ image: video }); } catch (e) { /* one bad frame: go on */ }
        }
      }
      await new Promise((r) => window.requestAnimationFrame(r));
    }
  }

  // Test mode only: the fake camera's clip carries its frame number in a strip of 16 black/white
  // squares at the top left, so each clip frame is processed once with its own time, however slow
  // software GL is (the clip is played slowly enough; see tests/e2e/test_camera_coach.py).
  markerFrame(video) {
    const c = this.markerCanvas || (this.markerCanvas = document.createElement("canvas"));
    const cell = Math.round(video.videoWidth / 40);
    c.width = cell * 16;
    c.height = cell;
    const ctx = c.getContext("2d", { willReadFrequently: true });
    ctx.drawImage(video, 0, 0, c.width, c.height, 0, 0, c.width, c.height);
    const px = ctx.getImageData(0, 0, c.width, c.height).data;
    let n = 0;
    for (let i = 0; i < 16; i += 1) {
      const x = i * cell + Math.floor(cell / 2);
      const y = Math.floor(cell / 2);
      const v = px[(y * c.width + x) * 4];
      n = n * 2 + (v > 127 ? 1 : 0);
    }
    return n;
  }

  testFps() { return Number(this.root.dataset.testFps || "30"); }

  // Frames a second checked of a recording (test mode: a test that needs no count may check fewer;
  // software GL in the test browser takes ~2.8 s a frame).
  fileFps() {
    const test = this.testMode ? Number(this.root.dataset.testFileFps || "0") : 0;
    return test > 0 ? test : 15;
  }

  // How much of a recording is checked (test mode: a test may set less, to see the limit reached).
  maxVideoS() {
    const test = this.testMode ? Number(this.root.dataset.testMaxVideoS || "0") : 0;
    return test > 0 ? test : MAX_VIDEO_S;
  }

  onPose(results) {
    const lm = results.poseLandmarks
      ? results.poseLandmarks.map((p) => [p.x, p.y, p.z, p.visibility === undefined ? 0 : p.visibility])
      : [];
    this.draw(lm);
    if (this.set && this.phase !== "confirm") this.set.frame(this.frameT, lm);
  }

  // Test mode only: recorded landmarks, as the pose model would give them (no camera needed).
  inject(frames) {
    frames.forEach((f) => {
      this.draw(f.landmarks);
      if (this.set && this.phase !== "confirm") this.set.frame(f.t, f.landmarks);
    });
  }

  useInjected(width, height) {
    this.injected = true;
    this.size = { width, height };
  }

  draw(lm) {
    const canvas = this.el.canvas;
    const video = this.el.video;
    const w = (this.size && this.injected) ? this.size.width : (video.videoWidth || 640);
    const h = (this.size && this.injected) ? this.size.height : (video.videoHeight || 480);
    if (canvas.width !== w) canvas.width = w;
    if (canvas.height !== h) canvas.height = h;
    const ctx = canvas.getContext("2d");
    ctx.clearRect(0, 0, w, h);
    if (!lm.length) return;
    ctx.lineWidth = Math.max(3, w / 160);
    ctx.strokeStyle = "#00e0a0";
    BONES.forEach(([a, b]) => {
      if (lm[a][3] < 0.5 || lm[b][3] < 0.5) return;
      ctx.beginPath();
      ctx.moveTo(lm[a][0] * w, lm[a][1] * h);
      ctx.lineTo(lm[b][0] * w, lm[b][1] * h);
      ctx.stroke();
    });
  }

  frameSize() {
    if (this.injected && this.size) return this.size;
    const v = this.el.video;
    return { width: v.videoWidth || 640, height: v.videoHeight || 480 };
  }

  openSet() {
    if (this.set) this.set.close();
    const { width, height } = this.frameSize();
    this.set = new LiveSet(
      socketUrl(this.liveUrl),
      { type: "start", exercise: this.ex.id, width, height },
      (msg) => this.onMessage(msg),
      (code, reason) => this.onGone(code, reason),
    );
  }

  // ---- what the server says -------------------------------------------------------------------
  onMessage(msg) {
    if (msg.type === "ready") {
      this.wantView = msg.want_view;
      this.hasHold = msg.has_hold;
    } else if (msg.type === "status") this.onStatus(msg);
    else if (this.phase !== "counting" && msg.type !== "summary") return; // set-up: only the checks matter
    else if (msg.type === "rep") this.onRep(msg);
    else if (msg.type === "hold") this.onHold(msg);
    else if (msg.type === "cue") this.onCue(msg);
    else if (msg.type === "quality") this.onQuality(msg);
    else if (msg.type === "summary") this.onSummary(msg);
  }

  onStatus(msg) {
    if (this.phase === "setup") {
      const checks = msg.checks;
      Object.entries(this.checks).forEach(([key, li]) => this.showCheck(key, li, checks[key], msg.want_view));
      const ok = Object.values(checks).every(Boolean);
      if (ok && this.el.go.disabled) this.say("All set. Press start counting when you are ready.");
      this.el.go.disabled = !ok;
    } else if (this.phase === "counting" && this.holdFrom !== null && msg.holding) {
      this.showHold(this.held + msg.held_s);
    }
  }

  showCheck(key, li, ok, wantView) {
    const [good, bad] = CHECK_WORDS[key];
    let text = ok ? good : bad;
    if (key === "view") text = ok ? good : (VIEW_FIX[wantView] || "Turn so the camera sees you from the right side");
    if (ok === null || ok === undefined) text = "Checking…";
    li.textContent = text;
    li.className = ok ? "check ok" : (ok === false ? "check bad" : "check");
    li.dataset.ok = ok === true ? "yes" : (ok === false ? "no" : "");
  }

  startCounting() {
    if (this.phase !== "setup") return;
    this.player.sound.unlock();
    this.phase = "counting";
    this.el.go.hidden = true;
    this.el.finish.hidden = false;
    this.waitForStart = this.testMode && this.source === "camera";
    this.tBase = 0;
    this.dropped = 0;
    this.openSet(); // a fresh set on the server: nothing from the set-up is counted
    this.el.status.textContent = this.step.kind === "reps" ? "Counting. Go at your own pace." : "Get into the hold: the time runs only while you hold it.";
    this.player.showCameraCount(0, this.step);
    this.say("Go.");
    this.el.finish.focus();
  }

  onRep(msg) {
    this.counted = msg.count;
    this.player.showCameraCount(this.counted, this.step);
    this.say(String(this.counted));
    if (this.step.kind === "reps" && this.counted >= this.step.reps) this.finishSet();
  }

  onHold(msg) {
    if (msg.kind === "hold_started") this.holdFrom = msg.start_s;
    else if (msg.kind === "hold_tick") this.showHold(this.held + msg.held_s);
    else if (msg.kind === "hold_ended") {
      this.held += msg.duration_s;
      this.holdFrom = null;
      this.showHold(this.held);
    }
  }

  showHold(seconds) {
    if (this.step.kind === "reps") return;
    this.player.showCameraHold(seconds, this.step);
    if (seconds >= this.step.seconds) this.finishSet();
  }

  onCue(msg) {
    // The knee-inward cue (RULES §7.3) and the other form cues: the server keeps one at a time, with a cooldown.
    this.el.cue.textContent = msg.message;
    this.el.why.textContent = (msg.rules && msg.rules.length) ? `why: ${msg.rules.join(" · ")}` : "";
    if (msg.code === "knee_valgus") this.inward.push(this.counted);
    this.say(msg.message);
  }

  onQuality(msg) {
    if (!msg.fallback) {
      this.el.cue.textContent = msg.message;
      this.el.why.textContent = "";
      return;
    }
    // Tracking is not good enough to trust: say so loudly and hand back to the taps.
    this.lost = true;
    this.problem = msg.code;
    this.el.fallback.hidden = false;
    this.say(msg.say);
    this.finishSet();
  }

  onGone(code, reason) {
    if (this.phase === "off") return;
    this.el.fallback.hidden = false;
    this.el.status.textContent = `The connection to kneehab was lost (${reason || code}). Count with taps.`;
    this.lost = true;
    this.finishSet(true);
  }

  // ---- the end of a set: summary, correction, saving -----------------------------------------------
  finishSet(noSummary = false) {
    if (this.phase !== "counting") return;
    this.phase = "confirm";
    this.el.finish.hidden = true;
    if (this.set && !noSummary) this.set.end();
    else this.onSummary(null);
  }

  onSummary(msg) {
    this.summary = msg;
    if (this.set) { this.set.close(); this.set = null; }
    this.stopCamera();
    const kind = this.step.kind;
    this.value = kind === "reps" ? Math.min(this.counted, this.step.reps) : Math.floor(this.held);
    this.el.confirm.hidden = false;
    this.showValue();
    const unit = kind === "reps" ? "reps" : "seconds held";
    const trust = this.lost || (msg && !msg.reliable)
      ? " I could not see you clearly all the time, so please check it."
      : "";
    const held = kind === "reps" && msg && msg.hold_s !== null && msg.hold_s !== undefined && msg.hold_s > 0
      ? `, held ${msg.hold_s} s at the top` : "";
    this.el.counted.textContent = `${kind === "reps" ? this.counted : this.value} ${unit}${held}.${trust}`;
    this.el.save.focus();
  }

  adjust(delta) {
    const max = this.step.kind === "reps" ? this.step.reps : this.step.seconds;
    this.value = Math.max(0, Math.min(max, this.value + delta));
    this.showValue();
  }

  showValue() {
    const unit = this.step.kind === "reps" ? "reps" : "seconds";
    this.el.value.textContent = `${this.value} ${unit}`;
  }

  saveCount() {
    const s = this.summary;
    const record = {
      set: this.step.set,
      reps: s ? s.reps : this.counted,
      hold_s: s && s.hold_s !== null && s.hold_s !== undefined ? s.hold_s : (this.step.kind === "reps" ? null : this.held),
      knee_inward: s ? s.warnings.filter((w) => w.code === "knee_valgus").map((w) => this.repAt(s, w.t_s)) : this.inward,
      reliable: !this.lost && !!(s && s.reliable),
      problems: s ? s.quality.problems : (this.problem ? [this.problem] : []),
    };
    const corrected = this.value;
    this.phase = "off";
    this.root.hidden = true;
    this.player.cameraDone(record, corrected);
  }

  repAt(summary, t) {
    // The rep a knee-inward cue belongs to: the last rep that ended at or before it.
    const reps = summary.per_rep.filter((r) => r.end_s <= t + 0.01);
    return reps.length ? reps[reps.length - 1].index : 0;
  }

  close(message) {
    if (this.set) { this.set.close(); this.set = null; }
    this.stopCamera();
    this.phase = "off";
    this.root.hidden = true;
    if (message) this.player.announce(message);
    this.player.cameraClosed();
  }

  stopCamera() {
    this.looping = false;
    const stream = this.stream;
    this.stream = null;
    // The loop's frame may still be in the pose model, which reads the video when it gets to it: a video
    // emptied under it (no size) aborts the model for good. So the camera stops after that frame.
    const detach = () => {
      if (stream) stream.getTracks().forEach((t) => t.stop());
      if (this.el.video.srcObject === stream) this.el.video.srcObject = null;
    };
    if (this.loop) this.loop.then(detach); else detach();
  }

  say(text) {
    this.el.status.textContent = text;
    this.player.sound.speak(text);
  }

  // ---- "Check a recording": a video file analysed in this page, never uploaded ------------------------
  async checkRecording() {
    const input = this.el.file;
    const file = input.files && input.files[0];
    if (!file || this.phase === "off" || this.checking) return;
    this.checking = true;
    input.disabled = true;
    try {
      await this.analyseFile(file);
    } finally {
      this.checking = false;
      input.disabled = false;
      input.value = ""; // the same file may be picked again
    }
  }

  async analyseFile(file) {
    const video = this.el.video;
    this.stopCamera();
    // The camera's last frame may still be in the pose model: let it finish, so the model is not given
    // two pictures at once, nor a video emptied under it, and no camera frame lands in the recording's
    // set (out of order: refused).
    if (this.loop) await this.loop;
    this.el.status.textContent = "Checking the recording in this page (it is not uploaded)…";
    try { await this.loadPose(); } catch (e) { this.el.status.textContent = "The pose model could not load here."; return; }
    const url = URL.createObjectURL(file);
    video.srcObject = null;
    video.muted = true;
    video.src = url;
    // A file this browser cannot play (or the page's policy refuses) fires `error`, never `loadeddata`.
    const playable = await new Promise((r) => {
      video.onloadeddata = () => r(true);
      video.onerror = () => r(false);
    });
    video.onloadeddata = null;
    video.onerror = null;
    if (!playable || !(video.duration > 0)) {
      URL.revokeObjectURL(url);
      video.removeAttribute("src");
      this.el.status.textContent = "This video cannot be played in this browser. Try another video, or count with taps.";
      if (!this.injected && !this.noCamera) { try { await this.startCamera(); } catch (e) { /* the taps remain */ } }
      return;
    }
    const duration = await this.findDuration(video);
    this.reset();
    this.el.view.hidden = false;
    this.phase = "counting";
    this.el.go.hidden = true;
    this.openSet();
    const fps = this.fileFps();
    const cap = this.maxVideoS();
    const end = Math.min(duration, cap);
    const w0 = performance.now();
    let t = 0;
    let shown = -1;
    for (; t < end && this.phase === "counting"; t += 1 / fps) {
      // never faster than real time (the server refuses frames that run ahead of it)
      const ahead = t - (performance.now() - w0) / 1000;
      if (ahead > 0.5) await new Promise((r) => window.setTimeout(r, (ahead - 0.5) * 1000));
      await seekTo(video, t);
      // Past the end of a video whose length was never found, its time stops moving: the end.
      if (!(video.currentTime > shown)) break;
      shown = video.currentTime;
      this.frameT = t;
      try { await this.pose.send({ image: video }); } catch (e) { /* skip a frame */ }
      if (video.ended) break;
    }
    URL.revokeObjectURL(url);
    if (duration > cap && t >= cap && this.phase === "counting") {
      const span = cap >= 60 ? `${Math.round(cap / 60)} minutes` : `${cap} seconds`;
      this.el.status.textContent = `This video is longer than ${span}, so I checked only its first ${span}.`;
    }
    this.finishSet();
  }

  // A WebM made by a browser's own recorder (MediaRecorder) does not say how long it is: `duration` is
  // Infinity until the browser has read to its end. Seeking far past the end makes it find out
  // (durationchange); then back to the start. Infinity when it still cannot tell (the loop's other
  // ends then apply: the time stops moving, or the 10 minutes).
  async findDuration(video) {
    if (Number.isFinite(video.duration)) return video.duration;
    let known = null;
    const found = new Promise((resolve) => {
      known = () => { if (Number.isFinite(video.duration)) resolve(); };
      video.addEventListener("durationchange", known);
    });
    await seekTo(video, 1e101);
    if (!Number.isFinite(video.duration)) await Promise.race([found, new Promise((r) => window.setTimeout(r, 2000))]);
    video.removeEventListener("durationchange", known);
    const duration = video.duration;
    await seekTo(video, 0);
    return duration;
  }
}
