// Beeps (Web Audio) and spoken cues (speech synthesis). Both are optional: a browser without them,
// or a person who mutes them, gets the same session on screen. The choice is remembered on this device.
const KEY = "kneehab.muted";

export class Sound {
  constructor(defaultMuted = false) {
    let stored = null;
    try { stored = window.localStorage.getItem(KEY); } catch (e) { stored = null; }
    this.muted = stored === null ? defaultMuted : stored === "true";
    this.ctx = null;
  }

  setMuted(muted) {
    this.muted = muted;
    try { window.localStorage.setItem(KEY, String(muted)); } catch (e) { /* private mode */ }
    if (muted && window.speechSynthesis) window.speechSynthesis.cancel();
  }

  // Audio may only start after a tap or key press: call this from one.
  unlock() {
    const Ctx = window.AudioContext || window.webkitAudioContext;
    if (!this.ctx && Ctx) {
      try { this.ctx = new Ctx(); } catch (e) { this.ctx = null; }
    }
    if (this.ctx && this.ctx.state === "suspended") this.ctx.resume().catch(() => {});
  }

  beep(freq = 660, seconds = 0.15) {
    if (this.muted || !this.ctx) return;
    const osc = this.ctx.createOscillator();
    const gain = this.ctx.createGain();
    osc.frequency.value = freq;
    gain.gain.value = 0.15;
    osc.connect(gain).connect(this.ctx.destination);
    const t = this.ctx.currentTime;
    osc.start(t);
    osc.stop(t + seconds);
  }

  speak(text) {
    if (this.muted || !window.speechSynthesis || !window.SpeechSynthesisUtterance) return;
    window.speechSynthesis.cancel();
    const u = new SpeechSynthesisUtterance(text);
    u.rate = 0.95;
    window.speechSynthesis.speak(u);
  }
}
