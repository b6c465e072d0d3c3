/** Types for placement.js (the bench is plain JavaScript; tests import it). */
export type Placement = 'same' | 'split';
export declare const PLACEMENTS: Readonly<Record<Placement, string>>;
export declare function placementOf(argv?: readonly string[]): Placement | undefined;
export declare function unavailable(placement: Placement): string | undefined;
export declare function addPlacedPasses(
  result: { tables: unknown[]; targets: unknown[] },
  url: string,
  options: { quick: boolean; mergeData: (data: Record<string, unknown>) => void },
): Promise<void>;
export declare function placeThreads(placement?: Placement): void;
