/**
 * What the report's metric charts show, read from the drawn page (SVG
 * geometry, not the data behind it): per chart, how many drawn points fall
 * inside a shaded fault window, and whether it says it has no data.
 */
import type { Page } from 'playwright-core';

export interface ChartReading {
  key: string;
  faultWindows: number;
  points: number;
  pointsInFault: number;
  noData: string | null;
}

export function readCharts(page: Page): Promise<ChartReading[]> {
  return page.$$eval('#metrics figure.metric', (figures) =>
    figures.map((fig) => {
      const num = (el: Element, a: string) => Number(el.getAttribute(a) ?? 'NaN');
      const windows = [...fig.querySelectorAll('rect.fault-window')].map((r) => [num(r, 'x'), num(r, 'x') + num(r, 'width')] as const);
      const xs: [number, number][] = [];
      for (const pl of fig.querySelectorAll('polyline.series')) for (const pair of (pl.getAttribute('points') ?? '').trim().split(/\s+/).filter(Boolean)) xs.push([Number(pair.split(',')[0]), Number(pair.split(',')[0])]);
      for (const c of fig.querySelectorAll('circle.series')) xs.push([num(c, 'cx'), num(c, 'cx')]);
      for (const r of fig.querySelectorAll('rect.seg')) xs.push([num(r, 'x'), num(r, 'x') + num(r, 'width')]);
      const inFault = xs.filter(([a, b]) => windows.some(([w1, w2]) => b >= w1 && a <= w2)).length;
      return { key: fig.getAttribute('data-key') ?? '', faultWindows: windows.length, points: xs.length, pointsInFault: inFault, noData: fig.querySelector('.nodata')?.textContent ?? null };
    }),
  );
}
