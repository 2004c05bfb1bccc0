import { DataError, type Dataset } from "./dataset.js";

/** Options for {@link makeClassification}; every field is optional. */
export interface MakeClassificationOptions {
  /** Rows. Default 1000. */
  nSamples?: number;
  /** Total columns: informative + redundant + noise. Default 20. */
  nFeatures?: number;
  /** Columns that carry the class signal (clusters live in this subspace). Default 10. */
  nInformative?: number;
  /** Random linear combinations of the informative columns. Default 5. */
  nRedundant?: number;
  /** Default 2. */
  nClasses?: number;
  /** Gaussian clusters per class. Default 2. */
  nClustersPerClass?: number;
  /** Half the edge of the hypercube whose vertices hold the cluster centres. Default 1.0. */
  classSep?: number;
  /** Share of rows whose label is replaced by a uniformly random class (label noise). Default 0.01. */
  flipY?: number;
  /** PRNG seed, an integer in [0, 2^32). Default 42. */
  seed?: number;
  /** Shuffle the rows (columns always stay in the order below). Default true. */
  shuffle?: boolean;
}

/**
 * A make_classification-style problem: each class is `nClustersPerClass` Gaussian clusters centred on
 * distinct vertices of a hypercube with side `2 × classSep`, given a random covariance by a random
 * linear map. Columns are laid out as f0..f{nInformative-1} informative, then the redundant ones,
 * then pure N(0, 1) noise (unlike sklearn the columns are not shuffled, so callers know which carry
 * signal). Rows are split over clusters as evenly as possible. The same options give the same data on
 * every platform: the PRNG is xoshiro128** seeded through splitmix32, normals come from Box-Muller.
 */
export function makeClassification(options: MakeClassificationOptions = {}): Dataset {
  const o = resolve(options);
  const rng = new Rng(o.seed);
  const nClusters = o.nClasses * o.nClustersPerClass;
  const nInf = o.nInformative;
  const nRed = o.nRedundant;
  const nF = o.nFeatures;

  const centroids = pickVertices(nClusters, nInf, rng);
  const x = new Float64Array(o.nSamples * nF);
  const y = new Float64Array(o.nSamples);
  const z = new Float64Array(nInf);

  let row = 0;
  for (let k = 0; k < nClusters; k++) {
    // Each cluster gets its own random linear map, i.e. its own covariance.
    const a = uniformMatrix(nInf * nInf, rng);
    const centroid = centroids[k]!;
    const size = Math.floor(o.nSamples / nClusters) + (k < o.nSamples % nClusters ? 1 : 0);
    for (let r = 0; r < size; r++, row++) {
      for (let i = 0; i < nInf; i++) z[i] = rng.normal();
      const base = row * nF;
      for (let j = 0; j < nInf; j++) {
        let s = centroid[j] ? o.classSep : -o.classSep;
        for (let i = 0; i < nInf; i++) s += z[i]! * a[i * nInf + j]!;
        x[base + j] = s;
      }
      y[row] = k % o.nClasses;
    }
  }

  const b = uniformMatrix(nInf * nRed, rng);
  for (let r = 0; r < o.nSamples; r++) {
    const base = r * nF;
    for (let j = 0; j < nRed; j++) {
      let s = 0;
      for (let i = 0; i < nInf; i++) s += x[base + i]! * b[i * nRed + j]!;
      x[base + nInf + j] = s;
    }
    for (let j = nInf + nRed; j < nF; j++) x[base + j] = rng.normal();
  }

  if (o.flipY > 0) {
    for (let r = 0; r < o.nSamples; r++) {
      if (rng.uniform() < o.flipY) y[r] = rng.int(o.nClasses);
    }
  }

  if (o.shuffle) {
    for (let i = o.nSamples - 1; i > 0; i--) {
      const j = rng.int(i + 1);
      if (j === i) continue;
      const t = y[i]!;
      y[i] = y[j]!;
      y[j] = t;
      for (let f = 0; f < nF; f++) {
        const u = x[i * nF + f]!;
        x[i * nF + f] = x[j * nF + f]!;
        x[j * nF + f] = u;
      }
    }
  }

  return {
    x,
    y,
    nRows: o.nSamples,
    nFeatures: nF,
    featureNames: Array.from({ length: nF }, (_, i) => `f${i}`),
  };
}

