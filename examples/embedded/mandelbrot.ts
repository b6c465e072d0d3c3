// The CPU-heavy part of the tile service: renders a tile of the Mandelbrot set as PNG bytes.
// It runs in hotworker's worker threads; edit it and send SIGHUP to the server to upgrade.
import { encodePng } from './png.ts';

/** Iterations before a point counts as inside the set: more is finer detail, and slower. */
const MAX_ITERATIONS = 200;

/** Colour of a point that escaped after `n` iterations: a smooth blue-to-gold ramp. */
function colour(n: number): [number, number, number] {
  if (n >= MAX_ITERATIONS) return [0, 0, 0];
  const t = Math.log(n + 1) / Math.log(MAX_ITERATIONS);
  return [Math.round(255 * Math.sqrt(t)), Math.round(200 * t), Math.round(255 * (1 - t) * 0.8)];
}

/**
 * Renders tile (x, y) at `zoom` as a `size`×`size` PNG. Zoom 0 is one tile showing the whole
 * set; each zoom level splits every tile in four, as map tiles do.
 */
export function renderTile(x: number, y: number, zoom: number, size = 256): Uint8Array {
  const span = 3 / 2 ** zoom;
  const rgb = new Uint8Array(size * size * 3);
  for (let py = 0; py < size; py++) {
    const im = -1.5 + (y + py / size) * span;
    for (let px = 0; px < size; px++) {
      const re = -2.25 + (x + px / size) * span;
      let zr = 0;
      let zi = 0;
      let n = 0;
      while (n < MAX_ITERATIONS && zr * zr + zi * zi <= 4) {
        const next = zr * zr - zi * zi + re;
        zi = 2 * zr * zi + im;
        zr = next;
        n++;
      }
      rgb.set(colour(n), (py * size + px) * 3);
    }
  }
  return encodePng(size, size, rgb);
}
