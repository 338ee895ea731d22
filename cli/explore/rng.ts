/**
 * The seeded randomness of `eventflow explore` (pure-rand's xoroshiro128+):
 * the only source of chance in a schedule, so one seed always draws the same one.
 */
import { uniformInt } from 'pure-rand/distribution/uniformInt';
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';

/** Seeds are 31-bit non-negative integers (what a user types, what a run prints). */
export const MAX_SEED = 0x7fff_ffff;

export interface Rng {
  /** An integer in [min, max], both included. */
  int(min: number, max: number): number;
  /** One element of a non-empty list. */
  pick<T>(list: readonly T[]): T;
  /** True with probability `p` (0..1, in steps of 1/1000). */
  chance(p: number): boolean;
}

export function createRng(seed: number): Rng {
  const gen = xoroshiro128plus(seed);
  const int = (min: number, max: number) => uniformInt(gen, min, max);
  return {
    int,
    pick(list) {
      if (list.length === 0) throw new Error('pick from an empty list');
      return list[int(0, list.length - 1)]!;
    },
    chance: (p) => int(0, 999) < Math.round(p * 1000),
  };
}

/**
 * The seed of run `index` (0-based) of a batch started with `seed`. Run 0 uses
 * the batch seed itself, so `--seed <a run's seed> --runs 1` draws that run's
 * schedule again; the others come from the batch seed's generator, each a jump
 * (2^64 draws) further on, so runs do not share a stream.
 */
export function runSeed(seed: number, index: number): number {
  if (index === 0) return seed;
  const gen = xoroshiro128plus(seed);
  for (let i = 0; i < index; i++) gen.jump();
  return uniformInt(gen, 0, MAX_SEED);
}
