/**
 * The two baselines scenarios 1 and 2 count their targets against, by the label their
 * contenders carry (lib/contenders.js) and the report groups by (lib/report.js).
 */
/** Raw piscina with the options hotworker passes, in the mode that keeps an idle worker's event loop running. */
export const PISCINA_HOTWORKER_OPTIONS = 'piscina (atomics: async)';
/** piscina as a user would start it: its defaults. */
export const PISCINA_DEFAULTS = 'piscina defaults (atomics: sync)';
