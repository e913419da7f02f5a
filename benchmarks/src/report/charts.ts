// Charts as SVG, from the run's data: vega-lite specs compiled to vega and rendered headless with
// View#toSVG() (renderer "none": no browser, no canvas).
import type { Summary } from '../lib/stats.js';

/** Who a bar belongs to, for its colour. */
export type Who = 'lastcall' | 'baseline' | 'peer';

export interface Bar {
  readonly label: string;
  readonly who: Who;
  readonly value: Summary;
}

export interface ChartOptions {
  readonly title: string;
  readonly xTitle: string;
  readonly log?: boolean;
  /** Vertical reference lines: a target, the floor, 1x bare. */
  readonly marks?: ReadonlyArray<{ readonly x: number; readonly label: string }>;
}

type Json = Record<string, unknown>;

interface VegaLiteModule {
  compile(spec: Json): { spec: Json };
}
interface VegaModule {
  parse(spec: Json): unknown;
  View: new (runtime: unknown, options: { renderer: 'none' }) => { toSVG(): Promise<string>; finalize(): void };
}

/**
 * vega and vega-lite are ESM-only and publish their types through `exports` only, which the root
 * tsconfig's Node10 resolution does not read: they are loaded by a computed specifier and typed by
 * the two small interfaces above (all this file calls).
 */
async function load(): Promise<{ vega: VegaModule; vl: VegaLiteModule }> {
  const names = ['vega', 'vega-lite'];
  const [vega, vl] = (await Promise.all(names.map((name) => import(name)))) as [VegaModule, VegaLiteModule];
  return { vega, vl };
}

const COLORS: Record<Who, string> = { lastcall: '#d9480f', baseline: '#868e96', peer: '#4c6ef5' };

/** Smallest value a log axis shows; values at or below it are drawn there. */
const LOG_FLOOR = 0.01;

export function barChartSpec(bars: readonly Bar[], options: ChartOptions): Json {
  const clamp = (value: number): number => (options.log ? Math.max(LOG_FLOOR, value) : value);
  const values = bars
    .filter((bar) => Number.isFinite(bar.value.median))
    .map((bar) => ({
      label: bar.label,
      who: bar.who,
      median: clamp(bar.value.median),
      min: clamp(bar.value.min),
      max: clamp(bar.value.max),
      n: bar.value.n,
    }));
  const x = (field: string, title?: string): Json => ({
    field,
    type: 'quantitative',
    ...(title === undefined ? { title: null } : { title }),
    scale: options.log ? { type: 'log' } : { zero: true },
  });
  const y = { field: 'label', type: 'nominal', sort: null, title: null, axis: { labelLimit: 260 } };
  const layers: Json[] = [
    {
      mark: { type: 'bar', height: { band: 0.7 } },
      encoding: {
        y,
        x: x('median', options.xTitle),
        color: {
          field: 'who',
          type: 'nominal',
          title: null,
          scale: { domain: Object.keys(COLORS), range: Object.values(COLORS) },
        },
        tooltip: [{ field: 'median' }, { field: 'min' }, { field: 'max' }, { field: 'n' }],
      },
    },
    { mark: { type: 'rule', color: '#212529' }, encoding: { y, x: x('min'), x2: { field: 'max' } } },
    { mark: { type: 'tick', color: '#212529', thickness: 1 }, encoding: { y, x: x('min') } },
    { mark: { type: 'tick', color: '#212529', thickness: 1 }, encoding: { y, x: x('max') } },
  ];
  for (const mark of options.marks ?? []) {
    layers.push({
      data: { values: [mark] },
      layer: [
        {
          mark: { type: 'rule', strokeDash: [4, 3], color: '#2b8a3e' },
          encoding: { x: { field: 'x', type: 'quantitative' } },
        },
        {
          mark: { type: 'text', align: 'left', dx: 3, dy: -4, color: '#2b8a3e', baseline: 'bottom' },
          encoding: { x: { field: 'x', type: 'quantitative' }, y: { value: 0 }, text: { field: 'label' } },
        },
      ],
    });
  }
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: options.title, subtitle: 'bar: median; whisker: min to max', anchor: 'start' },
    width: 520,
    data: { values },
    layer: layers,
    config: { font: 'Helvetica, Arial, sans-serif', view: { stroke: null } },
  };
}

/** Renders each spec to an SVG string, in order. */
export async function renderSvgs(specs: readonly Json[]): Promise<string[]> {
  const { vega, vl } = await load();
  const out: string[] = [];
  for (const spec of specs) {
    const view = new vega.View(vega.parse(vl.compile(spec).spec), { renderer: 'none' });
    out.push(await view.toSVG());
    view.finalize();
  }
  return out;
}
