/**
 * Seeded random numbers for the host: xoshiro128** seeded through splitmix64, bit-identical to
 * assembly/rng.ts (a test checks the two streams against each other). The host uses it for what is
 * not hot: generating data sets, initialising weights, eval draws. Noise in the training and sampling
 * loops is drawn inside wasm so that it never crosses the JS boundary element by element.
 */

const MASK64 = (1n << 64n) - 1n;
const GOLDEN = 0x9e3779b97f4a7c15n;

function splitmix64(state: bigint): [bigint, bigint] {
  const s = (state + GOLDEN) & MASK64;
  let z = s;
  z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & MASK64;
  z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & MASK64;
  return [s, z ^ (z >> 31n)];
}

/** The four u32 words of xoshiro128** state for (seed, stream); never all zero. */
function seedState(seed: number | bigint, stream = 0): Uint32Array {
  let s = (BigInt.asUintN(64, BigInt(seed)) + BigInt(stream >>> 0) * GOLDEN) & MASK64;
  let a: bigint, b: bigint;
  [s, a] = splitmix64(s);
  [s, b] = splitmix64(s);
  const st = new Uint32Array([Number(a & 0xffffffffn), Number(a >> 32n), Number(b & 0xffffffffn), Number(b >> 32n)]);
  if ((st[0] | st[1] | st[2] | st[3]) === 0) st[0] = 1;
  return st;
}

const rotl = (x: number, k: number) => ((x << k) | (x >>> (32 - k))) >>> 0;

export class Rng {
  readonly s: Uint32Array;
  constructor(seed: number | bigint = 0, stream = 0) {
    this.s = seedState(seed, stream);
  }
  static fromState(state: ArrayLike<number>): Rng {
    const r = new Rng(0);
    r.s.set(state);
    return r;
  }
  /** xoshiro128**: next 32-bit output. */
  nextU32(): number {
    const s = this.s;
    const result = Math.imul(rotl(Math.imul(s[1], 5) >>> 0, 7), 9) >>> 0;
    const t = (s[1] << 9) >>> 0;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 11);
    return result;
  }
  /** Uniform in [0, 1) with 24 bits, the same float the wasm generator gives. */
  uniform(): number {
    return (this.nextU32() >>> 8) * 2 ** -24;
  }
  /** Uniform integer in [0, bound) without modulo bias (Lemire). */
  intBelow(bound: number): number {
    if (bound <= 1) return 0;
    const threshold = (2 ** 32 - bound) % bound;
    for (;;) {
      const x = this.nextU32();
      const m = BigInt(x) * BigInt(bound);
      if (Number(m & 0xffffffffn) >= threshold) return Number(m >> 32n);
    }
  }
  private spare = NaN;
  /** Standard normal by Box-Muller (pairs cached). */
  normal(): number {
    if (!Number.isNaN(this.spare)) {
      const v = this.spare;
      this.spare = NaN;
      return v;
    }
    const u1 = ((this.nextU32() >>> 8) + 1) * 2 ** -24;
    const u2 = (this.nextU32() >>> 8) * 2 ** -24;
    const r = Math.sqrt(-2 * Math.log(u1));
    this.spare = r * Math.sin(2 * Math.PI * u2);
    return r * Math.cos(2 * Math.PI * u2);
  }
  /** In-place Fisher-Yates shuffle. */
  shuffle<T>(a: T[] | Int32Array | Uint32Array): void {
    for (let i = a.length - 1; i > 0; i--) {
      const j = this.intBelow(i + 1);
      const tmp = a[i];
      a[i] = a[j];
      a[j] = tmp as never;
    }
  }
}
