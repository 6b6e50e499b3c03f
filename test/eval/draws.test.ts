/**
 * Tests for src/eval/draws.ts: the draw plan's sizes and refusals, the value/floor/ratio report on data
 * against itself and against a shifted copy, and the table's layout.
 */
import { describe, expect, test } from 'vitest';
import { getDataset } from '../../src/data/datasets';
import { compareToData, formatReport, makeDraws, planDraws } from '../../src/eval/draws';
import { UsageError } from '../../src/util/errors';

describe('compareToData, planDraws, formatReport', () => {
  test('planDraws: size = min(size, nA / draws, nB / (2 draws)); below 50 refused', () => {
    expect(planDraws(10000, 100000)).toEqual({ draws: 5, size: 1000 });
    expect(planDraws(2000, 100000)).toEqual({ draws: 5, size: 400 });
    expect(planDraws(10000, 3000)).toEqual({ draws: 5, size: 300 });
    expect(planDraws(10000, 3000, 3, 200)).toEqual({ draws: 3, size: 200 });
    expect(planDraws(250, 500)).toEqual({ draws: 5, size: 50 });
    expect(() => planDraws(249, 100000)).toThrow(UsageError);
    expect(() => planDraws(10000, 499)).toThrow(
      /^too few points to compare: 10000 samples and 499 data points give 5 draws of only 49 points \(need >= 50/,
    );
    expect(() => planDraws(1000, 1000, 0)).toThrow(UsageError);
  });

  const plan = { draws: 3, size: 200 };
  const data = getDataset('moons', 2 * plan.draws * plan.size, 1);

  test('samples from the data distribution score a ratio near 1; a shifted model clearly above', () => {
    const good = getDataset('moons', plan.draws * plan.size, 2);
    const bad = { ...good, data: good.data.map((v, i) => (i % 2 === 0 ? v + 0.3 : v)) }; // x + 0.3
    const g = makeDraws(good, data, plan, 0);
    const b = makeDraws(bad, data, plan, 0);
    const rg = compareToData(g.samplesDraws, g.dataDrawsA, g.dataDrawsB);
    const rb = compareToData(b.samplesDraws, b.dataDrawsA, b.dataDrawsB);
    console.log(formatReport(rg));
    console.log(formatReport(rb));
    expect(rg.metrics.map((m) => m.name)).toEqual(['w2', 'sw2', 'energy', 'mmd2']);
    expect(rg).toMatchObject({ draws: 3, size: 200, d: 2 });
    for (const m of rg.metrics) {
      expect(m.perDraw).toHaveLength(3);
      expect(m.value).toBeCloseTo(m.perDraw.reduce((s, v) => s + v, 0) / 3, 12);
      expect(m.floor).toBeGreaterThan(0);
      expect(m.ratio).toBeCloseTo(m.value / m.floor, 12);
      expect(m.ratio).toBeGreaterThan(0.6);
      expect(m.ratio).toBeLessThan(1.6);
    }
    for (const m of rb.metrics) expect(m.ratio).toBeGreaterThan(2);
    // The floor depends only on the data draws, so it is the same for both models.
    expect(rb.metrics.map((m) => m.floor)).toEqual(rg.metrics.map((m) => m.floor));
  });

  test('formatReport: one aligned row per metric under a header', () => {
    const g = makeDraws(getDataset('moons', 600, 3), data, plan, 1);
    const text = formatReport(compareToData(g.samplesDraws, g.dataDrawsA, g.dataDrawsB, { exactW2: false, projections: 16 }));
    const lines = text.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^3 draws x 200 points \(d = 2\)/);
    expect(lines[1]).toMatch(/^metric\s+samples vs data\s+data vs data \(floor\)\s+ratio$/);
    expect(lines).toHaveLength(3 + 3); // title, header, rule, sw2/energy/mmd2
    const ends = lines.slice(1).map((l) => l.length);
    expect(new Set(ends).size).toBe(1); // right-aligned ratio column: every row ends at the same width
    expect(lines[3]).toMatch(/^sliced W2 \(16 dirs\)\s+\S+ ± \S+\s+\S+ ± \S+\s+\d+\.\d\d$/);
  });

  test('mismatched draws are UsageErrors', () => {
    const a = getDataset('moons', 100, 1);
    const b = getDataset('moons', 90, 2);
    expect(() => compareToData([a], [a, a], [a])).toThrow(UsageError);
    expect(() => compareToData([a], [b], [a])).toThrow(/same size/);
    expect(() => compareToData([], [], [])).toThrow(UsageError);
  });
});
