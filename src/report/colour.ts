/**
 * Colour by position: does the start decide the end? Each point gets the colour of its place on a 2-D colour
 * wheel: the angle around the set's centre is the hue, the distance from it the chroma (grey at the centre,
 * saturated at the rim), in OKLCH so that equal steps in position look like equal steps in colour. A point keeps
 * its start's colour wherever it goes; if the colours stay ordered at the end, the start decided the end. The
 * wheel is quantised to WHEEL_HUES x WHEEL_RINGS colours so a chart of thousands of points is one canvas path per
 * colour, not one per point.
 *
 * Pure numbers and CSS colour strings: the charts that draw with them are charts.ts's.
 */

export const WHEEL_HUES = 24;
export const WHEEL_RINGS = 5;

/**
 * OKLab (L, a, b) of a position (u, v) on the unit disc (r clipped to 1): lightness 0.74 -> 0.62 and chroma
 * 0 -> 0.19 outwards, chroma rising as sqrt(r) so that most of a Gaussian cloud (r ~ 0.3-0.7) is clearly coloured.
 */
export function wheelLab(u: number, v: number): [number, number, number] {
  const r = Math.min(1, Math.hypot(u, v)), h = Math.atan2(v, u);
  const C = 0.19 * Math.sqrt(r);
  return [0.74 - 0.12 * r, C * Math.cos(h), C * Math.sin(h)];
}

/** OKLab -> sRGB bytes (Ottosson's matrices; out-of-gamut channels clamped). */
export function oklabToRgb(L: number, a: number, b: number): [number, number, number] {
  const l = (L + 0.3963377774 * a + 0.2158037573 * b) ** 3;
  const m = (L - 0.1055613458 * a - 0.0638541728 * b) ** 3;
  const s = (L - 0.0894841775 * a - 1.291485548 * b) ** 3;
  const lin = [
    4.0767416621 * l - 3.3077115913 * m + 0.2309699292 * s,
    -1.2684380046 * l + 2.6097574011 * m - 0.3413193965 * s,
    -0.0041960863 * l - 0.7034186147 * m + 1.707612701 * s,
  ];
  return lin.map((c) => {
    const g = c <= 0.0031308 ? 12.92 * c : 1.055 * Math.max(0, c) ** (1 / 2.4) - 0.055;
    return Math.round(255 * Math.min(1, Math.max(0, g)));
  }) as [number, number, number];
}

/** Index of the wheel colour of (u, v) on the unit disc: ring (0 = centre) * WHEEL_HUES + hue bin. */
export function wheelIndex(u: number, v: number): number {
  const r = Math.min(1, Math.hypot(u, v));
  const ring = Math.min(WHEEL_RINGS - 1, Math.floor(r * WHEEL_RINGS));
  const turn = (Math.atan2(v, u) / (2 * Math.PI) + 1) % 1;
  return ring * WHEEL_HUES + (Math.floor(turn * WHEEL_HUES) % WHEEL_HUES);
}

/** The (u, v) at the centre of wheel colour `idx` (the colour the bin is drawn in). */
export function wheelCentre(idx: number): [number, number] {
  const ring = Math.floor(idx / WHEEL_HUES), hue = idx % WHEEL_HUES;
  const r = (ring + 0.5) / WHEEL_RINGS, h = ((hue + 0.5) / WHEEL_HUES) * 2 * Math.PI;
  return [r * Math.cos(h), r * Math.sin(h)];
}

/** The quantised wheel as CSS colours, indexed by wheelIndex. */
export const WHEEL_COLORS: readonly string[] = Array.from({ length: WHEEL_HUES * WHEEL_RINGS }, (_, i) => {
  const [L, a, b] = wheelLab(...wheelCentre(i));
  const [r, g, bl] = oklabToRgb(L, a, b);
  return `rgb(${r},${g},${bl})`;
});

export interface WheelFrame {
  cx: number;
  cy: number;
  /** Per-axis scales: (x - cx) / sx, (y - cy) / sy lands the set's outer 5% on the rim. */
  sx: number;
  sy: number;
}

/** The frame that puts a set on the wheel: its centroid, each axis by its sd times the 95% quantile of the radius. */
export function wheelFrame(x: ArrayLike<number>, y: ArrayLike<number>): WheelFrame {
  const n = Math.min(x.length, y.length);
  let mx = 0, my = 0;
  for (let i = 0; i < n; i++) (mx += x[i] / n), (my += y[i] / n);
  let vx = 0, vy = 0;
  for (let i = 0; i < n; i++) (vx += (x[i] - mx) ** 2 / n), (vy += (y[i] - my) ** 2 / n);
  const sdx = Math.sqrt(vx) || 1, sdy = Math.sqrt(vy) || 1;
  const r = Float64Array.from({ length: n }, (_, i) => Math.hypot((x[i] - mx) / sdx, (y[i] - my) / sdy)).sort();
  const q = n ? r[Math.min(n - 1, Math.floor(0.95 * n))] || 1 : 1;
  return { cx: mx, cy: my, sx: sdx * q, sy: sdy * q };
}

/** Wheel colour index of every point, in `frame` (default: the set's own). */
export function wheelIndices(x: ArrayLike<number>, y: ArrayLike<number>, frame: WheelFrame = wheelFrame(x, y)): Uint16Array {
  const n = Math.min(x.length, y.length), out = new Uint16Array(n);
  for (let i = 0; i < n; i++) out[i] = wheelIndex((x[i] - frame.cx) / frame.sx, (y[i] - frame.cy) / frame.sy);
  return out;
}
