/**
 * A CommonJS entry (`module.exports = { f }`, `exports.g = …`, a `.cjs` file) bundled as ESM
 * has one export, `default`, holding `module.exports`: its names are that object's properties,
 * as Node's own `import` of a CommonJS file would expose them, but found at run time, so
 * `module.exports = { f() {} }` and names added in a loop count too.
 */

/** The names a CommonJS module exports, from its bundle's namespace `{ default: module.exports }`. */
export function commonJsNamespace(namespace: Record<string, unknown>): Record<string, unknown> {
  const moduleExports = namespace.default;
  if (moduleExports === null || (typeof moduleExports !== 'object' && typeof moduleExports !== 'function')) return namespace;
  const names: Record<string, unknown> = {};
  // `module.exports = function () {}`: the function itself is the default export, as in Node.
  if (typeof moduleExports === 'function') names.default = moduleExports;
  for (const name of Object.keys(moduleExports)) {
    if (name !== '__esModule') names[name] = (moduleExports as Record<string, unknown>)[name];
  }
  return names;
}
