// Time, as the core reads it: injected, so decisions are reproducible (tests move it by hand).

/** ms since the epoch. */
export type Clock = () => number;
