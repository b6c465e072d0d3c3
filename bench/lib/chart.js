/**
 * Charts as SVG, rendered in Node without a browser: a vega-lite spec is compiled to vega and
 * rendered by a headless vega View. Scenarios return specs with their data inline; bench/run.js
 * renders them, so a scenario never waits on the charting library.
 */
import * as vega from 'vega';
import * as vegaLite from 'vega-lite';

/** Renders a vega-lite spec to an SVG string. */
export async function renderSvg(spec) {
  const compiled = vegaLite.compile(spec).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

const base = {
  $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
  background: 'white',
  config: { font: 'sans-serif', axis: { labelFontSize: 11, titleFontSize: 12 }, title: { fontSize: 14 } },
};

/**
 * Horizontal bars of "× raw piscina" per contender (median, with a min–max whisker), one
 * panel per group (e.g. thread count), and a dashed rule at the target.
 * @param rows `[{ group, contender, median, min, max }]`
 */
export function ratioBars({ title, rows, target, axisTitle, better = 'lower', note }) {
  const x = { field: 'median', type: 'quantitative', title: axisTitle };
  return {
    ...base,
    title: { text: title, subtitle: `${better} is better; whiskers: min–max over runs; dashed: target${note ? `; ${note}` : ''}` },
    data: { values: rows },
    facet: {
      row: {
        field: 'group',
        type: 'nominal',
        title: null,
        sort: [...new Set(rows.map((row) => row.group))],
        // Above each panel, left-aligned: a group's name (a placement, say) is longer than a panel is tall.
        header: { labelAngle: 0, labelOrient: 'top', labelAnchor: 'start', labelFontWeight: 'bold', labelLimit: 0 },
      },
    },
    spec: {
      width: 420,
      height: { step: 18 },
      layer: [
        {
          mark: { type: 'bar', color: '#4c78a8' },
          encoding: {
            y: { field: 'contender', type: 'nominal', sort: null, title: null, axis: { labelLimit: 320 } },
            x,
            color: {
              field: 'kind',
              type: 'nominal',
              scale: { domain: ['hotworker', 'baseline', 'peer', 'floor'], range: ['#e45756', '#4c78a8', '#9ecae9', '#bab0ac'] },
              legend: { title: null, orient: 'bottom' },
            },
          },
        },
        {
          mark: { type: 'rule', color: 'black' },
          encoding: {
            y: { field: 'contender', type: 'nominal', sort: null },
            x: { field: 'min', type: 'quantitative' },
            x2: { field: 'max' },
          },
        },
        ...(target === undefined
          ? []
          : [{ mark: { type: 'rule', strokeDash: [4, 3], color: '#333' }, encoding: { x: { datum: target } } }]),
      ],
    },
    resolve: { scale: { x: 'shared' } },
  };
}
