// The seeded generator behind FaultProxy.cutAtRandom: the same seed draws the same byte counts.

/**
 * A small seeded generator of 32-bit integers: a Weyl sequence (the state advances by the golden
 * ratio constant) passed through a 32-bit avalanche finaliser. Fast, stateless apart from one
 * number, and the same seed always yields the same sequence. Not for cryptography.
 */
export class SeededRandom {
  #state: number;

  constructor(seed: number) {
    this.#state = seed >>> 0;
  }

  /** The next integer in `[min, max]`, both inclusive. */
  between(min: number, max: number): number {
    this.#state = (this.#state + 0x9e3779b9) >>> 0;
    let z = this.#state;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    z = (z ^ (z >>> 16)) >>> 0;
    return min + Math.floor((z / 0x1_0000_0000) * (max - min + 1));
  }
}