function resolve(options: MakeClassificationOptions): Required<MakeClassificationOptions> {
  const o: Required<MakeClassificationOptions> = {
    nSamples: options.nSamples ?? 1000,
    nFeatures: options.nFeatures ?? 20,
    nInformative: options.nInformative ?? 10,
    nRedundant: options.nRedundant ?? 5,
    nClasses: options.nClasses ?? 2,
    nClustersPerClass: options.nClustersPerClass ?? 2,
    classSep: options.classSep ?? 1.0,
    flipY: options.flipY ?? 0.01,
    seed: options.seed ?? 42,
    shuffle: options.shuffle ?? true,
  };
  const int = (name: keyof MakeClassificationOptions, min: number) => {
    const v = o[name] as number;
    if (!Number.isSafeInteger(v) || v < min)
      throw new DataError(`${name} must be an integer ≥ ${min}, got ${v}`);
  };
  int("nSamples", 1);
  int("nFeatures", 1);
  int("nInformative", 1);
  int("nRedundant", 0);
  int("nClasses", 2);
  int("nClustersPerClass", 1);
  if (!Number.isInteger(o.seed) || o.seed < 0 || o.seed > 0xffffffff) {
    throw new DataError(`seed must be an integer in [0, 2^32), got ${o.seed}`);
  }
  if (o.nInformative + o.nRedundant > o.nFeatures) {
    throw new DataError(
      `nInformative + nRedundant (${o.nInformative} + ${o.nRedundant}) must not exceed nFeatures (${o.nFeatures})`,
    );
  }
  const nClusters = o.nClasses * o.nClustersPerClass;
  if (nClusters > 2 ** o.nInformative) {
    throw new DataError(
      `nClasses × nClustersPerClass (${nClusters}) must not exceed 2^nInformative (${2 ** o.nInformative})`,
    );
  }
  if (nClusters > o.nSamples) {
    throw new DataError(
      `nSamples (${o.nSamples}) must be at least nClasses × nClustersPerClass (${nClusters})`,
    );
  }
  if (!Number.isFinite(o.classSep) || o.classSep < 0) {
    throw new DataError(`classSep must be a finite number ≥ 0, got ${o.classSep}`);
  }
  if (!(o.flipY >= 0 && o.flipY <= 1)) throw new DataError(`flipY must be in [0, 1], got ${o.flipY}`);
  if (typeof o.shuffle !== "boolean") throw new DataError("shuffle must be a boolean");
  return o;
}

/** `count` distinct vertices of the `dims`-cube, as 0/1 per dimension. Requires count ≤ 2^dims. */
function pickVertices(count: number, dims: number, rng: Rng): Uint8Array[] {
  const out: Uint8Array[] = [];
  if (dims <= 20 && count * 2 > 2 ** dims) {
    // Dense case: rejection would stall, so draw without replacement from the full list.
    const all = Array.from({ length: 2 ** dims }, (_, i) => i);
    for (let i = 0; i < count; i++) {
      const j = i + rng.int(all.length - i);
      const picked = all[j]!;
      all[j] = all[i]!;
      all[i] = picked;
      const v = new Uint8Array(dims);
      for (let d = 0; d < dims; d++) v[d] = (picked >>> d) & 1;
      out.push(v);
    }
    return out;
  }
  const seen = new Set<string>();
  while (out.length < count) {
    const v = new Uint8Array(dims);
    for (let d = 0; d < dims; d++) v[d] = rng.next() >>> 31;
    const key = v.join("");
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(v);
  }
  return out;
}

function uniformMatrix(size: number, rng: Rng): Float64Array {
  const m = new Float64Array(size);
  for (let i = 0; i < size; i++) m[i] = 2 * rng.uniform() - 1;
  return m;
}

/** xoshiro128** (Blackman & Vigna), state filled from the seed by splitmix32. */
class Rng {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;
  private spare = Number.NaN;

  constructor(seed: number) {
    let a = seed | 0;
    const splitmix = () => {
      a = (a + 0x9e3779b9) | 0;
      let t = a ^ (a >>> 16);
      t = Math.imul(t, 0x21f0aaad);
      t ^= t >>> 15;
      t = Math.imul(t, 0x735a2d97);
      return (t ^ (t >>> 15)) | 0;
    };
    this.s0 = splitmix();
    this.s1 = splitmix();
    this.s2 = splitmix();
    this.s3 = splitmix();
  }

  /** Next 32 random bits as an unsigned integer. */
  next(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5), 7), 9);
    const t = this.s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return result >>> 0;
  }

  /** Uniform in [0, 1). */
  uniform(): number {
    return this.next() / 4294967296;
  }

  /** Uniform integer in [0, n), n ≤ 2^32. */
  int(n: number): number {
    return Math.floor(this.uniform() * n);
  }

  /** Standard normal via Box-Muller; the second value of each pair is kept for the next call. */
  normal(): number {
    if (!Number.isNaN(this.spare)) {
      const v = this.spare;
      this.spare = Number.NaN;
      return v;
    }
    const u1 = 1 - this.uniform(); // (0, 1], so log never sees 0
    const u2 = this.uniform();
    const r = Math.sqrt(-2 * Math.log(u1));
    this.spare = r * Math.sin(2 * Math.PI * u2);
    return r * Math.cos(2 * Math.PI * u2);
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}
