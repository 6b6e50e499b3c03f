import { describe, expect, it } from 'vitest';
import '../../src/engine/wasm-embedded';
import { getDataset } from '../../src/data/datasets';
import { createDiffusion } from '../../src/api/diffusion';
import { compareToData, makeDraws } from '../../src/eval/draws';

/**
 * A short run against a looser bound than docs/sample-quality.md's (the default run is measured by hand and in the
 * closing notes): what a user would see if training or sampling broke is a ratio of 3 and more, not 1.5.
 */
describe('sample quality after a short run', () => {
  it('moons: exact W2 and energy-distance ratios against the data-vs-data floor stay small', async () => {
    const d = await createDiffusion({
      dataset: 'moons', nData: 4000, T: 50, steps: 1500, batch: 128, lr: 3e-3, seed: 1, threads: 1,
      model: { width: 64, embedSize: 32, depth: 2 },
    });
    await d.train();
    d.reseedSampling(5);
    const samples = d.sample(1500).points;
    const fresh = getDataset('moons', 3000, 99);
    const { samplesDraws, dataDrawsA, dataDrawsB } = makeDraws(samples, fresh, { draws: 3, size: 500 }, 5);
    const r = compareToData(samplesDraws, dataDrawsA, dataDrawsB, { seed: 5 });
    const ratio = (name: string) => r.metrics.find((m) => m.name === name)!.ratio;
    console.log(`short moons run: W2 ratio ${ratio('w2').toFixed(2)}, energy ratio ${ratio('energy').toFixed(2)}`);
    expect(ratio('w2')).toBeLessThan(2);
    expect(ratio('energy')).toBeLessThan(4.5);
    // The untrained model is far off: the same measure must be able to fail.
    const untrained = await createDiffusion({ dataset: 'moons', nData: 4000, T: 50, seed: 1, threads: 1,
      model: { width: 64, embedSize: 32, depth: 2 } });
    const bad = makeDraws(untrained.sample(1500).points, fresh, { draws: 3, size: 500 }, 5);
    const rb = compareToData(bad.samplesDraws, bad.dataDrawsA, bad.dataDrawsB, { seed: 5 });
    expect(rb.metrics.find((m) => m.name === 'w2')!.ratio).toBeGreaterThan(3);
  });
});
