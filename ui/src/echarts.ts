// The part of Apache ECharts the pages use, registered once. Loaded on demand by chart.tsx, so the
// runs table (the page that must be fast with 10,000 runs) never waits for the charting library.
import { LineChart, ParallelChart, ScatterChart } from "echarts/charts";
import {
  DataZoomComponent,
  GridComponent,
  LegendComponent,
  ParallelComponent,
  TitleComponent,
  TooltipComponent,
} from "echarts/components";
import { init, use } from "echarts/core";
import { CanvasRenderer } from "echarts/renderers";

use([
  LineChart,
  ScatterChart,
  ParallelChart,
  GridComponent,
  TooltipComponent,
  LegendComponent,
  ParallelComponent,
  TitleComponent,
  DataZoomComponent,
  CanvasRenderer,
]);

export { init };
