/**
 * A progress bar on stderr for long work. Drawn only on a terminal (redrawn at most every
 * 100 ms); elsewhere (CI, a pipe) it prints one line when the work ends, so logs stay short.
 */
const WIDTH = 24;

export class Progress {
  #label;
  #total;
  #done = 0;
  #started = performance.now();
  #drawn = 0;
  #tty = process.stderr.isTTY === true;

  constructor(label, total) {
    this.#label = label;
    this.#total = Math.max(1, total);
    this.#draw(true);
  }

  /** Advances by `n` units of work. */
  tick(n = 1) {
    this.#done = Math.min(this.#total, this.#done + n);
    this.#draw(false);
  }

  /** Sets the amount of work done so far. */
  set(done) {
    this.#done = Math.min(this.#total, done);
    this.#draw(false);
  }

  /** Ends the bar with the elapsed time. */
  done(note = '') {
    const seconds = ((performance.now() - this.#started) / 1000).toFixed(1);
    const text = `  ${this.#label}: done in ${seconds} s${note ? `, ${note}` : ''}`;
    if (this.#tty) process.stderr.write(`\r\x1b[2K${text}\n`);
    else process.stderr.write(`${text}\n`);
  }

  #draw(force) {
    if (!this.#tty) return;
    const now = performance.now();
    if (!force && now - this.#drawn < 100 && this.#done < this.#total) return;
    this.#drawn = now;
    const fraction = this.#done / this.#total;
    const filled = Math.round(fraction * WIDTH);
    const seconds = ((now - this.#started) / 1000).toFixed(1);
    const bar = `${'█'.repeat(filled)}${'░'.repeat(WIDTH - filled)}`;
    process.stderr.write(`\r\x1b[2K  ${this.#label} ${bar} ${Math.round(fraction * 100)}% ${seconds} s`);
  }
}
