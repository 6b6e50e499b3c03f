// What the bench ran on, beyond os.cpus()'s model name: a cloud guest's name ("AMD EPYC") hides the generation, and the
// generation decides the ports (Zen 3: 2 FMUL/FMA + 2 FADD pipes of 256 bits; Zen 5: of 512 bits; Intel: 2-3 FMA
// ports), so every figure names the family, model and vector extensions /proc/cpuinfo reports (Linux only).
import { readFileSync } from 'node:fs';
import os from 'node:os';

// AMD's families and model ranges (AMD's processor programming references); other vendors: family/model numbers only.
const AMD = [
  [23, 0x00, 0xff, 'Zen / Zen 2'],
  [25, 0x00, 0x0f, 'Zen 3'], [25, 0x20, 0x5f, 'Zen 3'], [25, 0x10, 0x1f, 'Zen 4'], [25, 0x60, 0xaf, 'Zen 4'],
  [26, 0x00, 0xff, 'Zen 5'],
];
const FLAGS = ['avx2', 'fma', 'avx512f'];

/** { cpu, cores, vendor, family, model, microarchitecture, flags }: the fields /proc/cpuinfo has, '' where it is absent. */
export function cpuInfo() {
  const out = { cpu: os.cpus()[0]?.model ?? 'unknown', cores: os.cpus().length, vendor: '', family: NaN, model: NaN,
    microarchitecture: '', flags: [] };
  let text = '';
  try { text = readFileSync('/proc/cpuinfo', 'utf8'); } catch { return out; }
  const field = (name) => text.match(new RegExp(`^${name}\\s*:\\s*(.*)$`, 'm'))?.[1]?.trim() ?? '';
  out.vendor = field('vendor_id');
  out.family = Number(field('cpu family'));
  out.model = Number(field('model'));
  const flags = new Set(field('flags').split(/\s+/));
  out.flags = FLAGS.filter((f) => flags.has(f));
  const hit = out.vendor === 'AuthenticAMD' && AMD.find(([f, lo, hi]) => f === out.family && out.model >= lo && out.model <= hi);
  out.microarchitecture = hit ? hit[3] : '';
  return out;
}

/** One line: "AMD EPYC (Zen 5: family 26 model 2; avx2 fma avx512f), 2 cores". */
export function cpuLine(c = cpuInfo()) {
  const id = Number.isFinite(c.family) ? `${c.microarchitecture ? c.microarchitecture + ': ' : ''}family ${c.family} model ${c.model}` : '';
  const inner = [id, c.flags.join(' ')].filter(Boolean).join('; ');
  return `${c.cpu}${inner ? ` (${inner})` : ''}, ${c.cores} cores`;
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop())) console.log(cpuLine());
